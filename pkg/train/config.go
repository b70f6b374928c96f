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
}

// OptimizerConfig configures Adam (Keras form).
type OptimizerConfig struct {
	Name           string  `mapstructure:"name" json:"name"`
	LearningRate   float64 `mapstructure:"learning_rate" json:"learning_rate"`
	Beta1          float64 `mapstructure:"beta_1" json:"beta_1"`
	Beta2          float64 `mapstructure:"beta_2" json:"beta_2"`
	Epsilon        float64 `mapstructure:"epsilon" json:"epsilon"`
	ClipNorm       float64 `mapstructure:"clipnorm" json:"clipnorm"`
	GlobalClipNorm float64 `mapstructure:"global_clipnorm" json:"global_clipnorm"`
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

// DefaultConfig returns the training settings of the Keras example:
// 10 epochs of batches of 128, shuffled with seed 1, Adam with the Keras
// defaults and early stopping disabled (patience 0).
func DefaultConfig() Config {
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
		},
		EarlyStopping: EarlyStoppingConfig{
			Monitor:            MonitorValLoss,
			Patience:           0,
			MinDelta:           0,
			RestoreBestWeights: true,
		},
	}
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	if c.Epochs < 1 {
		return fmt.Errorf("train: epochs must be at least 1, got %d", c.Epochs)
	}
	if c.BatchSize < 1 {
		return fmt.Errorf("train: batch_size must be at least 1, got %d", c.BatchSize)
	}
	if c.Threads < 0 {
		return fmt.Errorf("train: threads must be >= 0 (0 = all cores), got %d", c.Threads)
	}
	if err := c.Optimizer.Validate(); err != nil {
		return err
	}
	return c.EarlyStopping.Validate()
}

// Validate reports the first invalid optimizer setting.
func (o OptimizerConfig) Validate() error {
	if !strings.EqualFold(o.Name, "adam") {
		return fmt.Errorf("train: optimizer.name %q is not supported (only \"adam\")", o.Name)
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
	if o.ClipNorm > 0 && o.GlobalClipNorm > 0 {
		return errors.New("train: set only one of optimizer.clipnorm and optimizer.global_clipnorm")
	}
	return nil
}

// Validate reports the first invalid early-stopping setting.
func (e EarlyStoppingConfig) Validate() error {
	switch e.Monitor {
	case MonitorValLoss, MonitorValAccuracy, MonitorLoss, MonitorAccuracy:
	default:
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
