#!/usr/bin/env python3
"""Run an lstmctl model with numpy alone.

    python3 predict_numpy.py MODEL.safetensors [FILE...] < lines.txt

reads bare text, one document per line (from the files given, else stdin),
and writes one JSON line per input line, in order, in the shape of
`lstmctl predict --format jsonl --top-k C`:

    {"label": "sports", "probability": 0.97, "top": [{"label": ..., "probability": ...}, ...]}

It reads the safetensors file with json and struct (no safetensors package),
takes the text settings, the vocabulary and the labels from the file's
metadata, tokenizes as lstmctl does and runs the forward pass in float64:
embedding, the LSTM layers (Keras gate order i, f, c, o), the read-out,
dense, softmax (sigmoid for a multi-label model, whose config has
model.output_activation "sigmoid"). docs/model-format.md describes the file. The probabilities
agree with lstmctl's to about 1e-6; cmd/lstmctl/numpy_example_test.go
checks them against `lstmctl predict` to 1e-5.

Supported: every text setting (standardize, truncate, pad, sequence_length),
masked and unmasked padding, bidirectional layers and the last, mean and max
read-outs. Dropout only acts in training, so it does not matter here.
Refused with a message: an unmasked model with sequence_length 0 (lstmctl
then pads each batch to its longest text, which this per-line script cannot
reproduce) and a file that is not an lstmctl model.
"""

import json
import struct
import sys

import numpy as np

# Python's string.punctuation: the ASCII characters lstmctl strips.
PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")

# Go's unicode.IsSpace, which lstmctl splits on (Python's str.isspace also
# counts \x1c-\x1f, which Go does not).
WHITESPACE = set("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | {
    chr(c) for c in range(0x2000, 0x200B)
}


class ModelError(Exception):
    pass


def read_safetensors(path):
    """Returns (tensors, metadata): float32 arrays by name and the string metadata."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ModelError(f"{path}: too short to be a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ModelError(f"{path}: header length {n} runs past the end of the file")
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    body = data[8 + n :]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            raise ModelError(f"{path}: tensor {name} is {entry['dtype']}, want F32")
        begin, end = entry["data_offsets"]
        arr = np.frombuffer(body[begin:end], dtype="<f4")
        tensors[name] = arr.reshape(entry["shape"])
    return tensors, metadata


class Model:
    def __init__(self, path):
        tensors, meta = read_safetensors(path)
        if meta.get("format") != "lstmctl":
            raise ModelError(f"{path}: not an lstmctl model (format {meta.get('format')!r})")
        if meta.get("format_version") != "1":
            raise ModelError(f"{path}: format_version {meta.get('format_version')!r}, this script reads 1")
        config = json.loads(meta["config"])
        self.vocab = {tok: i for i, tok in enumerate(json.loads(meta["vocab"]))}
        self.labels = json.loads(meta["labels"])

        text = config.get("text", {})
        standardize = text.get("standardize", "lower_and_strip_punctuation")
        modes = {
            "lower_and_strip_punctuation": (True, True),
            "lower": (True, False),
            "strip_punctuation": (False, True),
            "none": (False, False),
        }
        if standardize not in modes:
            raise ModelError(f"{path}: text.standardize {standardize!r} is not one this script knows")
        self.lower, self.strip = modes[standardize]
        if text.get("split", "whitespace") != "whitespace":
            raise ModelError(f"{path}: text.split {text.get('split')!r} is not supported")
        if text.get("ngrams", 0) > 1:
            raise ModelError(f"{path}: text.ngrams {text.get('ngrams')!r} is not supported")
        if text.get("subwords"):
            raise ModelError(f"{path}: text.subwords is not supported")
        self.seq_len = int(text.get("sequence_length", 0))
        self.truncate_pre = text.get("truncate", "post") == "pre"
        self.pad_pre = text.get("pad", "post") == "pre"

        m = config["model"]
        self.masked = bool(m.get("mask_padding", False))
        self.bidirectional = bool(m.get("bidirectional", False))
        self.pooling = m.get("pooling") or "last"
        self.sigmoid = m.get("output_activation") == "sigmoid"
        if self.pooling not in ("last", "mean", "max"):
            raise ModelError(f"{path}: pooling {self.pooling!r} is not supported")
        if not self.masked and self.seq_len == 0:
            raise ModelError(
                f"{path}: an unmasked model with text.sequence_length 0 pads each batch "
                "to its longest text; this script cannot reproduce that"
            )

        f64 = lambda name: tensors[name].astype(np.float64)
        self.embedding = f64("embedding.embeddings")
        self.layers = []
        for k in range(len(m["lstm"])):
            dirs = ["lstm.%d" % k] + (["lstm.%d.backward" % k] if self.bidirectional else [])
            self.layers.append([(f64(d + ".kernel"), f64(d + ".recurrent_kernel"), f64(d + ".bias")) for d in dirs])
        self.dense_kernel = f64("dense.kernel")
        self.dense_bias = f64("dense.bias")

    def tokens(self, text):
        """lstmctl's tokenizer: per character lower-case and/or drop ASCII
        punctuation, then split on runs of white space; a token is cut to
        its first MAX_TOKEN_BYTES bytes of UTF-8, at a character."""
        out, cur = [], []
        for ch in text:
            if ch < "\x80":
                if ch in WHITESPACE:
                    if cur:
                        out.append("".join(cur))
                        cur = []
                    continue
                if self.strip and ch in PUNCTUATION:
                    continue
                if self.lower and "A" <= ch <= "Z":
                    ch = ch.lower()
                cur.append(ch)
                continue
            if self.lower:
                ch = simple_lower(ch)
            if ch in WHITESPACE:
                if cur:
                    out.append(cut_token(cur))
                    cur = []
                continue
            cur.append(ch)
        if cur:
            out.append(cut_token(cur))
        return out

    def encode(self, text):
        ids = [self.vocab.get(tok, 1) for tok in self.tokens(text)]
        keep = self.seq_len or MAX_SEQUENCE_LENGTH
        if len(ids) > keep:
            ids = ids[-keep:] if self.truncate_pre else ids[:keep]
        return ids

    def probabilities(self, text):
        ids = self.encode(text)
        if self.masked:
            steps = ids  # only the real tokens run; an empty text reads zeros
        else:
            pad = [0] * (self.seq_len - len(ids))
            steps = pad + ids if self.pad_pre else ids + pad
        x = self.embedding[steps] if steps else np.zeros((0, self.embedding.shape[1]))
        for layer in self.layers:
            outs = [lstm(x, *layer[0])]
            if self.bidirectional:
                # The backward LSTM reads the steps in reverse; its outputs
                # are put back in time order and concatenated after the
                # forward ones.
                outs.append(lstm(x[::-1], *layer[1])[::-1])
            x = np.concatenate(outs, axis=1)
        h = self.readout(x)
        logits = h @ self.dense_kernel + self.dense_bias
        if self.sigmoid:
            return sigmoid(logits)
        e = np.exp(logits - logits.max())
        return e / e.sum()

    def readout(self, x):
        width = x.shape[1] // (2 if self.bidirectional else 1)
        if x.shape[0] == 0:
            return np.zeros(x.shape[1])
        if self.pooling == "mean":
            return x.mean(axis=0)
        if self.pooling == "max":
            return x.max(axis=0)
        # last: the forward state after the last step, the backward state
        # after the first step (the last one it read).
        parts = [x[-1, :width]]
        if self.bidirectional:
            parts.append(x[0, width:])
        return np.concatenate(parts)


# lstmctl's bounds (data.MaxTokenBytes, data.MaxSequenceLength).
MAX_TOKEN_BYTES = 256
MAX_SEQUENCE_LENGTH = 16384


def cut_token(chars):
    """The token of chars, cut to MAX_TOKEN_BYTES bytes at a character."""
    n, kept = 0, []
    for ch in chars:
        n += len(ch.encode("utf-8", "surrogatepass"))
        if n > MAX_TOKEN_BYTES:
            break
        kept.append(ch)
    return "".join(kept)


def simple_lower(ch):
    """Go's unicode.ToLower: a one-to-one mapping, which Python's str.lower
    is not for a few characters (U+0130 becomes two)."""
    low = ch.lower()
    if len(low) == 1:
        return low
    if ch == "\u0130":
        return "i"
    return ch


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm(x, kernel, recurrent, bias):
    """One Keras LSTM over the rows of x [T, in]; returns h_t for every t, [T, H].

    z = x_t W + h_{t-1} U + b, split into the gates in the order i, f, c, o:
    c_t = f * c_{t-1} + i * tanh(z_c), h_t = o * tanh(c_t).
    """
    units = recurrent.shape[0]
    h = np.zeros(units)
    c = np.zeros(units)
    out = np.zeros((x.shape[0], units))
    proj = x @ kernel + bias
    for t in range(x.shape[0]):
        z = proj[t] + h @ recurrent
        i = sigmoid(z[:units])
        f = sigmoid(z[units : 2 * units])
        g = np.tanh(z[2 * units : 3 * units])
        o = sigmoid(z[3 * units :])
        c = f * c + i * g
        h = o * np.tanh(c)
        out[t] = h
    return out


def read_lines(raw):
    """Lines as lstmctl predict reads them: a UTF-8 byte order mark at the
    start dropped, "\\n" or "\\r\\n" ending a line, no extra line after a
    final newline, invalid UTF-8 replaced by U+FFFD."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for line in lines:
        if line.endswith(b"\r"):
            line = line[:-1]
        yield line.decode("utf-8", errors="replace")


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        model = Model(argv[1])
    except (ModelError, KeyError, ValueError) as e:
        print(f"predict_numpy: {e}", file=sys.stderr)
        return 1
    sources = argv[2:] or [None]
    out = sys.stdout
    for src in sources:
        if src is None:
            raw = sys.stdin.buffer.read()
        else:
            with open(src, "rb") as f:
                raw = f.read()
        for line in read_lines(raw):
            p = model.probabilities(line)
            order = sorted(range(len(p)), key=lambda j: (-p[j], j))
            top = [{"label": model.labels[j], "probability": float(p[j])} for j in order]
            out.write(json.dumps({"label": top[0]["label"], "probability": top[0]["probability"], "top": top}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
