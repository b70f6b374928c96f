package train

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
