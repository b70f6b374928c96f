"""Float64 reference math for lstmctl, written by hand in PyTorch (no nn.LSTM).

Shared by make_fixtures.py, predict_torch.py and adam_step_torch.py. Everything
here follows the model and training recipe of docs/numerics.md and uses the
Keras parameter layout of the lstmctl model file:

    embedding.embeddings      [V, E]
    lstm.K.kernel             [in_K, 4*H_K]   in_0 = E, in_K = H_{K-1}
    lstm.K.recurrent_kernel   [H_K, 4*H_K]
    lstm.K.bias               [4*H_K]
    lstm.K.backward.kernel, .recurrent_kernel, .bias   (bidirectional only, same shapes)
    dense.kernel              [D, C]        D = H_last (2*H_last bidirectional)
    dense.bias                [C]
(with model.bidirectional, in_K = 2*H_{K-1} for K > 0).

LSTM step (Keras): z = x.W + h.U + b, split along the last axis into the gate
blocks i, f, c(=g), o (each H wide); i, f, o = sigmoid, g = tanh;
c' = f*c + i*g; h' = o*tanh(c'); h0 = c0 = 0.

Inputs are time-major: tokens[t*B + b] is the id of sample b at step t.

Masking (mask_padding true): for sample b only steps t < lengths[b] update h and
c; padded steps carry both unchanged. Every layer is masked the same way, and
the classifier reads the final h of the last layer, i.e. the state after the
last real token (zeros for an empty sequence, so its logits are dense.bias).
No masking: all T steps run for every sample; padding id 0 is an ordinary token.

Bidirectional (model.bidirectional, Keras Bidirectional(LSTM, merge_mode="concat")
on every layer), written the way Keras does it: the backward LSTM gets the
input AND the mask reversed along the whole time axis (go_backwards), runs
like the forward one (masked steps carry the state, so with post-padding it
starts from zeros at the first real token read backwards), and its output
sequence is reversed back; layer outputs are concat([fwd_t, bwd_t]). Without
masking the whole padded row is reversed (padding is an ordinary token). The
final state of the backward LSTM is its state after the whole reversed row,
i.e. after the first real token.

Read-out (model.pooling) over the last layer's outputs: "last" = the final
states (concat(fwd final, bwd final) when bidirectional); "mean" / "max" =
mean / element-wise max over the real steps (t < length; all T unmasked); an
empty sequence reads zeros.

Loss: mean over the batch of -log_softmax(logits)[label].

Adam (Keras form), t = 1, 2, ...:
    m = b1*m + (1-b1)*g
    v = b2*v + (1-b2)*g*g
    alpha = lr*sqrt(1-b2^t)/(1-b1^t)
    w = w - alpha*m/(sqrt(v)+eps)
Every parameter is updated every step (dense update; rows with zero gradient
keep m = v = 0 and do not move). Gradient clipping happens before m and v see g:
    clipnorm c > 0: every tensor g_k is clipped on its own:
        g_k = g_k * c / max(||g_k||_2, c)            (tf.clip_by_norm)
    global_clipnorm c > 0: all tensors together:
        n = sqrt(sum_k ||g_k||_2^2); g_k = g_k * c / max(n, c)  (tf.clip_by_global_norm)
"""

import math

import torch

DTYPE = torch.float64


def model_options(cfg):
    """The keyword options of forward() from a config's "model" section
    (missing keys mean the plain Keras model)."""
    m = cfg.get("model", cfg)
    return dict(bidirectional=bool(m.get("bidirectional", False)),
                pooling=m.get("pooling") or "last")


def param_names(num_layers, bidirectional=False):
    """Parameter names in model-file order."""
    names = ["embedding.embeddings"]
    for k in range(num_layers):
        names += [f"lstm.{k}.kernel", f"lstm.{k}.recurrent_kernel", f"lstm.{k}.bias"]
        if bidirectional:
            names += [f"lstm.{k}.backward.kernel", f"lstm.{k}.backward.recurrent_kernel",
                      f"lstm.{k}.backward.bias"]
    names += ["dense.kernel", "dense.bias"]
    return names


def param_shapes(vocab, emb, hidden, classes, bidirectional=False):
    """Shapes in model-file order for vocab V, embedding E, LSTM sizes, classes C."""
    dirs = 2 if bidirectional else 1
    shapes = [[vocab, emb]]
    inp = emb
    for h in hidden:
        shapes += [[inp, 4 * h], [h, 4 * h], [4 * h]] * dirs
        inp = dirs * h
    shapes += [[inp, classes], [classes]]
    return shapes


def lstm_layer(xs, kernel, recurrent, bias, mask):
    """Runs one LSTM layer over the time-major input.

    xs: list of T tensors [B, in]; mask: None (no masking) or a [T, B] bool tensor.
    Returns the list of T outputs [B, H] (with masking, a padded step outputs the
    carried h) and the final h.
    """
    batch = xs[0].shape[0] if xs else 0
    hid = recurrent.shape[0]
    h = torch.zeros(batch, hid, dtype=kernel.dtype)
    c = torch.zeros(batch, hid, dtype=kernel.dtype)
    outs = []
    for t, x in enumerate(xs):
        z = x @ kernel + h @ recurrent + bias
        i = torch.sigmoid(z[:, 0 * hid:1 * hid])
        f = torch.sigmoid(z[:, 1 * hid:2 * hid])
        g = torch.tanh(z[:, 2 * hid:3 * hid])
        o = torch.sigmoid(z[:, 3 * hid:4 * hid])
        c_new = f * c + i * g
        h_new = o * torch.tanh(c_new)
        if mask is not None:
            m = mask[t].unsqueeze(1)
            c = torch.where(m, c_new, c)
            h = torch.where(m, h_new, h)
        else:
            c, h = c_new, h_new
        outs.append(h)
    return outs, h


def forward(params, num_layers, tokens, lengths, batch, steps, masked,
            bidirectional=False, pooling="last"):
    """Logits [B, C] for a time-major batch.

    params: dict name -> tensor (Keras layout); tokens: flat list, len T*B;
    lengths: list of B ints (used only when masked); bidirectional, pooling:
    the model options (see the module doc).
    """
    emb = params["embedding.embeddings"]
    tok = torch.tensor(tokens, dtype=torch.long).reshape(steps, batch)
    xs = [emb[tok[t]] for t in range(steps)]
    mask = None
    if masked:
        ln = torch.tensor(lengths, dtype=torch.long)
        mask = torch.arange(steps).unsqueeze(1) < ln.unsqueeze(0)  # [T, B]
    finals = None
    for k in range(num_layers):
        p = f"lstm.{k}."
        outs, h_fw = lstm_layer(xs, params[p + "kernel"], params[p + "recurrent_kernel"],
                                params[p + "bias"], mask)
        finals = [h_fw]
        if bidirectional:
            q = p + "backward."
            rmask = None if mask is None else torch.flip(mask, [0])
            outs_b, h_bw = lstm_layer(xs[::-1], params[q + "kernel"],
                                      params[q + "recurrent_kernel"], params[q + "bias"], rmask)
            outs = [torch.cat([f, b], dim=1) for f, b in zip(outs, outs_b[::-1])]
            finals.append(h_bw)
        xs = outs
    dim = params["dense.kernel"].shape[0]
    if steps == 0:
        feat = torch.zeros(batch, dim, dtype=emb.dtype)
    elif pooling == "last":
        feat = torch.cat(finals, dim=1)
    else:
        y = torch.stack(xs)  # [T, B, D]
        m = torch.ones(steps, batch, dtype=torch.bool) if mask is None else mask
        count = m.sum(0).unsqueeze(1)  # [B, 1]
        if pooling == "mean":
            feat = (y * m.unsqueeze(2)).sum(0) / count.clamp(min=1)
        elif pooling == "max":
            feat = torch.where(m.unsqueeze(2), y, torch.full_like(y, -math.inf)).max(0).values
            feat = torch.where(count > 0, feat, torch.zeros_like(feat))
        else:
            raise ValueError(f"unknown pooling {pooling!r}")
    return feat @ params["dense.kernel"] + params["dense.bias"]


def mean_xent(logits, labels):
    """Mean sparse softmax cross-entropy from logits."""
    lab = torch.tensor(labels, dtype=torch.long)
    logp = torch.log_softmax(logits, dim=1)
    return -logp.gather(1, lab.unsqueeze(1)).mean()


def mean_bce(logits, label_sets):
    """Mean binary cross-entropy from logits against multi-hot targets (the
    class indices of each sample in label_sets): PyTorch's
    BCEWithLogitsLoss, the mean over all B*C logits, which is Keras'
    BinaryCrossentropy(from_logits=True), the mean over the labels and then
    over the batch. Checked against the stable form written out,
    max(z,0) - z*y + log(1+exp(-|z|))."""
    y = torch.zeros_like(logits)
    for b, s in enumerate(label_sets):
        for c in s:
            y[b, c] = 1
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y)
    z = logits.detach()
    by_hand = (z.clamp(min=0) - z * y + torch.log1p(torch.exp(-z.abs()))).mean(dim=1).mean()
    tol = 1e-12 if logits.dtype == torch.float64 else 1e-6
    assert abs(float(by_hand) - float(loss)) <= tol * max(1.0, abs(float(loss))), (by_hand, loss)
    return loss


def clip_grads(grads, clipnorm, global_clipnorm):
    """Returns clipped copies of grads (dict name -> tensor), Keras semantics."""
    if clipnorm and global_clipnorm:
        raise ValueError("only one of clipnorm and global_clipnorm may be set")
    out = dict(grads)
    if clipnorm:
        for k, g in grads.items():
            n = math.sqrt(float((g * g).sum()))
            out[k] = g * (clipnorm / max(n, clipnorm))
    elif global_clipnorm:
        n = math.sqrt(sum(float((g * g).sum()) for g in grads.values()))
        s = global_clipnorm / max(n, global_clipnorm)
        out = {k: g * s for k, g in grads.items()}
    return out


class Adam:
    """Keras-form Adam in float64 (see the module doc)."""

    def __init__(self, params, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 clipnorm=0.0, global_clipnorm=0.0):
        self.lr, self.b1, self.b2, self.eps = lr, beta_1, beta_2, epsilon
        self.clipnorm, self.global_clipnorm = clipnorm, global_clipnorm
        self.t = 0
        self.m = {k: torch.zeros_like(p) for k, p in params.items()}
        self.v = {k: torch.zeros_like(p) for k, p in params.items()}

    def step(self, params, grads):
        """Updates params (dict of tensors, in place, no autograd) from grads."""
        grads = clip_grads(grads, self.clipnorm, self.global_clipnorm)
        self.t += 1
        alpha = self.lr * math.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)
        with torch.no_grad():
            for k, p in params.items():
                g = grads[k]
                self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * g
                self.v[k] = self.b2 * self.v[k] + (1 - self.b2) * g * g
                p -= alpha * self.m[k] / (torch.sqrt(self.v[k]) + self.eps)
        return grads
