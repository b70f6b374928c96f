// Package train fits a model.Classifier to an encoded data set the way
// Keras' model.fit does for the lstmctl example (sparse categorical
// cross-entropy, Adam, batches of 128, reshuffled every epoch), and
// evaluates and applies it.
//
// # Loss and metrics
//
// SoftmaxCrossEntropy works on logits [B*C] (row-major) with a stable
// log-sum-exp in float64; the batch loss is the MEAN over the batch, so the
// gradient written to dlogits is (softmax - onehot)/B. Training may weight
// and smooth it (WeightedSoftmaxCrossEntropy): with class weights w
// (class_weight "balanced" = N/(C·count_c), or Trainer.ClassWeights) the
// batch loss is Σ w_{y_i}·CE_i / Σ w_{y_i} (PyTorch's weighted mean; Keras
// divides by B), and label_smoothing ε makes the target (1-ε)·onehot + ε/C
// (Keras). The reported training loss is that objective; validation loss,
// Evaluate and early stopping on val_loss use the plain cross-entropy.
//
// A multi-label model (model.Config.Sigmoid) trains with
// SigmoidBinaryCrossEntropy: per logit max(z,0) - z·y + log(1+exp(-|z|)),
// the mean over the C labels, then over the batch (Keras'
// BinaryCrossentropy(from_logits=True)), gradient (σ(z) - y)/(B·C); its
// data sets carry LabelSets. Its accuracy is the subset accuracy (the
// labels at z >= 0 are exactly the sample's), its accuracy monitors read as
// the loss, class weights are refused, and Evaluate gives the metrics of
// MultiLabelMetricsOf at a threshold (EvaluateAt).
//
// Accuracy is the argmax (first maximum on ties) against the label.
// Evaluate reports N, mean loss, accuracy, per-class
// precision/recall/F1/support, macro F1 (over the classes present in the
// labels or predictions, as scikit-learn), weighted F1 and the confusion
// matrix (rows = true class, columns = predicted class), all in class-index
// order. Predictor returns softmax probabilities [N*C] in input order
// (sigmoid ones for a multi-label model).
//
// # Optimizer
//
// Adam in the Keras form, alpha = lr·sqrt(1-b2^t)/(1-b1^t) and
// w -= alpha·m/(sqrt(v)+eps), applied densely to every parameter, float32
// element-wise with float64 scalars. clipnorm clips each gradient tensor to
// that L2 norm, global_clipnorm all of them jointly (Keras allows only one;
// so does Validate). optimizer.weight_decay is Keras' decoupled decay
// (AdamW): w -= (w·wd)·lr before the Adam step, with the scheduled lr, on
// every tensor except biases (".bias"). A coupled L2 penalty (gradient +
// 2·l2·w) is not offered: Adam divides it by sqrt(v) like the loss
// gradient, so the weights with large gradients are hardly regularised
// (Loshchilov and Hutter, "Decoupled Weight Decay Regularization"), and it
// would make the sparse embedding gradient dense.
//
// optimizer.use_ema is Keras' use_ema: after every update the optimizer
// keeps ema = ema·μ + w·(1-μ) with μ = min(ema_momentum, 1-1/S) for S
// steps per epoch (the first average is the weights). Keras 3 uses
// ema_momentum alone; the cap keeps the average within about the last epoch,
// for on a small data set (a few steps per epoch) 0.99 leaves it near the
// initial weights for many epochs (0.99^100 = 37%), and early stopping would
// end training before it learns (docs/decisions/moving-average.md). Keras validates the raw
// weights during fit and swaps the averages in at its end; Fit instead
// evaluates the validation set on the averages, so early stopping, reduce_on_plateau and
// restore_best_weights judge and keep the model that is returned. The
// training loss and accuracy stay those of the raw weights.
//
// The optimizer state (m, v, the averages, step) is exported by
// StateTensors and Iterations and restored by LoadState.
//
// The update is one fused pass per element (clip scale, moments, decay,
// step), internal/kernels.AdamUpdate and EMAUpdate: AVX assembly where the
// CPU has it (build tag noasm: pure Go). Every operation is one IEEE
// float32 operation with the same rounding in Go and assembly (no FMA), so
// every variant gives the Go loop's bits exactly.
//
// # Learning-rate schedule
//
// train.lr_schedule (LRScheduleConfig): constant (KerasConfig),
// reduce_on_plateau (DefaultConfig; Keras' ReduceLROnPlateau at epoch ends: factor, patience, cooldown,
// min_delta, min_lr, monitor; an accuracy that ties the best with a lower
// loss improves, as in early stopping), warmup_cosine and warmup_linear (linear
// warm-up over warmup_steps or warmup_epochs, then decay to min_lr at the end
// of the run, epochs·ceil(N/batch_size) steps); every schedule may warm up.
// The rate is set before every step; EpochStats.LearningRate is the rate of
// the epoch's last step. The schedule's state (current rate, horizon,
// plateau counters) is part of the checkpoint, so a resumed run continues
// with exactly the same rates, even if it is given more epochs (the horizon
// stays the original one).
//
// # Dropout
//
// Fit runs Forward with Input.Train set and Input.Noise[j] =
// DropoutKey(seed, epoch, step, dataset index of sample j), a splitmix64
// chain; the model draws sample j's masks from that key alone. Masks are
// therefore independent of sharding and thread count, and reproducible on
// resume. Evaluate, Predictor and validation run without dropout.
//
// # The training loop
//
// An epoch is exactly ceil(N/BatchSize) steps, the batches given by
// data.EpochBatches from (Seed, epoch), with length bucketing always on and
// masking as the model is configured. Per epoch the Recorder sees
// EpochStart, one Step per batch (with the epoch's running means) and
// EpochEnd with train loss/accuracy, validation loss/accuracy, learning
// rate, seconds and samples per second; WriteHistory stores them as CSV,
// JSON or JSON lines, and HistoryFile does so as the run goes.
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
// order). This holds with every option on (dropout, class weights, label
// smoothing, weight decay, clipping, schedules). Timings (seconds,
// samples/s) are of course not deterministic.
//
// # Early stopping
//
// As Keras' EarlyStopping: monitor val_loss, val_accuracy, loss or accuracy;
// an epoch improves when it beats the best by more than min_delta, or (not
// in Keras) when it ties an accuracy's best with a lower loss; training
// stops once patience epochs in a row have not improved (never after the
// first epoch). Patience 0 disables early stopping, because the Keras example
// has no EarlyStopping callback; the best epoch is still tracked for
// best.safetensors. With patience > 0 and restore_best_weights, a copy of the
// best weights is kept and restored at the end of training, whether it
// stopped early or not (Keras 3 behaviour); Result.RestoredEpoch names the
// epoch restored. The learning-rate schedule is independent of it (its own
// monitor and counters) and is not rewound. Without validation data a val_
// monitor (of early stopping or of reduce_on_plateau) falls back to its
// training counterpart, so `--validation-split 0` works with any recipe;
// Result.Monitor names the metric tracked. DefaultConfig monitors
// val_accuracy (docs/decisions/early-stopping.md says why).
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
// best weights, the learning-rate schedule's state, the partial epoch's
// sums, the training config and the
// caller's metadata, plus a fingerprint: the SHA-256 of every token id and
// label of the training and validation sets, the batching options, the
// model's tensor shapes, the training config (minus threads and epochs, so
// a run may be resumed with another thread count or more epochs), the
// resolved Trainer.ClassWeights and Trainer.FingerprintExtra. No RNG state
// is stored because there is none to store: the randomness of training is
// the batch order, derived from (seed, epoch) by data.EpochBatches, and the
// dropout masks, derived from DropoutKey; weight initialisation happens
// before Fit. Resume refuses a checkpoint whose fingerprint differs. A
// non-finite
// loss or gradient stops training before the update with a *NonFiniteError
// naming epoch and step; no checkpoint is written then, so the last good one
// survives.
package train
