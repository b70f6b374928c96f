#!/usr/bin/python3
"""Compares two prediction files in `lstmctl predict --format jsonl` form.

    /usr/bin/python3 scripts/reference/compare_predict.py A.jsonl B.jsonl [--tol 1e-4]

Line i of A is compared with line i of B (both files must have the same number
of lines). Each line's probabilities are read from its "top" list (and the
top-level "label"/"probability"); a label listed on one side but not on the
other is a failure, so use --top-k C (all classes) on both sides.

Reports the number of lines, the largest absolute difference of any class
probability (with its line and label), the largest per label, and how many
lines disagree on the top label (reported, not a failure by itself: near-ties
may order differently). Exit status: 0 when every difference is at
most --tol (default 1e-4) and nothing is missing, 1 otherwise, 2 on unusable
input.
"""

import argparse
import json
import sys


def read(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise SystemExit(f"{path}:{n}: not JSON: {e}")
            top = obj.get("top") or []
            probs = {e["label"]: float(e["probability"]) for e in top}
            if "label" not in obj or "probability" not in obj:
                raise SystemExit(f"{path}:{n}: no label/probability")
            if obj["label"] in probs and abs(probs[obj["label"]] - float(obj["probability"])) > 0:
                raise SystemExit(f"{path}:{n}: top-level probability differs from its top entry")
            probs.setdefault(obj["label"], float(obj["probability"]))
            rows.append((obj["label"], probs, len(top)))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args()
    try:
        a, b = read(args.a), read(args.b)
    except OSError as e:
        print(e, file=sys.stderr)
        return 2
    if len(a) != len(b):
        print(f"line counts differ: {args.a} has {len(a)}, {args.b} has {len(b)}")
        return 1
    worst, worst_at = 0.0, None
    per_label = {}
    missing = []
    top_disagree = []
    for i, ((la, pa, ka), (lb, pb, kb)) in enumerate(zip(a, b), 1):
        if la != lb:
            top_disagree.append(i)
        for label in set(pa) | set(pb):
            if label not in pa or label not in pb:
                missing.append((i, label))
                continue
            d = abs(pa[label] - pb[label])
            per_label[label] = max(per_label.get(label, 0.0), d)
            if d > worst or worst_at is None:
                worst, worst_at = d, (i, label, pa[label], pb[label])
    print(f"lines: {len(a)}")
    if worst_at is not None:
        i, label, x, y = worst_at
        print(f"max |probability difference|: {worst:.3e} (line {i}, label {label!r}: {x!r} vs {y!r})")
    for label in sorted(per_label):
        print(f"  {label}: max |diff| {per_label[label]:.3e}")
    print(f"lines whose top label differs: {len(top_disagree)}"
          + (f" (first: {top_disagree[:10]})" if top_disagree else ""))
    if missing:
        print(f"labels listed on one side only: {len(missing)} (first: {missing[:5]}); "
              "use --top-k C on both sides")
    ok = worst <= args.tol and not missing
    print(("OK" if ok else "FAIL") + f": tolerance {args.tol:g}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
