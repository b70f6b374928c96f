// Package model is the text classifier of lstmctl: an embedding, a stack of
// Keras-exact LSTM layers and a dense output layer, with forward and backward
// passes (backpropagation through time) in float32, and the model file.
//
// # Model
//
// Classifier = Embedding [V, E] -> LSTM(H_0, return_sequences) -> ... ->
// LSTM(H_last) -> Dense [H_last, C]. Forward returns logits; the caller
// applies softmax (and the loss). Every LSTM step is exactly Keras':
//
//	z   = x_t·W + h_{t-1}·U + b          W [in, 4H], U [H, 4H], b [4H]
//	i   = σ(z[0:H])     f = σ(z[H:2H])   g = tanh(z[2H:3H])   o = σ(z[3H:4H])
//	c_t = f⊙c_{t-1} + i⊙g
//	h_t = o⊙tanh(c_t)                      h_{-1} = c_{-1} = 0
//
// (gate order i, f, c, o; the output gate does not multiply h_{t-1}).
//
// Options beyond the Keras example, all off in DefaultConfig (and then the
// computation is exactly the plain model's, bit for bit):
//
//   - Bidirectional: every LSTM layer is Keras Bidirectional(LSTM,
//     merge_mode="concat"). A second LSTM per layer (lstm.k.backward.*) reads
//     each sequence backwards — masked: the real tokens in reverse order,
//     wherever the padding stood; unmasked: all T steps reversed, padding
//     included, like go_backwards — and its outputs, re-aligned in time, are
//     concatenated after the forward ones: [fwd h_t, bwd h_t], 2H wide, the
//     input of layer k+1 and of the read-out. The backward output at step t
//     has read steps l-1 down to t.
//   - Pooling, the read-out over the last layer's outputs: "last" (or "")
//     the final state (bidirectional: concat(fwd state after the last real
//     token, bwd state after the first)); "mean" the mean and "max" the
//     element-wise maximum over the real steps (all T steps unmasked). An
//     empty sequence reads zeros. Max pooling sends each gradient entry to
//     the one step holding that maximum (on a tie, the first in the
//     direction's reading order).
//   - Dropout (only when Input.Train is set; inverted: kept values are
//     scaled by 1/(1-rate)): EmbeddingDropout drops whole embedding channels
//     of a sequence (SpatialDropout1D); Dropout multiplies each LSTM's input
//     x_t, RecurrentDropout the h_{t-1} entering h_{t-1}·U (Keras 3 LSTM
//     dropout and recurrent_dropout: one mask per sequence and LSTM, shared
//     by all steps and the four gates; the two directions have their own
//     masks; the layer output h_t is not dropped); DenseDropout
//     the dense layer's input. Backward applies the same masks.
//     TokenDropout (not in Keras; "word dropout") replaces each real token
//     id but [UNK] by [UNK] (id 1) with its rate before the embedding, one
//     draw per step of the sequence; the [UNK] row then gets the gradient
//     of those steps.
//   - Subwords (NewWithSubwords, text.subwords): a second table
//     embedding.subwords [buckets, E] of character n-gram rows, and a
//     token's embedding is the mean of its own row and its bag's rows
//     (Input.Bags; ids at or past V are words outside the vocabulary,
//     whose own row is [UNK]'s), as fastText's word vectors and PyTorch's
//     EmbeddingBag(mode="mean"). Token dropout replaces the whole token
//     by [UNK], whose bag is empty. Init draws the subword rows after
//     every other weight.
//
// A sample's mask is a pure function of (Input.Noise[b], layer, direction,
// kind): a PCG (math/rand/v2) seeded with Noise[b] and a SplitMix64 mix of
// the other three, one draw per entry, an entry dropped when the top 53 bits
// of its draw, as a fraction, are below the rate. So the masks, and the
// logits of a sample, do not depend on the other samples of the batch, on
// its place in it or on how a batch is split into shards; the caller gives
// each sample of each training step its own key.
//
// Initialisation (Init, from one *rand.Rand, layer by layer; a
// bidirectional layer's backward LSTM draws its own weights after its forward
// one): embedding U(-0.05, 0.05); LSTM kernel Glorot-uniform with limit sqrt(6/(in+4H));
// recurrent kernel orthogonal as Keras Orthogonal (QR of a [4H, H] Gaussian
// matrix in float64, columns times sign(diag R), transposed, so U·Uᵀ = I);
// LSTM bias zero with the forget block [H, 2H) at 1; dense kernel
// Glorot-uniform, dense bias zero.
//
// # Parameters
//
// Params lists the live weight tensors in model-file order and Keras
// layouts, all row-major float32: embedding.embeddings [V, E]; for each LSTM
// k (0-based) lstm.k.kernel [in_k, 4H_k], lstm.k.recurrent_kernel [H_k, 4H_k],
// lstm.k.bias [4H_k] (in_0 = E, in_k = H_{k-1}), followed when
// bidirectional by lstm.k.backward.kernel, .recurrent_kernel and .bias of
// the same shapes (and then in_k = 2H_{k-1}); dense.kernel [D, C] (D =
// H_last, 2H_last bidirectional); dense.bias [C]. Weights are changed by writing into Tensor.Data, never by
// replacing it. NewGrads returns zero tensors of the same names and shapes;
// Backward ADDS into them.
//
// # Masking
//
// An Input is time-major, Tokens[t*B+b]. With Config.MaskPadding (Keras
// Embedding(mask_zero=True)), Lengths[b] real tokens are left-aligned and a
// padded step carries h and c unchanged, so the classifier reads the state
// at the last real token (zeros for an empty sequence). Because Lengths are
// non-increasing, the samples still running at step t are a prefix of n_t
// rows of the batch. Lengths, not token values, define the mask (the data
// pipeline never gives a real token the padding id 0). Whether the caller padded before or after the text
// makes no difference: only the real tokens enter. Without masking every
// sample runs all T steps and padding (id 0) is an ordinary token, as in the
// plain Keras example.
//
// # Layout and performance
//
// Activations are packed time-major, like PyTorch's PackedSequence: step t
// owns rows off_t..off_t+n_t-1 (off_t = n_0 + ... + n_{t-1}), one row per
// active sample, so padding costs neither time nor memory. Unmasked, n_t = B.
// The embedding lookup writes the packed rows; each LSTM computes the input
// projection X·W of all steps as one GEMM over the packed rows, then per step
// only h_{t-1}·U on the active prefix and the fused gate math; its
// return-sequences output is again packed rows, the next layer's input.
// Backward runs BPTT per step on the active prefix (finished samples keep
// their carried dh and dc; the per-step dh = dz·Uᵀ reads a copy of Uᵀ made
// once per Backward, see kernels.SgemmNTWithBT), then dW = Xᵀ·dZ, dU =
// H_prevᵀ·dZ and dX = dZ·Wᵀ as one GEMM each over all rows, and db as the
// column sums of dZ in row order. All matrix products go through
// internal/kernels.Sgemm and the gate math through kernels.LSTMGates, so
// faster kernels plug in below without touching this package.
//
// Bidirectional layers reuse the same layout and kernels: the reversed
// sequences have the same lengths, hence the same packing, and a row map
// rev (built once per batch, an involution) takes row off_t+b of the
// reversed batch to row off_{l_b-1-t}+b of the original. The backward LSTM
// runs on the reversed rows (ids gathered once for the embedding, outputs of
// layer k gathered into the reversed input of layer k+1), and its input
// gradient is scattered back through the same map. Dropout masks multiply
// the packed rows step by step (the rows of step t are samples 0..n_t-1,
// so they meet mask rows 0..n_t-1).
//
// A State is one goroutine's workspace: its buffers grow to the largest
// batch seen and are reused, so steady-state training does not allocate.
// Shape mismatches and broken Input contracts are programmer errors and
// panic with a "model: " message.
package model
