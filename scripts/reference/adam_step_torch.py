#!/usr/bin/python3
"""Checks one full-batch Adam step of lstmctl against float64 PyTorch.

    lstmctl train --from before.safetensors --train data.txt --model after.safetensors \\
        --epochs 1 --batch-size 100000 --shuffle=false --validation-split 0
    /usr/bin/python3 scripts/reference/adam_step_torch.py --before before.safetensors \\
        --after after.safetensors --train data.txt [--format auto] [--tol 2e-3]

From the weights, vocabulary, labels and config of --before it computes, in
float64 (lstmref.py), the mean loss over ALL samples of --train as one batch,
its gradient, and one Keras-form Adam step (t = 1, zero moments) with the
optimizer settings of --after's config (train.optimizer: learning_rate,
beta_1, beta_2, epsilon, clipnorm, global_clipnorm; the effective config of
the run that wrote it), unless overridden by --learning-rate etc. It then
reports for every tensor
    weights: ||after - ref|| / ||ref||
    update:  ||(after - before) - (ref - before)|| / ||ref - before||
(the second is far stricter: it is the error of the step itself; with Adam's
first step most elements move by about lr·sign(g), so elements whose gradient
is within float32 noise of 0 may legitimately move the other way).
Exit status 0 when every weights error is at most --tol, 1 otherwise.

Data: the text pipeline is predict_torch.py's (see its doc). Readers, as in
docs/data-formats.md: fastText lines (.txt, label prefix data.label_prefix, first label
of a line kept, blank lines skipped), TSV / CSV with a header row
(data.label_column, data.text_columns joined with a space; CSV through
Python's csv module), JSON Lines (.jsonl). Settings come from --before's
config "data" section unless given as flags. Labels unknown to the model are
an error. Masked models run every text over its own length; unmasked ones pad
every text to text.sequence_length on the text.pad side (to the longest text,
at least 1, when it is 0), as one batch.
"""

import argparse
import csv
import io
import json
import math
import os
import sys

import torch

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lstmref  # noqa: E402
import predict_torch as pt  # noqa: E402


def split_field(s):
    """First white-space separated field of s and the rest (both trimmed)."""
    s = s.lstrip("".join(pt.WHITE_SPACE))
    for i, c in enumerate(s):
        if c in pt.WHITE_SPACE:
            return s[:i], s[i:].lstrip("".join(pt.WHITE_SPACE))
    return s, ""


def read_examples(path, fmt, data_cfg):
    """[(text, label)] from path."""
    if fmt == "auto":
        ext = os.path.splitext(path)[1].lower()
        fmt = {".txt": "fasttext", ".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl"}.get(ext)
        if fmt is None:
            raise SystemExit(f"{path}: cannot tell the format from the extension; use --format")
    prefix = data_cfg.get("label_prefix", "__label__")
    label_col = data_cfg.get("label_column", "label")
    text_cols = data_cfg.get("text_columns", ["text"])
    lines = list(pt.read_lines([path]))
    out = []
    if fmt == "fasttext":
        for n, line in enumerate(lines, 1):
            line = line.strip("".join(pt.WHITE_SPACE))
            if not line:
                continue
            first, rest = split_field(line)
            if not first.startswith(prefix) or first == prefix:
                raise SystemExit(f"{path}:{n}: no label")
            while prefix:
                f, r = split_field(rest)
                if not f or not f.startswith(prefix):
                    break
                rest = r
            out.append((rest, first[len(prefix):]))
        return out
    if fmt in ("csv", "tsv"):
        if fmt == "csv":
            rows = [r for r in csv.reader(io.StringIO("\n".join(lines) + "\n")) if r]
        else:
            rows = [ln.split("\t") for ln in lines if ln]
        header, rows = rows[0], rows[1:]
        li = header.index(label_col)
        ti = [header.index(c) for c in text_cols]
        return [(" ".join(r[i] for i in ti), r[li]) for r in rows]
    if fmt == "jsonl":
        for line in lines:
            if not line.strip():
                continue
            obj = json.loads(line, parse_int=str, parse_float=str)
            out.append((" ".join(obj[c] for c in text_cols), str(obj[label_col])))
        return out
    raise SystemExit(f"unknown format {fmt!r}")


def full_batch_grads(params, layers, cfg, seqs, labels, chunk=512):
    """Gradient of the mean loss over all samples (accumulated in chunks)."""
    text_cfg, masked = cfg["text"], bool(cfg["model"]["mask_padding"])
    seq_len = int(text_cfg.get("sequence_length", 0) or 0)
    pad_pre = text_cfg.get("pad", "post") == "pre"
    steps_all = seq_len if seq_len > 0 else max(1, max(len(s) for s in seqs))
    order = sorted(range(len(seqs)), key=lambda i: -len(seqs[i])) if masked else list(range(len(seqs)))
    n = len(seqs)
    p = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    total = 0.0
    for start in range(0, n, chunk):
        idx = order[start:start + chunk]
        b = len(idx)
        if masked:
            steps = max(1, len(seqs[idx[0]]))
            rows = [seqs[i] + [0] * (steps - len(seqs[i])) for i in idx]
            lens = [len(seqs[i]) for i in idx]
        else:
            steps = steps_all
            rows = []
            for i in idx:
                fill = [0] * (steps - len(seqs[i]))
                rows.append(fill + seqs[i] if pad_pre else seqs[i] + fill)
            lens = [steps] * b
        toks = [rows[j][t] for t in range(steps) for j in range(b)]
        logits = lstmref.forward(p, layers, toks, lens, b, steps, masked,
                                 **lstmref.model_options(cfg))
        lab = torch.tensor([labels[i] for i in idx])
        loss = -torch.log_softmax(logits, 1).gather(1, lab.unsqueeze(1)).sum() / n
        loss.backward()
        total += float(loss)
    return {k: v.grad.detach() for k, v in p.items()}, total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", required=True)
    ap.add_argument("--after", required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--format", default=None)
    ap.add_argument("--tol", type=float, default=2e-3)
    for k in ("learning_rate", "beta_1", "beta_2", "epsilon", "clipnorm", "global_clipnorm"):
        ap.add_argument("--" + k.replace("_", "-"), type=float, default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)

    params, layers, cfg, vocab, label_names = pt.model_from_file(args.before)
    after, after_meta = pt.read_safetensors(args.after)
    after_cfg = json.loads(after_meta.get("config", "{}"))
    opt = dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
               clipnorm=0.0, global_clipnorm=0.0)
    opt.update({k: v for k, v in after_cfg.get("train", {}).get("optimizer", {}).items() if k in opt})
    for k in opt:
        if getattr(args, k) is not None:
            opt[k] = getattr(args, k)
    data_cfg = cfg.get("data", {})
    fmt = args.format or data_cfg.get("format", "auto")

    index = {tok: i for i, tok in enumerate(vocab)}
    lab_index = {name: i for i, name in enumerate(label_names)}
    examples = read_examples(args.train, fmt, data_cfg)
    if not examples:
        raise SystemExit(f"{args.train}: no samples")
    seqs, labels = [], []
    for text, label in examples:
        if label not in lab_index:
            raise SystemExit(f"{args.train}: label {label!r} is not one of the model's {label_names}")
        seqs.append(pt.encode(text, cfg["text"], index))
        labels.append(lab_index[label])

    grads, loss = full_batch_grads(params, layers, cfg, seqs, labels)
    ref = {k: v.clone() for k, v in params.items()}
    adam = lstmref.Adam(ref, lr=opt["learning_rate"], beta_1=opt["beta_1"], beta_2=opt["beta_2"],
                        epsilon=opt["epsilon"], clipnorm=opt["clipnorm"],
                        global_clipnorm=opt["global_clipnorm"])
    adam.step(ref, grads)

    print(f"samples {len(seqs)}, mean loss at --before {loss:.6f}, optimizer {opt}")
    worst = 0.0
    for name in lstmref.param_names(layers, lstmref.model_options(cfg)["bidirectional"]):
        if name not in after or after[name].shape != ref[name].shape:
            print(f"{name}: missing or misshaped in --after")
            worst = math.inf
            continue
        a, r, b = after[name], ref[name], params[name]
        w_err = float((a - r).norm() / max(float(r.norm()), 1e-300))
        du = r - b
        u_err = float(((a - b) - du).norm() / max(float(du.norm()), 1e-300))
        flips = int(((a - b) * du < 0).sum())
        worst = max(worst, w_err)
        print(f"{name:28s} weights rel err {w_err:.3e}   update rel err {u_err:.3e}   "
              f"|update| {float(du.norm()):.3e}   elements moved the other way {flips}")
    ok = worst <= args.tol
    print(("OK" if ok else "FAIL") + f": max weights rel err {worst:.3e}, tolerance {args.tol:g}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
