"""Writes pkg/model/testdata/embedding_bag.json: the subword embedding of
lstmctl (embed.Table.LookupBags / AddGradBags) computed by PyTorch float64
torch.nn.functional.embedding_bag(mode="mean").

A token id below V reads the mean of its word row W[id] and its bag's rows
of the subword table S; an id from V up is a word out of the vocabulary,
whose word row is W[unknown]. In embedding_bag terms the weight is W
stacked over S and each token is the bag [word row, V + subword rows...].
The gradient is that of sum(out * dy).

Run: /usr/bin/python3 scripts/reference/embedding_bag.py
"""
import json
import os

import torch

torch.manual_seed(7)
V, E, BUCKETS, UNKNOWN = 6, 4, 5, 1
# The bags of ids 0..V-1 (the vocabulary: 0 and 1 without subwords) and of
# two words out of the vocabulary (ids V and V+1), a repeated row included.
bags = [[], [], [0, 3], [4], [1, 1, 2], [], [2, 0], [3]]
ids = [2, 4, 6, 1, 0, 7, 5, 4, 3]

W = torch.randn(V, E, dtype=torch.float64, requires_grad=True)
S = torch.randn(BUCKETS, E, dtype=torch.float64, requires_grad=True)
flat, offsets = [], []
for i in ids:
    offsets.append(len(flat))
    flat.append(i if i < V else UNKNOWN)
    flat.extend(V + j for j in bags[i])
weight = torch.cat([W, S])
out = torch.nn.functional.embedding_bag(torch.tensor(flat), weight, torch.tensor(offsets), mode="mean")
dy = torch.randn(out.shape, dtype=torch.float64)
(out * dy).sum().backward()

off, rows = [0], []
for b in bags:
    rows.extend(b)
    off.append(len(rows))
fix = {
    "v": V, "e": E, "buckets": BUCKETS, "unknown": UNKNOWN,
    "w": W.detach().flatten().tolist(), "s": S.detach().flatten().tolist(),
    "ids": ids, "off": off, "rows": rows,
    "dy": dy.flatten().tolist(), "out": out.detach().flatten().tolist(),
    "grad_w": W.grad.flatten().tolist(), "grad_s": S.grad.flatten().tolist(),
}
path = os.path.join(os.path.dirname(__file__), "..", "..", "pkg", "model", "testdata", "embedding_bag.json")
with open(path, "w") as f:
    json.dump(fix, f, indent=1)
    f.write("\n")
print("wrote", os.path.normpath(path))
