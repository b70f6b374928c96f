#!/usr/bin/env python3
"""Move LSTM classifiers between PyTorch and lstmctl.

    python3 torch_convert.py export TRAIN.txt OUT.safetensors [FILE...]
    python3 torch_convert.py predict MODEL.safetensors [FILE...]

export trains a small PyTorch model (nn.Embedding -> nn.LSTM -> nn.LSTM ->
nn.Linear) on fastText lines (`__label__X text`), writes it as an lstmctl
model file, and prints the PyTorch model's probabilities of the lines of
FILE... as JSON lines; `lstmctl predict --model OUT.safetensors --format
jsonl --top-k C FILE...` prints the same.

predict loads an lstmctl model file (float32 or int8) into the same PyTorch
module and prints its probabilities of the lines of FILE... (else stdin), in
the shape of `lstmctl predict --format jsonl --top-k C`.

The file is written with a plain safetensors writer (a JSON header, then the
tensors' little-endian bytes): no safetensors package is needed, and a file
saved by `safetensors.torch.save_file(tensors, metadata=...)` with the same
names and metadata loads in lstmctl the same way. What the conversion has to
get right (docs/model-format.md has the layouts):

  - gate order: PyTorch's i, f, g, o is lstmctl's i, f, c, o: no reordering;
  - PyTorch stores weight_ih_l0 [4H, in] and weight_hh_l0 [4H, H]; lstmctl's
    kernels are their transposes, [in, 4H] and [H, 4H];
  - PyTorch adds two biases, bias_ih_l0 + bias_hh_l0; lstmctl has one, their
    sum;
  - nn.Linear's weight [C, D] is dense.kernel transposed;
  - the metadata: format, format_version, config (text settings and the
    architecture), vocab (id order, "" and "[UNK]" first) and labels.

lstmctl runs only the real tokens of each text and reads the state after the
last one (model.mask_padding true, pooling last): so does this module, one
text at a time. The tokenizer is predict_numpy.py's, which is lstmctl's.
cmd/lstmctl/torch_example_test.go checks both directions against lstmctl
predict to 1e-5.
"""

import json
import struct
import sys
import types

import numpy as np
import torch
import torch.nn as nn

import predict_numpy

# The text settings of the exported model: lstmctl's defaults.
TEXT = {"standardize": "lower_and_strip_punctuation", "split": "whitespace", "sequence_length": 128,
        "truncate": "post", "pad": "post"}


class LSTMClassifier(nn.Module):
    """Embedding -> stacked LSTMs -> the last state -> Linear (logits)."""

    def __init__(self, vocab_size, embedding_dim, units, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        sizes = [embedding_dim] + list(units)
        self.lstms = nn.ModuleList(nn.LSTM(sizes[k], sizes[k + 1], batch_first=True) for k in range(len(units)))
        self.dense = nn.Linear(sizes[-1], classes)

    def forward(self, ids):
        """ids: one text's token ids (a 1-D LongTensor); returns its logits."""
        if len(ids) == 0:  # lstmctl reads zeros for an empty text
            return self.dense(torch.zeros(self.dense.in_features, dtype=self.dense.weight.dtype))
        x = self.embedding(ids)[None]
        for lstm in self.lstms:
            x, _ = lstm(x)
        return self.dense(x[0, -1])


def tokenizer():
    """lstmctl's default tokenizer (lower-case, strip punctuation, split on
    white space), from predict_numpy.py."""
    settings = types.SimpleNamespace(lower=True, strip=True)
    return lambda text: predict_numpy.Model.tokens(settings, text)


def encode(tokens, vocab):
    ids = [vocab.get(t, 1) for t in tokens]
    return ids[: TEXT["sequence_length"]]


# --- safetensors, by hand ---------------------------------------------------

def write_safetensors(path, tensors, metadata):
    """A plain safetensors writer: tensors is a list of (name, numpy array)
    of float32 (or int8), metadata a dict of strings. No checksums: lstmctl
    verifies its own when a file has them and reads files without."""
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name, arr in tensors:
        dtype = {np.dtype("float32"): "F32", np.dtype("int8"): "I8"}[arr.dtype]
        raw = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)  # the data 8-byte aligned, as other writers do
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def read_safetensors(path):
    """Returns (tensors, metadata); F32 and I8 tensors as numpy arrays."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    body = data[8 + n :]
    metadata = header.pop("__metadata__", {})
    dtypes = {"F32": "<f4", "I8": "i1"}
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(body[begin:end], dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
    return tensors, metadata


# --- PyTorch -> lstmctl -----------------------------------------------------

def to_lstmctl(model, vocab, labels, path):
    """Writes model (an LSTMClassifier) with its vocabulary (tokens by id)
    and labels as an lstmctl model file."""
    f32 = lambda t: t.detach().cpu().numpy().astype(np.float32)
    tensors = [("embedding.embeddings", f32(model.embedding.weight))]
    for k, lstm in enumerate(model.lstms):
        tensors += [
            ("lstm.%d.kernel" % k, f32(lstm.weight_ih_l0).T),  # [4H, in] -> [in, 4H]
            ("lstm.%d.recurrent_kernel" % k, f32(lstm.weight_hh_l0).T),  # [4H, H] -> [H, 4H]
            ("lstm.%d.bias" % k, f32(lstm.bias_ih_l0 + lstm.bias_hh_l0)),  # two biases -> one
        ]
    tensors += [("dense.kernel", f32(model.dense.weight).T), ("dense.bias", f32(model.dense.bias))]
    config = {
        "text": TEXT,
        "model": {
            "embedding_dim": model.embedding.embedding_dim,
            "lstm": [lstm.hidden_size for lstm in model.lstms],
            "mask_padding": True,
            "embedding_vectors": "none",
        },
    }
    metadata = {
        "format": "lstmctl",
        "format_version": "1",
        "config": json.dumps(config, separators=(",", ":")),
        "vocab": json.dumps(vocab, ensure_ascii=False),
        "labels": json.dumps(labels, ensure_ascii=False),
    }
    write_safetensors(path, tensors, metadata)


# --- lstmctl -> PyTorch -----------------------------------------------------

def from_lstmctl(path):
    """Returns (model, vocab dict, labels) of an lstmctl model file, float32
    or int8 (dequantized: weight = int8 value * the row's scale)."""
    tensors, meta = read_safetensors(path)
    if meta.get("format") != "lstmctl" or meta.get("format_version") != "1":
        raise SystemExit(f"{path}: not an lstmctl model file of format_version 1")
    config = json.loads(meta["config"])
    m, text = config["model"], config.get("text", {})
    if m.get("bidirectional") or (m.get("pooling") or "last") != "last" or not m.get("mask_padding"):
        raise SystemExit(f"{path}: this example covers masked, unidirectional models read at the last state")
    if any(text.get(k, v) != v for k, v in TEXT.items()):
        raise SystemExit(f"{path}: this example tokenizes with lstmctl's default text settings only")

    def weight(name):
        w = tensors[name]
        if w.dtype == np.int8:
            w = w.astype(np.float32) * tensors[name + ".scale"][:, None]
        return torch.from_numpy(np.array(w, dtype=np.float32))

    vocab, labels = json.loads(meta["vocab"]), json.loads(meta["labels"])
    model = LSTMClassifier(len(vocab), m["embedding_dim"], m["lstm"], len(labels))
    with torch.no_grad():
        model.embedding.weight.copy_(weight("embedding.embeddings"))
        for k, lstm in enumerate(model.lstms):
            lstm.weight_ih_l0.copy_(weight("lstm.%d.kernel" % k).T)
            lstm.weight_hh_l0.copy_(weight("lstm.%d.recurrent_kernel" % k).T)
            lstm.bias_ih_l0.copy_(weight("lstm.%d.bias" % k))
            lstm.bias_hh_l0.zero_()
        model.dense.weight.copy_(weight("dense.kernel").T)
        model.dense.bias.copy_(weight("dense.bias"))
    return model, {tok: i for i, tok in enumerate(vocab)}, labels


# --- the two commands ---------------------------------------------------------

def train(path, epochs=8, seed=1):
    """A small PyTorch training run on fastText lines: stands for the user's
    own model. Returns (model, vocabulary tokens by id, labels)."""
    tok = tokenizer()
    texts, names = [], []
    with open(path, "rb") as f:
        for line in predict_numpy.read_lines(f.read()):
            label, _, text = line.partition(" ")
            names.append(label[len("__label__") :])
            texts.append(tok(text))
    labels = sorted(set(names))
    vocab = ["", "[UNK]"] + sorted({t for ts in texts for t in ts})
    index = {t: i for i, t in enumerate(vocab)}
    torch.manual_seed(seed)
    model = LSTMClassifier(len(vocab), 16, [12, 8], len(labels))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    data = [(torch.tensor(encode(ts, index), dtype=torch.long), labels.index(n)) for ts, n in zip(texts, names)]
    for _ in range(epochs):
        for ids, y in data:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(ids)[None], torch.tensor([y]))
            loss.backward()
            opt.step()
    return model, vocab, labels


def print_predictions(model, vocab, labels, sources, out):
    """Writes one JSON line per input line, as lstmctl predict --format
    jsonl --top-k C does; the forward pass runs in float64."""
    tok = tokenizer()
    model = model.double().eval()
    for src in sources:
        raw = sys.stdin.buffer.read() if src is None else open(src, "rb").read()
        for line in predict_numpy.read_lines(raw):
            ids = torch.tensor(encode(tok(line), vocab), dtype=torch.long)
            with torch.no_grad():
                p = torch.softmax(model(ids), dim=-1).numpy()
            order = sorted(range(len(p)), key=lambda j: (-p[j], j))
            top = [{"label": labels[j], "probability": float(p[j])} for j in order]
            out.write(json.dumps({"label": top[0]["label"], "probability": top[0]["probability"], "top": top}) + "\n")


def main(argv):
    if len(argv) >= 4 and argv[1] == "export":
        model, vocab, labels = train(argv[2])
        to_lstmctl(model, vocab, labels, argv[3])
        index = {t: i for i, t in enumerate(vocab)}
        print_predictions(model, index, labels, argv[4:], sys.stdout)
        return 0
    if len(argv) >= 3 and argv[1] == "predict":
        model, vocab, labels = from_lstmctl(argv[2])
        print_predictions(model, vocab, labels, argv[3:] or [None], sys.stdout)
        return 0
    print("\n".join(__doc__.strip().splitlines()[2:4]), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
