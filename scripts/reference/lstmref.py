"""Float64 reference math for lstmctl, written by hand in PyTorch (no nn.LSTM).

Shared by make_fixtures.py, predict_torch.py and adam_step_torch.py. Everything
here follows ../../../shared/DESIGN.md (sections Model and Training) and uses the
Keras parameter layout of the lstmctl model file:

    embedding.embeddings      [V, E]
    lstm.K.kernel             [in_K, 4*H_K]   in_0 = E, in_K = H_{K-1}
    lstm.K.recurrent_kernel   [H_K, 4*H_K]
    lstm.K.bias               [4*H_K]
    dense.kernel              [H_last, C]
    dense.bias                [C]

LSTM step (Keras): z = x.W + h.U + b, split along the last axis into the gate
blocks i, f, c(=g), o (each H wide); i, f, o = sigmoid, g = tanh;
c' = f*c + i*g; h' = o*tanh(c'); h0 = c0 = 0.

Inputs are time-major: tokens[t*B + b] is the id of sample b at step t.

Masking (mask_padding true): for sample b only steps t < lengths[b] update h and
c; padded steps carry both unchanged. Every layer is masked the same way, and
the classifier reads the final h of the last layer, i.e. the state after the
last real token (zeros for an empty sequence, so its logits are dense.bias).
No masking: all T steps run for every sample; padding id 0 is an ordinary token.

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


def param_names(num_layers):
    """Parameter names in model-file order."""
    names = ["embedding.embeddings"]
    for k in range(num_layers):
        names += [f"lstm.{k}.kernel", f"lstm.{k}.recurrent_kernel", f"lstm.{k}.bias"]
    names += ["dense.kernel", "dense.bias"]
    return names


def param_shapes(vocab, emb, hidden, classes):
    """Shapes in model-file order for vocab V, embedding E, LSTM sizes, classes C."""
    shapes = [[vocab, emb]]
    inp = emb
    for h in hidden:
        shapes += [[inp, 4 * h], [h, 4 * h], [4 * h]]
        inp = h
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


def forward(params, num_layers, tokens, lengths, batch, steps, masked):
    """Logits [B, C] for a time-major batch.

    params: dict name -> tensor (Keras layout); tokens: flat list, len T*B;
    lengths: list of B ints (used only when masked).
    """
    emb = params["embedding.embeddings"]
    tok = torch.tensor(tokens, dtype=torch.long).reshape(steps, batch)
    xs = [emb[tok[t]] for t in range(steps)]
    mask = None
    if masked:
        ln = torch.tensor(lengths, dtype=torch.long)
        mask = torch.arange(steps).unsqueeze(1) < ln.unsqueeze(0)  # [T, B]
    hid_last = None
    for k in range(num_layers):
        xs, hid_last = lstm_layer(xs, params[f"lstm.{k}.kernel"],
                                  params[f"lstm.{k}.recurrent_kernel"],
                                  params[f"lstm.{k}.bias"], mask)
    if steps == 0:
        hdim = params["dense.kernel"].shape[0]
        hid_last = torch.zeros(batch, hdim, dtype=emb.dtype)
    return hid_last @ params["dense.kernel"] + params["dense.bias"]


def mean_xent(logits, labels):
    """Mean sparse softmax cross-entropy from logits."""
    lab = torch.tensor(labels, dtype=torch.long)
    logp = torch.log_softmax(logits, dim=1)
    return -logp.gather(1, lab.unsqueeze(1)).mean()


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
