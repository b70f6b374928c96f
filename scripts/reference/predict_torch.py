#!/usr/bin/python3
"""Independent float64 predictions from an lstmctl model file (a check tool).

    /usr/bin/python3 scripts/reference/predict_torch.py --model model.safetensors \\
        [--top-k K] [--output out.jsonl] [FILE ...]      (no FILE or "-": stdin)

It reads nothing of lstmctl but the model file: the safetensors container is
parsed by hand (8-byte little-endian header length, JSON header, F32 data; the
"sha256" metadata entry, when present, is checked against the bytes after the
header), the weights are used in float64, and the text pipeline is re-written
here from docs/data-formats.md using the config, vocab and labels stored
in __metadata__. Output: one JSON line per input line, like
`lstmctl predict --format jsonl --top-k K`:

    {"label": "...", "probability": p, "top": [{"label": "...", "probability": p}, ...]}

with K entries in "top" (K is capped at the number of classes), most probable
first, ties by class index. Compare two such files with compare_predict.py.

Input lines: split on "\\n"; one "\\r" before it is dropped, as is a "\\r"
ending the last line; a final line without "\\n" counts, an input ending in
"\\n" has no extra empty line; a UTF-8 byte order mark at the start is dropped.
Invalid UTF-8: each maximal ill-formed subsequence becomes one U+FFFD
(Python's "replace" error handler, which is what pkg/data documents).

Tokens (text.standardize, text.split = whitespace):
  lower:  per character, simple Unicode lower-case mapping (Go's
          unicode.ToLower): str.lower() of one character, except U+0130 -> "i"
          (its full mapping is two characters) and no final-sigma context;
  strip:  delete the characters of Python's string.punctuation;
  split:  on runs of Unicode White_Space (Go's unicode.IsSpace: TAB LF VT FF CR
          SPACE U+0085 U+00A0 U+1680 U+2000-U+200A U+2028 U+2029 U+202F U+205F
          U+3000; unlike str.split(), U+001C-U+001F are not separators).
Ids: vocab index (metadata "vocab", index 0 is "" padding, 1 "[UNK]"),
unknown tokens are 1. text.truncate post keeps the first text.sequence_length
ids, pre the last (0 = no truncation).

Model: with model.mask_padding true the LSTMs run over the real ids only
(equivalently: padded steps carry h and c), an empty text gives h = 0 and
so logits = dense.bias. With mask_padding false the ids are padded with 0 to
text.sequence_length on the text.pad side and all steps run; with
sequence_length 0 a text is run alone, padded to one step if empty (lstmctl
pads a batch to its longest text then, so its output depends on the batch:
compare only with sequence_length > 0 in that mode).
"""

import argparse
import hashlib
import json
import os
import string
import struct
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lstmref  # noqa: E402

WHITE_SPACE = frozenset(
    "\t\n\v\f\r \u0085\u00a0\u1680\u2028\u2029\u202f\u205f\u3000"
    + "".join(chr(c) for c in range(0x2000, 0x200B)))
PUNCTUATION = frozenset(string.punctuation)


def read_safetensors(path):
    """Returns ({name: float64 tensor}, metadata dict). Verifies sha256 if present."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise SystemExit(f"{path}: too short for a safetensors file")
    (hlen,) = struct.unpack("<Q", raw[:8])
    if hlen > len(raw) - 8:
        raise SystemExit(f"{path}: header length {hlen} beyond the file")
    header = json.loads(raw[8:8 + hlen].decode("utf-8"))
    data = raw[8 + hlen:]
    meta = header.pop("__metadata__", {}) or {}
    want = meta.get("sha256")
    if want is not None:
        got = hashlib.sha256(data).hexdigest()
        if got != want:
            raise SystemExit(f"{path}: sha256 {got} does not match metadata {want}")
    tensors = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            raise SystemExit(f"{path}: tensor {name} has dtype {info['dtype']}, want F32")
        start, end = info["data_offsets"]
        shape = info["shape"]
        count = 1
        for d in shape:
            count *= d
        if end - start != 4 * count or end > len(data):
            raise SystemExit(f"{path}: tensor {name}: bad data offsets {start}..{end}")
        arr = np.frombuffer(data[start:end], dtype="<f4").astype(np.float64).reshape(shape)
        tensors[name] = torch.from_numpy(arr.copy())
    return tensors, meta


def read_lines(paths):
    """Input lines as lstmctl predict reads them (see the module doc)."""
    for path in paths or ["-"]:
        if path == "-":
            raw = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as f:
                raw = f.read()
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw:
            continue
        parts = raw.split(b"\n")
        if parts[-1] == b"":
            parts.pop()
        for p in parts:
            if p.endswith(b"\r"):
                p = p[:-1]
            yield p.decode("utf-8", errors="replace")


def lower_char(c):
    if c == "\u0130":
        return "i"
    lc = c.lower()
    return lc if len(lc) == 1 else c


def tokens(text, standardize, split):
    if split != "whitespace":
        raise SystemExit(f"text.split {split!r} is not supported (only whitespace)")
    modes = {"lower_and_strip_punctuation": (True, True), "lower": (True, False),
             "strip_punctuation": (False, True), "none": (False, False)}
    if standardize not in modes:
        raise SystemExit(f"unknown text.standardize {standardize!r}")
    lower, strip = modes[standardize]
    out, cur = [], []
    for c in text:
        if lower:
            c = lower_char(c)
        if strip and c in PUNCTUATION:
            continue
        if c in WHITE_SPACE:
            if cur:
                out.append("".join(cur))
                cur = []
            continue
        cur.append(c)
    if cur:
        out.append("".join(cur))
    return out


def encode(text, text_cfg, index):
    ids = [index.get(tok, 1) for tok in tokens(text, text_cfg["standardize"], text_cfg["split"])]
    n = int(text_cfg.get("sequence_length", 0) or 0)
    if n > 0 and len(ids) > n:
        ids = ids[:n] if text_cfg.get("truncate", "post") == "post" else ids[-n:]
    return ids


def model_from_file(path):
    params, meta = read_safetensors(path)
    for key in ("config", "vocab", "labels"):
        if key not in meta:
            raise SystemExit(f"{path}: __metadata__ has no {key!r}")
    cfg = json.loads(meta["config"])
    vocab = json.loads(meta["vocab"])
    labels = json.loads(meta["labels"])
    layers = 0
    while f"lstm.{layers}.kernel" in params:
        layers += 1
    want = lstmref.param_names(layers, lstmref.model_options(cfg)["bidirectional"])
    if sorted(params) != sorted(want):
        raise SystemExit(f"{path}: tensors {sorted(params)}, want {sorted(want)}")
    hidden = [params[f"lstm.{k}.recurrent_kernel"].shape[0] for k in range(layers)]
    if cfg.get("model", {}).get("lstm") not in (None, hidden):
        raise SystemExit(f"{path}: config model.lstm {cfg['model']['lstm']} but tensors have {hidden}")
    if params["embedding.embeddings"].shape[0] != len(vocab):
        raise SystemExit(f"{path}: {len(vocab)} vocab entries for embedding rows "
                         f"{params['embedding.embeddings'].shape[0]}")
    if params["dense.bias"].shape[0] != len(labels):
        raise SystemExit(f"{path}: {len(labels)} labels for {params['dense.bias'].shape[0]} classes")
    return params, layers, cfg, vocab, labels


def probabilities(params, layers, cfg, seqs, batch_size=256):
    """float64 class probabilities [N, C] for the encoded sequences."""
    text_cfg, masked = cfg["text"], bool(cfg["model"]["mask_padding"])
    seq_len = int(text_cfg.get("sequence_length", 0) or 0)
    pad_pre = text_cfg.get("pad", "post") == "pre"
    rows = []
    for s in seqs:
        if masked:
            rows.append((s, len(s)))
            continue
        steps = seq_len if seq_len > 0 else max(len(s), 1)
        fill = [0] * (steps - len(s))
        rows.append((fill + s if pad_pre else s + fill, steps))
    # Group rows of equal padded length (unmasked) or any lengths (masked),
    # then run each group as one time-major batch.
    order = sorted(range(len(rows)), key=lambda i: -len(rows[i][0]))
    out = torch.zeros(len(rows), params["dense.bias"].shape[0], dtype=torch.float64)
    with torch.no_grad():
        i = 0
        while i < len(order):
            j = i + 1
            width = len(rows[order[i]][0])
            while j < len(order) and j - i < batch_size and (masked or len(rows[order[j]][0]) == width):
                j += 1
            idx = order[i:j]
            b = len(idx)
            toks = [rows[k][0][t] if t < len(rows[k][0]) else 0 for t in range(width) for k in idx]
            lens = [rows[k][1] for k in idx]
            logits = lstmref.forward(params, layers, toks, lens, b, width, masked,
                                     **lstmref.model_options(cfg))
            out[idx] = torch.softmax(logits, dim=1)
            i = j
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--top-k", type=int, default=1)
    ap.add_argument("--output", default="-")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    torch.set_num_threads(1)

    params, layers, cfg, vocab, labels = model_from_file(args.model)
    index = {tok: i for i, tok in enumerate(vocab)}  # "" (id 0) never is a token
    if len(index) != len(vocab):
        raise SystemExit(f"{args.model}: the vocabulary has duplicate tokens")
    seqs = [encode(line, cfg["text"], index) for line in read_lines(args.files)]
    probs = probabilities(params, layers, cfg, seqs)
    k = max(1, min(args.top_k, len(labels)))
    out = sys.stdout if args.output == "-" else open(args.output, "w")
    for row in probs.tolist():
        top = sorted(range(len(row)), key=lambda c: (-row[c], c))[:k]
        entries = [{"label": labels[c], "probability": row[c]} for c in top]
        out.write(json.dumps({"label": entries[0]["label"], "probability": entries[0]["probability"],
                              "top": entries}) + "\n")
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
