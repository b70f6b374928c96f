// Package train fits a model.Classifier to an encoded data set the way
// Keras' model.fit does for the lstmctl example (sparse categorical
// cross-entropy, Adam, batches of 128, reshuffled every epoch), and
// evaluates and applies it.
//
// # Loss and metrics
//
// SoftmaxCrossEntropy works on logits [B*C] (row-major) with a stable
// log-sum-exp in float64; the batch loss is the MEAN over the batch, so the
// gradient written to dlogits is (softmax - onehot)/B. Accuracy is the argmax
// (first maximum on ties) against the label. Evaluate reports N, mean loss,
// accuracy, per-class precision/recall/F1/support, macro F1 (over the classes
// present in the labels or predictions, as scikit-learn), weighted F1 and the
// confusion matrix (rows = true class, columns = predicted class), all in
// class-index order. Predictor returns softmax probabilities [N*C] in input
// order.
//
// # Optimizer
//
// Adam in the Keras form, alpha = lr·sqrt(1-b2^t)/(1-b1^t) and
// w -= alpha·m/(sqrt(v)+eps), applied densely to every parameter, float32
// element-wise with float64 scalars. clipnorm clips each gradient tensor to
// that L2 norm, global_clipnorm all of them jointly (Keras allows only one;
// so does Validate). Its state (m, v, step) is exported by StateTensors and
// Iterations and restored by LoadState.
//
// # The training loop
//
// An epoch is exactly ceil(N/BatchSize) steps, the batches given by
// data.EpochBatches from (Seed, epoch), with length bucketing always on and
// masking as the model is configured. Per epoch the Recorder sees
// EpochStart, one Step per batch (with the epoch's running means) and
// EpochEnd with train loss/accuracy, validation loss/accuracy, learning
// rate, seconds and samples per second; WriteHistory stores them as CSV or
// JSON.
//
// Data parallelism: a batch of B samples is cut into n = min(8, ceil(B/32))
// contiguous shards (ShardSize, MaxShards), a rule that depends on B only.
// The shards run on min(Threads, MaxShards) goroutines (Threads 0 = all
// cores); each goroutine has its own model.State, each shard its own
// gradient buffer, and the shard gradients are summed in shard order before
// clipping and the update. Losses are summed per shard in shard order too.
// In steady state a step allocates nothing.
//
// # Determinism
//
// Same data, configuration and seed give bit-identical weights, across runs
// and for any thread count, and a run that is interrupted (context
// cancellation, or a kill after a checkpoint) and resumed ends with exactly
// the weights of an uninterrupted run. The guarantee holds for one build on
// one machine: the GEMM kernel variant chosen at run time (assembly for the
// CPU's vector extensions or pure Go) may round differently, so different
// CPUs can differ in the last bits. Validation metrics are thread-count
// independent as well (same shard rule, per-sample losses summed in data set
// order). Timings (seconds, samples/s) are of course not deterministic.
//
// # Early stopping
//
// As Keras' EarlyStopping: monitor val_loss, val_accuracy, loss or accuracy;
// an epoch improves when it beats the best by more than min_delta; training
// stops once patience epochs in a row have not improved (never after the
// first epoch). Patience 0 disables early stopping, because the Keras example
// has no EarlyStopping callback; the best epoch is still tracked for
// best.safetensors. With patience > 0 and restore_best_weights, a copy of the
// best weights is kept and restored at the end of training, whether it
// stopped early or not (Keras 3 behaviour). Monitoring a val_ metric without
// validation data is an error when patience > 0; otherwise the training
// counterpart is tracked.
//
// # Checkpoints
//
// With Trainer.CheckpointDir set, last.safetensors is written at every epoch
// end, every CheckpointEvery optimizer steps and on interruption, and
// best.safetensors whenever the monitored metric improves; each is written
// atomically (temporary file, fsync, rename, directory fsync) through
// internal/safetensors, whose SHA-256 sums make a damaged file fail to load.
// A checkpoint holds the weights, Adam's m, v and step, the position (epoch
// and batches done), the seed, the history, the early-stopping state and
// best weights, the partial epoch's sums, the training config and the
// caller's metadata, plus a fingerprint: the SHA-256 of every token id and
// label of the training and validation sets, the batching options, the
// model's tensor shapes, the training config (minus threads and epochs, so
// a run may be resumed with another thread count or more epochs) and
// Trainer.FingerprintExtra. No RNG state is stored because there is none to
// store: the only randomness of training is the batch order, derived from
// (seed, epoch) by data.EpochBatches; weight initialisation happens before
// Fit. Resume refuses a checkpoint whose fingerprint differs. A non-finite
// loss or gradient stops training before the update with a *NonFiniteError
// naming epoch and step; no checkpoint is written then, so the last good one
// survives.
package train
