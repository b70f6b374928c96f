package train

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Config is the `train` section of the configuration.
type Config struct {
	Epochs        int                 `mapstructure:"epochs" json:"epochs"`
	BatchSize     int                 `mapstructure:"batch_size" json:"batch_size"`
	Shuffle       bool                `mapstructure:"shuffle" json:"shuffle"`
	Seed          uint64              `mapstructure:"seed" json:"seed"`
	Threads       int                 `mapstructure:"threads" json:"threads"`
	Optimizer     OptimizerConfig     `mapstructure:"optimizer" json:"optimizer"`
	EarlyStopping EarlyStoppingConfig `mapstructure:"early_stopping" json:"early_stopping"`
	// LRSchedule changes the learning rate during training (see
	// LRScheduleConfig); the default is the constant optimizer.learning_rate.
	LRSchedule LRScheduleConfig `mapstructure:"lr_schedule" json:"lr_schedule"`
	// ClassWeight "balanced" weighs each sample of class c by
	// n_samples/(n_classes·count_c) over the training set (scikit-learn's
	// and Keras' "balanced"); "" = no class weights.
	ClassWeight string `mapstructure:"class_weight" json:"class_weight,omitempty"`
	// ClassWeights maps label names to weights. The train package does not
	// know label names: the caller resolves this map into
	// Trainer.ClassWeights (one weight per class index). Exclusive with
	// ClassWeight.
	ClassWeights map[string]float64 `mapstructure:"class_weights" json:"class_weights,omitempty"`
	// LabelSmoothing is Keras' CategoricalCrossentropy(label_smoothing):
	// the target of sample i is (1-ε)·onehot(y_i) + ε/C. 0 = off.
	LabelSmoothing float64 `mapstructure:"label_smoothing" json:"label_smoothing,omitempty"`
	// FreezeEmbeddingEpochs keeps the embedding frozen (as
	// model.freeze_embedding does) for the first this many epochs and then
	// trains it: Keras' transfer-learning workflow, which trains the new
	// layers on a frozen pretrained base before it unfreezes the base and
	// fine-tunes the whole model. It is meant for pretrained vectors:
	// lstmctl train sets it to 0 when the embedding does not start from
	// them. 0 = off; with model.freeze_embedding the embedding stays frozen
	// throughout.
	FreezeEmbeddingEpochs int `mapstructure:"freeze_embedding_epochs" json:"freeze_embedding_epochs,omitempty"`
}

// OptimizerConfig configures Adam (Keras form); WeightDecay > 0 makes it
// Keras' AdamW.
type OptimizerConfig struct {
	Name           string  `mapstructure:"name" json:"name"`
	LearningRate   float64 `mapstructure:"learning_rate" json:"learning_rate"`
	Beta1          float64 `mapstructure:"beta_1" json:"beta_1"`
	Beta2          float64 `mapstructure:"beta_2" json:"beta_2"`
	Epsilon        float64 `mapstructure:"epsilon" json:"epsilon"`
	ClipNorm       float64 `mapstructure:"clipnorm" json:"clipnorm"`
	GlobalClipNorm float64 `mapstructure:"global_clipnorm" json:"global_clipnorm"`
	// WeightDecay is Keras' decoupled weight decay (Adam(weight_decay=...),
	// as AdamW): before each update w -= w·weight_decay·lr with the current
	// (scheduled) learning rate, for every parameter except biases. 0 = off.
	WeightDecay float64 `mapstructure:"weight_decay" json:"weight_decay,omitempty"`
	// UseEMA keeps an exponential moving average of the weights (Keras'
	// optimizer use_ema): ema = ema·μ + w·(1-μ) after every step, with
	// μ = EMAMomentum; Fit caps μ at 1-1/(steps per epoch) (see the package
	// documentation). Fit validates, keeps as best and returns the averaged
	// weights; the training loss and accuracy are those of the raw weights.
	UseEMA      bool    `mapstructure:"use_ema" json:"use_ema,omitempty"`
	EMAMomentum float64 `mapstructure:"ema_momentum" json:"ema_momentum,omitempty"`
}

// EarlyStoppingConfig configures early stopping. Patience 0 disables it.
type EarlyStoppingConfig struct {
	Monitor            string  `mapstructure:"monitor" json:"monitor"`
	Patience           int     `mapstructure:"patience" json:"patience"`
	MinDelta           float64 `mapstructure:"min_delta" json:"min_delta"`
	RestoreBestWeights bool    `mapstructure:"restore_best_weights" json:"restore_best_weights"`
}

// Monitor names accepted by EarlyStoppingConfig.Monitor.
const (
	MonitorValLoss     = "val_loss"
	MonitorValAccuracy = "val_accuracy"
	MonitorLoss        = "loss"
	MonitorAccuracy    = "accuracy"
)

// Class weighting modes for Config.ClassWeight.
const ClassWeightBalanced = "balanced"

// DefaultConfig returns the default training recipe: up to 40 epochs of
// batches of 32 (16 below SmallData samples: BatchSize 0, AutoBatchSize);
// Adam (Keras betas and epsilon) at 3e-3 with
// global_clipnorm 1; reduce_on_plateau (factor 0.5, patience 1, min_delta
// 1e-4 on val_loss); early stopping with patience 3 on val_accuracy (ties
// go to the lower val_loss, see earlyStopper) and the best weights
// restored; a moving average of the weights (use_ema, momentum 0.99), which
// is what is validated and returned; a pretrained embedding frozen for the
// first 2 epochs (FreezeEmbeddingEpochs). No weight decay, class weights
// or label smoothing. The Keras example's recipe (KerasConfig) undertrains;
// docs/decisions/ holds the measurements behind each setting.
func DefaultConfig() Config {
	c := KerasConfig()
	c.Epochs = 40
	c.BatchSize = 0 // AutoBatchSize
	c.Optimizer.LearningRate = 0.003
	c.FreezeEmbeddingEpochs = 2
	c.Optimizer.GlobalClipNorm = 1
	c.EarlyStopping.Patience = 3
	c.EarlyStopping.Monitor = MonitorValAccuracy
	c.LRSchedule.Name = ScheduleReduceOnPlateau
	c.Optimizer.UseEMA = true
	return c
}

// SmallData is the number of training samples below which batch_size 0
// (the default) means batches of 16 rather than 32.
const SmallData = 4000

// AutoBatchSize is the batch size that batch_size 0 stands for with n
// training samples: 16 below SmallData samples, where more updates per
// epoch are worth up to a point and a half of test accuracy, and 32 above
// (docs/decisions/batch-size.md).
func AutoBatchSize(n int) int {
	if n < SmallData {
		return 16
	}
	return 32
}

// BatchSizeFor returns the batch size of a training on n samples: the
// configured one, or AutoBatchSize(n) for 0.
func (c Config) BatchSizeFor(n int) int {
	if c.BatchSize > 0 {
		return c.BatchSize
	}
	return AutoBatchSize(n)
}

// KerasConfig returns the training settings of the Keras example
// (configs/keras.yaml): 10 epochs of batches of 128, shuffled with
// seed 1, Adam with the Keras defaults, a constant learning rate, no
// clipping, early stopping disabled (patience 0); the reduce_on_plateau
// settings, used once lr_schedule.name selects it, are those of DefaultConfig.
func KerasConfig() Config {
	return Config{
		Epochs:    10,
		BatchSize: 128,
		Shuffle:   true,
		Seed:      1,
		Threads:   0,
		Optimizer: OptimizerConfig{
			Name:         "adam",
			LearningRate: 0.001,
			Beta1:        0.9,
			Beta2:        0.999,
			Epsilon:      1e-7,
			EMAMomentum:  0.99,
		},
		EarlyStopping: EarlyStoppingConfig{
			Monitor:            MonitorValLoss,
			Patience:           0,
			MinDelta:           0,
			RestoreBestWeights: true,
		},
		LRSchedule: LRScheduleConfig{
			Name:     ScheduleConstant,
			MinLR:    0,
			Factor:   0.5,
			Patience: 1,
			Cooldown: 0,
			MinDelta: 1e-4,
			Monitor:  MonitorValLoss,
		},
	}
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	if c.Epochs < 1 {
		return fmt.Errorf("train: epochs must be at least 1, got %d", c.Epochs)
	}
	if c.BatchSize < 0 {
		return fmt.Errorf("train: batch_size must be at least 1 (or 0 for the size of the data's choosing), got %d", c.BatchSize)
	}
	if c.FreezeEmbeddingEpochs < 0 {
		return fmt.Errorf("train: freeze_embedding_epochs must be >= 0, got %d", c.FreezeEmbeddingEpochs)
	}
	if c.Threads < 0 {
		return fmt.Errorf("train: threads must be >= 0 (0 = all cores), got %d", c.Threads)
	}
	if err := c.Optimizer.Validate(); err != nil {
		return err
	}
	if err := c.EarlyStopping.Validate(); err != nil {
		return err
	}
	if err := c.LRSchedule.validate(c.Optimizer.LearningRate); err != nil {
		return err
	}
	switch c.ClassWeight {
	case "", ClassWeightBalanced:
	default:
		return fmt.Errorf("train: class_weight must be \"balanced\" or empty, got %q (per-label weights go in class_weights)", c.ClassWeight)
	}
	if c.ClassWeight != "" && len(c.ClassWeights) > 0 {
		return errors.New("train: set only one of class_weight and class_weights")
	}
	for name, w := range c.ClassWeights {
		if !(w > 0) || math.IsInf(w, 0) {
			return fmt.Errorf("train: class_weights[%q] must be a positive number, got %v", name, w)
		}
	}
	if !(c.LabelSmoothing >= 0 && c.LabelSmoothing < 1) {
		return fmt.Errorf("train: label_smoothing must be in [0, 1), got %v", c.LabelSmoothing)
	}
	return nil
}

// Validate reports the first invalid optimizer setting.
func (o OptimizerConfig) Validate() error {
	if !strings.EqualFold(o.Name, "adam") {
		return fmt.Errorf("train: optimizer.name %q is not supported (only \"adam\"; set optimizer.weight_decay for AdamW)", o.Name)
	}
	if !(o.LearningRate > 0) || math.IsInf(o.LearningRate, 0) {
		return fmt.Errorf("train: optimizer.learning_rate must be a positive number, got %v", o.LearningRate)
	}
	if !(o.Beta1 >= 0 && o.Beta1 < 1) {
		return fmt.Errorf("train: optimizer.beta_1 must be in [0, 1), got %v", o.Beta1)
	}
	if !(o.Beta2 >= 0 && o.Beta2 < 1) {
		return fmt.Errorf("train: optimizer.beta_2 must be in [0, 1), got %v", o.Beta2)
	}
	if !(o.Epsilon > 0) || math.IsInf(o.Epsilon, 0) {
		return fmt.Errorf("train: optimizer.epsilon must be a positive number, got %v", o.Epsilon)
	}
	if !(o.ClipNorm >= 0) || math.IsInf(o.ClipNorm, 0) {
		return fmt.Errorf("train: optimizer.clipnorm must be >= 0 (0 = off), got %v", o.ClipNorm)
	}
	if !(o.GlobalClipNorm >= 0) || math.IsInf(o.GlobalClipNorm, 0) {
		return fmt.Errorf("train: optimizer.global_clipnorm must be >= 0 (0 = off), got %v", o.GlobalClipNorm)
	}
	if !(o.WeightDecay >= 0) || math.IsInf(o.WeightDecay, 0) {
		return fmt.Errorf("train: optimizer.weight_decay must be >= 0 (0 = off), got %v", o.WeightDecay)
	}
	if !(o.EMAMomentum >= 0 && o.EMAMomentum < 1) {
		return fmt.Errorf("train: optimizer.ema_momentum must be in [0, 1), got %v", o.EMAMomentum)
	}
	if o.ClipNorm > 0 && o.GlobalClipNorm > 0 {
		return errors.New("train: set only one of optimizer.clipnorm and optimizer.global_clipnorm")
	}
	return nil
}

// Validate reports the first invalid early-stopping setting.
func (e EarlyStoppingConfig) Validate() error {
	if !validMonitor(e.Monitor) {
		return fmt.Errorf("train: early_stopping.monitor must be one of val_loss, val_accuracy, loss, accuracy, got %q", e.Monitor)
	}
	if e.Patience < 0 {
		return fmt.Errorf("train: early_stopping.patience must be >= 0 (0 = off), got %d", e.Patience)
	}
	if !(e.MinDelta >= 0) || math.IsInf(e.MinDelta, 0) {
		return fmt.Errorf("train: early_stopping.min_delta must be a finite number >= 0, got %v", e.MinDelta)
	}
	return nil
}
