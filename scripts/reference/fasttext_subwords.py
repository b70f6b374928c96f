"""Writes pkg/data/testdata/fasttext_subwords.json: the character n-grams
fastText itself gives words, and the bucket each lands in, read from
Debian's fasttext binary (apt-get install fasttext).

fastText does not print bucket numbers, so they are recovered: a tiny
supervised model is trained, `fasttext print-ngrams` prints every n-gram of
a word with its vector, and `fasttext dump input` prints the input matrix,
whose rows after the nwords word rows are the buckets; an n-gram's bucket
is the row holding its vector.

Run: /usr/bin/python3 scripts/reference/fasttext_subwords.py
"""
import json
import os
import subprocess
import tempfile

import numpy

WORDS = ["hello", "a", "ab", "café", "naïve", "北京", "東京タワー", "กินข้าว", "😀ok", "don't"]
CASES = [(3, 6, 100003), (2, 4, 997), (1, 2, 101)]
DIM = 6


def run(*args):
    return subprocess.run(["fasttext", *args], check=True, capture_output=True, text=True).stdout


def case(tmp, minn, maxn, bucket):
    train = os.path.join(tmp, "train.txt")
    with open(train, "w") as f:
        f.write("__label__x " + " ".join(WORDS) + "\n__label__y " + " ".join(reversed(WORDS)) + "\n")
    out = os.path.join(tmp, f"m{minn}{maxn}")
    run("supervised", "-input", train, "-output", out, "-minn", str(minn), "-maxn", str(maxn),
        "-bucket", str(bucket), "-dim", str(DIM), "-epoch", "1", "-minCount", "1", "-verbose", "0")
    rows = run("dump", out + ".bin", "input").splitlines()
    nrows = int(rows[0].split()[0])
    nwords = nrows - bucket
    table = numpy.array([[float(x) for x in line.split()] for line in rows[1 + nwords:]])
    words = []
    for w in WORDS:
        lines = run("print-ngrams", out + ".bin", w).splitlines()
        ngrams, buckets = [], []
        for line in lines[1:]:  # the first line is the word's own row
            parts = line.split()
            ngrams.append(" ".join(parts[:-DIM]))
            buckets.append(match(table, [float(x) for x in parts[-DIM:]]))
        words.append({"word": w, "ngrams": ngrams, "buckets": buckets})
    return {"min_n": minn, "max_n": maxn, "bucket": bucket, "words": words}


def match(table, vec):
    """The bucket whose row prints as vec (print-ngrams rounds to 5
    significant digits, dump to 6): the only row within rounding."""
    close = numpy.all(numpy.abs(table - numpy.array(vec)) <= 1e-4 * numpy.maximum(1, numpy.abs(vec)), axis=1)
    hits = numpy.flatnonzero(close)
    if len(hits) != 1:
        raise SystemExit(f"vector {vec} matches buckets {hits.tolist()}")
    return int(hits[0])


def main():
    version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "fasttext"], capture_output=True, text=True).stdout
    with tempfile.TemporaryDirectory() as tmp:
        cases = [case(tmp, *c) for c in CASES]
    path = os.path.join(os.path.dirname(__file__), "..", "..", "pkg", "data", "testdata", "fasttext_subwords.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"fasttext": version, "cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("wrote", os.path.normpath(path))


main()
