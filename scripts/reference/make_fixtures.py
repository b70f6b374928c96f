#!/usr/bin/python3
"""Writes the PyTorch reference fixtures for pkg/train/reference_test.go.

Run from anywhere:  /usr/bin/python3 scripts/reference/make_fixtures.py
(optional argument: output directory, default pkg/train/testdata/reference).

The model is written by hand in float64 with torch autograd (lstmref.py, no
nn.LSTM): Embedding [V,E] -> stacked Keras LSTMs (optionally Bidirectional, concat)
-> read-out (last state, or mean / max pooling) -> Dense [D,C] + bias -> logits;
loss = mean sparse softmax cross-entropy (or, for a case with label_sets, the
mean binary cross-entropy of sigmoid outputs); Adam in the Keras form. The exact
equations, the masking semantics and what clipnorm / global_clipnorm clip are
in the doc string of lstmref.py. In short:

  * clipnorm c:        each gradient tensor g_k (embedding, every LSTM kernel,
                       recurrent kernel and bias, dense kernel and bias) is
                       scaled by c / max(||g_k||, c) on its own;
  * global_clipnorm c: all gradient tensors are scaled by c / max(n, c) with
                       n = sqrt(sum_k ||g_k||^2) over every parameter tensor.
  Clipping is applied to the gradient before it enters m and v, at every step.

Weights are drawn from U(-0.5, 0.5) with a seeded torch.Generator (so the
gates are not saturated) and rounded to float32 before any float64 math, so
the Go float32 model starts from exactly the same numbers.

Each case is three real training steps on the same batch: the gradient is
recomputed at the updated weights before every Adam step. The fixture records
the logits, loss and gradients at the initial weights, the loss before each
step, and the parameters after step 1 and after step 3 (kept in float64).
Numbers carry 9 significant digits (initial weights, exact in float32; logits
and losses), 7 (updated parameters) or 6 (gradients): far below every
tolerance, and the files stay small (about 133 KB in all).

Fixture JSON (one file per case):
  name, description
  config: {model: {embedding_dim, lstm, mask_padding[, bidirectional, pooling]},
           vocab_size, num_classes,
           optimizer: {name, learning_rate, beta_1, beta_2, epsilon,
                       clipnorm, global_clipnorm}}
  input:  {B, T, tokens (time-major, tokens[t*B+b]), lengths (what the Go
           model.Input gets: real lengths when masked, all T when not),
           real_lengths, labels (or label_sets: the class indices of each
           sample of a multi-label case), pad}
  params: [{name, shape, values}]   model-file order, Keras layout, row-major
  logits: [B*C] row-major; loss: mean loss
  grads:  {name: values}            d loss / d param at the initial weights
  later_grads: [{name: values}] x 2 (only the 1-layer cases, to keep the files
           small): the unclipped gradients recomputed at the weights after step
           1 and after step 2; with grads they let a test drive Adam alone for
           three steps, without the model (grads alone allow one step)
  losses: [loss before step 1, 2, 3]
  clipped: [[names of tensors whose gradient was scaled, per step]]
  params_after_1, params_after_3: {name: values}
  float32_torch_max_abs_err: the same computation run by torch in float32,
           max abs error against float64, per quantity (how much float32
           noise to expect; the Go test tolerances sit well above it)
  tolerance: the per-element tolerances the Go test applies (TOLERANCE below).

The script refuses to write a case that float32 cannot reproduce (the same
math in torch float32 uses more than a tenth of a tolerance; this guards, for
example, against a tiny gradient whose Adam update float32 noise would decide)
or whose clipping case does not clip as intended.
"""

import json
import os
import sys

import torch

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lstmref  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "..", "pkg", "train", "testdata", "reference"))

ADAM_DEFAULT = dict(name="adam", learning_rate=0.001, beta_1=0.9, beta_2=0.999,
                    epsilon=1e-7, clipnorm=0.0, global_clipnorm=0.0)

# Sequences (token ids, unpadded) and labels of each case. Ids 1..V-1 may
# appear; 0 is padding. Some ids are left unused on purpose: their embedding
# rows get a zero gradient and must not move under Adam.
CASES = [
    dict(
        name="masked_2layer",
        description="2 stacked LSTMs [5,3], masking, post-padded time-major batch with "
                    "lengths 6,4,1,0 (one empty sequence); Adam lr 0.001, eps 1e-7",
        seed=11, vocab=12, emb=4, lstm=[5, 3], classes=3, masked=True, pad="post",
        seqs=[[3, 7, 1, 9, 4, 10], [5, 2, 8, 3], [6], []],
        labels=[2, 0, 1, 2],
        opt=dict(learning_rate=0.001),
    ),
    dict(
        name="unmasked_2layer_prepad",
        description="2 stacked LSTMs [5,3], no masking, pre-padded (padding id 0 fed as a "
                    "token for all 6 steps, incl. an all-padding row); Adam lr 0.01, eps 1e-7",
        seed=12, vocab=12, emb=4, lstm=[5, 3], classes=3, masked=False, pad="pre",
        seqs=[[3, 7, 1, 9, 4, 10], [5, 2, 8, 3], [6], []],
        labels=[2, 0, 1, 2],
        opt=dict(learning_rate=0.01),
    ),
    dict(
        name="clipnorm_1layer", later_grads=True,
        description="1 LSTM [5], masking, lengths 5,5,2,0; Adam lr 0.01, epsilon 1e-3, "
                    "clipnorm 0.03 (each gradient tensor clipped to norm 0.03 on its own: "
                    "dense.kernel and dense.bias are, the others are not)",
        seed=13, vocab=12, emb=4, lstm=[5], classes=3, masked=True, pad="post",
        seqs=[[4, 4, 11, 2, 7], [9, 1, 3, 3, 6], [10, 5], []],
        labels=[1, 2, 0, 1],
        opt=dict(learning_rate=0.01, epsilon=1e-3, clipnorm=0.03),
        expect_clip="some",
    ),
    dict(
        name="global_clipnorm_1layer", later_grads=True,
        description="1 LSTM [5], no masking, post-padded to 5 steps; Adam lr 0.01, "
                    "epsilon 1e-3, global_clipnorm 0.1 (all gradient tensors scaled by one "
                    "factor, about 0.4)",
        seed=14, vocab=12, emb=4, lstm=[5], classes=3, masked=False, pad="post",
        seqs=[[2, 6, 9, 1, 5], [7, 3, 11], [8, 8, 4, 10], [1]],
        labels=[0, 1, 2, 0],
        opt=dict(learning_rate=0.01, epsilon=1e-3, global_clipnorm=0.1),
        expect_clip="all",
    ),
    dict(
        name="adam_epsilon_betas", later_grads=True,
        description="small 1-LSTM model, masking, lengths 4,3,2; Adam lr 0.01, beta_1 0.8, "
                    "beta_2 0.99, epsilon 1e-3: large enough that eps placement matters "
                    "(Keras form sqrt(v)+eps differs from the PyTorch form here)",
        seed=15, vocab=7, emb=3, lstm=[4], classes=2, masked=True, pad="post",
        seqs=[[1, 2, 3, 4], [5, 6, 2], [3, 1]],
        labels=[0, 1, 1],
        opt=dict(learning_rate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-3),
    ),
    dict(
        name="bidi_maxpool_masked_2layer",
        description="2 stacked bidirectional LSTMs [5,3] (Keras Bidirectional, concat: the "
                    "backward LSTM reads the real tokens in reverse, layer 1 and the dense "
                    "layer see 2H), max pooling over the real steps, masking, lengths "
                    "6,4,1,0 (one empty sequence pools to zeros); no dropout; Adam lr 0.01",
        seed=16, vocab=12, emb=4, lstm=[5, 3], classes=3, masked=True, pad="post",
        bidirectional=True, pooling="max",
        seqs=[[3, 7, 1, 9, 4, 10], [5, 2, 8, 11], [6], []],
        labels=[2, 0, 1, 2],
        opt=dict(learning_rate=0.01),
    ),
    dict(
        name="sigmoid_bce_masked_2layer",
        description="multi-label: 2 stacked LSTMs [5,3], masking, lengths 6,4,1,0, sigmoid "
                    "outputs with binary cross-entropy from logits (mean over the 3 labels, "
                    "then over the batch) against label sets {0,2}, {1}, {0,1,2}, {} (the "
                    "last two: every label, none); Adam lr 0.01",
        seed=17, vocab=12, emb=4, lstm=[5, 3], classes=3, masked=True, pad="post",
        seqs=[[3, 7, 1, 9, 4, 10], [5, 2, 8, 3], [6], []],
        label_sets=[[0, 2], [1], [0, 1, 2], []],
        opt=dict(learning_rate=0.01),
    ),
]


def layout(case):
    """Time-major tokens, Input lengths and T for a case."""
    seqs, masked, pad = case["seqs"], case["masked"], case["pad"]
    batch = len(seqs)
    steps = max(len(s) for s in seqs)
    rows = []
    for s in seqs:
        fill = [0] * (steps - len(s))
        rows.append(s + fill if pad == "post" else fill + s)
    tokens = [rows[b][t] for t in range(steps) for b in range(batch)]
    real = [len(s) for s in seqs]
    if masked:
        assert pad == "post", "masked batches are left-aligned"
        assert all(real[i] >= real[i + 1] for i in range(batch - 1)), "lengths must be non-increasing"
        lengths = real
    else:
        lengths = [steps] * batch
    return tokens, lengths, real, batch, steps


def options(case):
    """The model options of a case (keyword arguments of lstmref.forward)."""
    return dict(bidirectional=case.get("bidirectional", False),
                pooling=case.get("pooling", "last"))


def init_params(case):
    gen = torch.Generator().manual_seed(case["seed"])
    bidi = options(case)["bidirectional"]
    names = lstmref.param_names(len(case["lstm"]), bidi)
    shapes = lstmref.param_shapes(case["vocab"], case["emb"], case["lstm"], case["classes"], bidi)
    params = {}
    for n, sh in zip(names, shapes):
        w = torch.rand(sh, generator=gen, dtype=torch.float64) - 0.5
        params[n] = w.to(torch.float32).to(torch.float64)  # float32-representable
    return names, shapes, params


def run(case, params0, dtype):
    """Forward/backward at the initial weights, then 3 Adam steps. All in dtype."""
    tokens, lengths, _, batch, steps = layout(case)
    nl = len(case["lstm"])
    params = {k: v.to(dtype).clone().requires_grad_(True) for k, v in params0.items()}
    opt = dict(ADAM_DEFAULT, **case["opt"])
    adam = lstmref.Adam(params, lr=opt["learning_rate"], beta_1=opt["beta_1"],
                        beta_2=opt["beta_2"], epsilon=opt["epsilon"],
                        clipnorm=opt["clipnorm"], global_clipnorm=opt["global_clipnorm"])
    out = {"losses": [], "clipped": [], "raw_grads": []}
    for step in range(1, 4):
        for p in params.values():
            p.grad = None
        logits = lstmref.forward(params, nl, tokens, lengths, batch, steps, case["masked"],
                                 **options(case))
        if "label_sets" in case:
            loss = lstmref.mean_bce(logits, case["label_sets"])
        else:
            loss = lstmref.mean_xent(logits, case["labels"])
        loss.backward()
        grads = {k: p.grad.detach().clone() for k, p in params.items()}
        if step == 1:
            out["logits"] = logits.detach().clone()
            out["loss"] = float(loss)
            out["grads"] = grads
        out["losses"].append(float(loss))
        out["raw_grads"].append(grads)
        clipped = adam.step(params, grads)
        out["clipped"].append(sorted(k for k in grads if not torch.equal(clipped[k], grads[k])))
        if step == 1:
            out["after1"] = {k: p.detach().clone() for k, p in params.items()}
    out["after3"] = {k: p.detach().clone() for k, p in params.items()}
    return out


def num(x, digits=7):
    """x rounded to digits significant digits (9 keep a float32 value exact)."""
    return float("%.*g" % (digits, x))


def flat(t, digits=7):
    """Row-major values. Initial parameters, logits and losses get 9
    significant digits (exact float32); gradients 6 (5e-7 relative, against a
    1e-4 tolerance); updated parameters 7 (5e-8 relative, against 2e-6)."""
    return [num(x, digits) for x in t.detach().reshape(-1).tolist()]


def check_case(case, names, ref):
    """Refuses a case whose clipping does not do what the case is about."""
    want = case.get("expect_clip")
    for step, cl in enumerate(ref["clipped"], 1):
        if want == "some" and not (1 < len(cl) < len(names)):
            raise SystemExit(f"{case['name']}: step {step}: clipnorm clipped {cl}: "
                             "expected several tensors but not all")
        if want == "all" and len(cl) != len(names):
            raise SystemExit(f"{case['name']}: step {step}: global_clipnorm did not clip")
        if want is None and cl:
            raise SystemExit(f"{case['name']}: unexpected clipping {cl}")


def tolerance(kind, want):
    """Per-element tolerance of the Go test (see TOLERANCE) for reference values want."""
    t = TOLERANCE[kind]
    scale = float(want.abs().max()) if want.numel() else 0.0
    return t["abs"] + t["rel"] * want.abs() + t["rel_max"] * scale


def worst_ratio(kind, got, want):
    """max |got-want| / tolerance: how much of the Go tolerance float32 noise uses."""
    if not want.numel():
        return 0.0
    return float(((got.to(torch.float64) - want).abs() / tolerance(kind, want)).max())


# Tolerances of the Go test, written into every fixture. Per element:
#   |got - want| <= abs + rel*|want| + rel_max*max_j |want_j|  (max over that tensor).
# Float32 noise (measured by running the same math in torch float32) must stay
# below a tenth of it, or the script refuses the case: see build().
TOLERANCE = {
    "logits": {"abs": 1e-6, "rel": 1e-5, "rel_max": 0.0},
    "loss": {"abs": 1e-6, "rel": 1e-5, "rel_max": 0.0},
    "grads": {"abs": 1e-9, "rel": 1e-4, "rel_max": 1e-4},
    "params": {"abs": 2e-6, "rel": 1e-5, "rel_max": 0.0},
}


def crosscheck_nn_lstm(case, params, logits):
    """Independent check of the hand-written forward pass: torch.nn.LSTM (gate
    order i,f,g,o like Keras; weight_ih = W^T, weight_hh = U^T, bias_ih = b,
    bias_hh = 0; bidirectional=True with the backward tensors as its
    *_reverse weights) run on each sample alone, over its real tokens when
    masked and over all T padded tokens when not, then the read-out (last:
    the final forward output and, bidirectional, the backward output at the
    first step; mean / max over the steps)."""
    tokens, _, real, batch, steps = layout(case)
    opts = options(case)
    bidi = opts["bidirectional"]
    emb = params["embedding.embeddings"]
    layers = []
    inp = case["emb"]
    for k, hid in enumerate(case["lstm"]):
        lstm = torch.nn.LSTM(inp, hid, dtype=torch.float64, bidirectional=bidi)
        dirs = [("", f"lstm.{k}.")] + ([("_reverse", f"lstm.{k}.backward.")] if bidi else [])
        with torch.no_grad():
            for suffix, p in dirs:
                getattr(lstm, "weight_ih_l0" + suffix).copy_(params[p + "kernel"].T)
                getattr(lstm, "weight_hh_l0" + suffix).copy_(params[p + "recurrent_kernel"].T)
                getattr(lstm, "bias_ih_l0" + suffix).copy_(params[p + "bias"])
                getattr(lstm, "bias_hh_l0" + suffix).zero_()
        layers.append(lstm)
        inp = hid * (2 if bidi else 1)
    hl = case["lstm"][-1]
    for b in range(batch):
        seq = [tokens[t * batch + b] for t in range(steps)]
        if case["masked"]:
            seq = seq[:real[b]]
        if seq:
            x = emb[torch.tensor(seq)].unsqueeze(1)  # [T, 1, E]
            for lstm in layers:
                x, _ = lstm(x)
            y = x[:, 0]  # [T, D]
            if opts["pooling"] == "last":
                h = y[-1] if not bidi else torch.cat([y[-1, :hl], y[0, hl:]])
            elif opts["pooling"] == "mean":
                h = y.mean(0)
            else:
                h = y.max(0).values
        else:
            h = torch.zeros(params["dense.kernel"].shape[0], dtype=torch.float64)
        want = h @ params["dense.kernel"] + params["dense.bias"]
        diff = float((want - logits[b]).abs().max())
        if diff > 1e-12:
            raise SystemExit(f"{case['name']}: sample {b}: hand-written forward differs from "
                             f"nn.LSTM by {diff:.3g}")


def max_err(a, b):
    return float((a.to(torch.float64) - b).abs().max()) if a.numel() else 0.0


def build(case):
    names, shapes, params0 = init_params(case)
    ref = run(case, params0, torch.float64)
    check_case(case, names, ref)
    with torch.no_grad():
        crosscheck_nn_lstm(case, params0, ref["logits"])
    f32 = run(case, params0, torch.float32)
    err = {
        "logits": max_err(f32["logits"], ref["logits"]),
        "loss": abs(f32["loss"] - ref["loss"]),
        "grads": max(max_err(f32["grads"][n], ref["grads"][n]) for n in names),
        "params_after_1": max(max_err(f32["after1"][n], ref["after1"][n]) for n in names),
        "params_after_3": max(max_err(f32["after3"][n], ref["after3"][n]) for n in names),
    }
    ratio = {
        "logits": worst_ratio("logits", f32["logits"], ref["logits"]),
        "loss": worst_ratio("loss", torch.tensor([f32["loss"]]), torch.tensor([ref["loss"]])),
        "grads": max(worst_ratio("grads", f32["grads"][n], ref["grads"][n]) for n in names),
        "params_after_1": max(worst_ratio("params", f32["after1"][n], ref["after1"][n])
                              for n in names),
        "params_after_3": max(worst_ratio("params", f32["after3"][n], ref["after3"][n])
                              for n in names),
    }
    for k, r in ratio.items():
        if r > 0.1:
            raise SystemExit(f"{case['name']}: torch float32 uses {r:.2f} of the {k} tolerance; "
                             "the case is too ill-conditioned for a float32 comparison")
    tokens, lengths, real, batch, steps = layout(case)
    opt = dict(ADAM_DEFAULT, **case["opt"])
    model_cfg = {"embedding_dim": case["emb"], "lstm": case["lstm"], "mask_padding": case["masked"]}
    if options(case) != options({}):  # the keys of the options only when used
        model_cfg.update(options(case))
    if "label_sets" in case:
        model_cfg["output_activation"] = "sigmoid"
    fixture = {
        "name": case["name"],
        "description": case["description"],
        "config": {
            "model": model_cfg,
            "vocab_size": case["vocab"],
            "num_classes": case["classes"],
            "optimizer": opt,
        },
        "input": {"B": batch, "T": steps, "tokens": tokens, "lengths": lengths,
                  "real_lengths": real, "pad": case["pad"],
                  **({"label_sets": case["label_sets"]} if "label_sets" in case
                     else {"labels": case["labels"]})},
        "params": [{"name": n, "shape": sh, "values": flat(params0[n], 9)}
                   for n, sh in zip(names, shapes)],
        "logits": flat(ref["logits"], 9),
        "loss": num(ref["loss"], 9),
        "grads": {n: flat(ref["grads"][n], 6) for n in names},
        "losses": [num(x, 9) for x in ref["losses"]],
        "clipped": ref["clipped"],
        "params_after_1": {n: flat(ref["after1"][n]) for n in names},
        "params_after_3": {n: flat(ref["after3"][n]) for n in names},
        "tolerance": TOLERANCE,
        "float32_torch_max_abs_err": {k: float("%.3g" % v) for k, v in err.items()},
    }
    if case.get("later_grads"):
        fixture["later_grads"] = [{n: flat(g[n], 6) for n in names} for g in ref["raw_grads"][1:]]
    # Some context for a reader of the summary.
    gmin = min(float(ref["grads"][n].abs()[ref["grads"][n] != 0].min())
               for n in names if bool((ref["grads"][n] != 0).any()))
    delta = max(float((ref["after3"][n] - params0[n]).abs().max()) for n in names)
    return fixture, err, ratio, gmin, delta


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    total = 0
    for case in CASES:
        fixture, err, ratio, gmin, delta = build(case)
        path = os.path.join(out_dir, case["name"] + ".json")
        text = json.dumps(fixture, separators=(",", ":")) + "\n"
        with open(path, "w") as f:
            f.write(text)
        total += len(text)
        print(f"{path}: {len(text)} bytes; loss {fixture['loss']:.6f} -> "
              f"{fixture['losses'][-1]:.6f}; min |nonzero grad| {gmin:.2e}; "
              f"max |param change| after 3 steps {delta:.2e}; clipped {fixture['clipped']}")
        print("  torch float32 vs float64 max abs err: " +
              ", ".join(f"{k} {v:.2e}" for k, v in err.items()))
        print("  share of the Go tolerance that torch float32 uses: " +
              ", ".join(f"{k} {v:.3f}" for k, v in ratio.items()))
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
