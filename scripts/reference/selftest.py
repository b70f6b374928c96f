#!/usr/bin/python3
"""Self-test of predict_torch.py (no lstmctl needed).

    /usr/bin/python3 scripts/reference/selftest.py

1. For every fixture in pkg/train/testdata/reference it writes a safetensors
   model file by hand (fixture weights, a vocabulary w2..w{V-1}, config with
   the fixture's masking / padding / sequence length), writes the fixture's
   batch as text lines (with case and punctuation noise, and an unknown word
   for id 1), runs predict_torch.py on them and checks the probabilities
   against softmax(fixture logits) to 1e-6 (the logits carry 7 digits).
2. Checks the tokenizer and line reader on edge cases (CRLF, BOM, final line
   without newline, invalid UTF-8, Unicode lower-casing and white space).
3. Checks compare_predict.py passes identical files and fails a perturbed one.
4. Checks adam_step_torch.py: a model from each fixture as --before, the
   fixture's parameters after one Adam step as --after, the fixture's batch as
   a fastText file: one full-batch step must reproduce them (rel err < 1e-6),
   and a perturbed --after must fail.
"""

import hashlib
import json
import math
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, HERE)
import predict_torch  # noqa: E402

FIXTURES = os.path.join(HERE, "..", "..", "pkg", "train", "testdata", "reference")


def write_safetensors(path, tensors, meta):
    """tensors: list of (name, shape, float list). Adds the sha256 metadata."""
    header, blobs, off = {}, [], 0
    for name, shape, values in tensors:
        blob = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [off, off + len(blob)]}
        blobs.append(blob)
        off += len(blob)
    data = b"".join(blobs)
    meta = dict(meta, sha256=hashlib.sha256(data).hexdigest())
    header["__metadata__"] = meta
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


def fixture_check(tmp):
    names = sorted(n for n in os.listdir(FIXTURES) if n.endswith(".json"))
    assert names, "no fixtures"
    for name in names:
        fx = json.load(open(os.path.join(FIXTURES, name)))
        V = fx["config"]["vocab_size"]
        C = fx["config"]["num_classes"]
        vocab = ["", "[UNK]"] + [f"w{i}" for i in range(2, V)]
        labels = [f"class{c}" for c in range(C)]
        inp = fx["input"]
        if "label_sets" in inp:
            # predict_torch and adam_step_torch are single-label (softmax)
            # tools; the multi-label case is checked by the Go reference test.
            print(f"--  {name}: multi-label, not a case for these tools")
            continue
        B, T = inp["B"], inp["T"]
        masked = fx["config"]["model"]["mask_padding"]
        cfg = {"text": {"standardize": "lower_and_strip_punctuation", "split": "whitespace",
                        "sequence_length": T if not masked else 0,
                        "truncate": "post", "pad": inp["pad"]},
               "model": fx["config"]["model"]}
        meta = {"format": "lstmctl", "format_version": "1", "config": json.dumps(cfg),
                "vocab": json.dumps(vocab), "labels": json.dumps(labels)}
        model = os.path.join(tmp, name + ".safetensors")
        write_safetensors(model, [(p["name"], p["shape"], p["values"]) for p in fx["params"]], meta)
        lines = []
        for b in range(B):
            col = [inp["tokens"][t * B + b] for t in range(T)]
            real = inp["real_lengths"][b]
            ids = col[:real] if inp["pad"] == "post" else col[T - real:]
            words = ["Zzz-unknown" if i == 1 else f"W{i}," for i in ids]
            lines.append("  ".join(words) + ("\r" if b % 2 else ""))
        text = os.path.join(tmp, name + ".txt")
        with open(text, "w", newline="") as f:
            f.write("\n".join(lines))  # the last line has no newline
        out = subprocess.run([sys.executable, os.path.join(HERE, "predict_torch.py"),
                              "--model", model, "--top-k", str(C), text],
                             check=True, capture_output=True, text=True).stdout.splitlines()
        assert len(out) == B, (name, len(out))
        for b, line in enumerate(out):
            row = fx["logits"][b * C:(b + 1) * C]
            mx = max(row)
            z = sum(math.exp(x - mx) for x in row)
            want = {labels[c]: math.exp(row[c] - mx) / z for c in range(C)}
            got = json.loads(line)
            probs = {e["label"]: e["probability"] for e in got["top"]}
            assert len(got["top"]) == C and set(probs) == set(want), (name, b, got)
            best = max(range(C), key=lambda c: (want[labels[c]], -c))
            assert got["label"] == labels[best], (name, b, got["label"], labels[best])
            for k, v in want.items():
                # The fixture logits carry 7 significant digits.
                assert abs(probs[k] - v) < 1e-6, (name, b, k, probs[k], v)
        print(f"ok  predict_torch reproduces {name}")

        # adam_step_torch: the fixture's first step is a full-batch step.
        after_cfg = dict(cfg, train={"optimizer": fx["config"]["optimizer"]})
        after_meta = dict(meta, config=json.dumps(after_cfg))
        after = os.path.join(tmp, name + ".after.safetensors")
        after_params = [(p["name"], p["shape"], fx["params_after_1"][p["name"]]) for p in fx["params"]]
        write_safetensors(after, after_params, after_meta)
        ft = os.path.join(tmp, name + ".ft.txt")
        with open(ft, "w") as f:
            for b, line in enumerate(lines):
                f.write(f"__label__{labels[inp['labels'][b]]} {line.rstrip()}\n")
        cmd = [sys.executable, os.path.join(HERE, "adam_step_torch.py"), "--before", model,
               "--after", after, "--train", ft, "--tol", "1e-6"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        after_params[-1] = (after_params[-1][0], after_params[-1][1],
                            [v + 1e-3 for v in after_params[-1][2]])
        write_safetensors(after, after_params, after_meta)
        r = subprocess.run(cmd, capture_output=True, text=True)
        assert r.returncode == 1, r.stdout + r.stderr
        print(f"ok  adam_step_torch reproduces {name}")


def tokenizer_check():
    tok = lambda s, mode="lower_and_strip_punctuation": predict_torch.tokens(s, mode, "whitespace")
    cases = [
        ("Don't STOP\u2014now!", ["dont", "stop\u2014now"]),
        ("a\u00a0b\u3000c\u2009d\u0085e", ["a", "b", "c", "d", "e"]),
        ("a\x1cb", ["a\x1cb"]),
        ("\u0130stanbul \u03a3\u0391\u03a3", ["istanbul", "\u03c3\u03b1\u03c3"]),
        ("  ,,, ... ", []),
        ("e-mail_address@x.org", ["emailaddressxorg"]),
    ]
    for s, want in cases:
        assert tok(s) == want, (s, tok(s), want)
    assert tok("Hello, World", "lower") == ["hello,", "world"]
    assert tok("Hello, World", "strip_punctuation") == ["Hello", "World"]
    assert tok("Hello, World", "none") == ["Hello,", "World"]
    with tempfile.NamedTemporaryFile("wb", delete=False) as f:
        f.write(b"\xef\xbb\xbfone\r\n\r\ntwo \xe9t\xe9\n\xe2\x82three\r")
    got = list(predict_torch.read_lines([f.name]))
    os.unlink(f.name)
    assert got == ["one", "", "two \ufffdt\ufffd", "\ufffdthree"], got
    print("ok  tokenizer and line reader")


def compare_check(tmp):
    a = os.path.join(tmp, "a.jsonl")
    b = os.path.join(tmp, "b.jsonl")
    row = {"label": "x", "probability": 0.75,
           "top": [{"label": "x", "probability": 0.75}, {"label": "y", "probability": 0.25}]}
    with open(a, "w") as f:
        f.write(json.dumps(row) + "\n")
    script = os.path.join(HERE, "compare_predict.py")
    assert subprocess.run([sys.executable, script, a, a], capture_output=True).returncode == 0
    row["top"][0]["probability"] = row["probability"] = 0.7502
    with open(b, "w") as f:
        f.write(json.dumps(row) + "\n")
    r = subprocess.run([sys.executable, script, a, b], capture_output=True, text=True)
    assert r.returncode == 1 and "2.000e-04" in r.stdout, r.stdout
    print("ok  compare_predict")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer_check()
        compare_check(tmp)
        fixture_check(tmp)


if __name__ == "__main__":
    main()
