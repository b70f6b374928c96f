package train

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

// kerasExample is the training part of the Keras example (configs/keras.yaml)
// (model.compile(optimizer='adam'), model.fit(epochs=10, batch_size=128)),
// spelled out: Keras' Adam defaults, a constant learning rate, no clipping,
// weight decay, class weights, label smoothing, moving average or early
// stopping (patience 0). The reduce_on_plateau settings, used only when
// lr_schedule.name selects it, are those of the default recipe.
func kerasExample() Config {
	return Config{
		Epochs:    10,
		BatchSize: 128,
		Shuffle:   true,
		Seed:      1,
		Optimizer: OptimizerConfig{Name: "adam", LearningRate: 0.001, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7, EMAMomentum: 0.99},
		EarlyStopping: EarlyStoppingConfig{
			Monitor:            MonitorValLoss,
			RestoreBestWeights: true,
		},
		LRSchedule: LRScheduleConfig{Name: ScheduleConstant, Factor: 0.5, Patience: 1, MinDelta: 1e-4, Monitor: MonitorValLoss},
	}
}

func TestKerasConfigIsTheKerasExample(t *testing.T) {
	k := KerasConfig()
	if err := k.Validate(); err != nil {
		t.Fatalf("KerasConfig() is invalid: %v", err)
	}
	if want := kerasExample(); !reflect.DeepEqual(k, want) {
		t.Errorf("KerasConfig() =\n %+v\nwant the Keras example\n %+v", k, want)
	}
}

func TestDefaultConfigIsValidAndTheDocumentedRecipe(t *testing.T) {
	d := DefaultConfig()
	if err := d.Validate(); err != nil {
		t.Fatalf("DefaultConfig() is invalid: %v", err)
	}
	// The recipe of DefaultConfig's doc comment: the Keras example's Adam
	// moments and reduce_on_plateau settings, and these changes.
	want := kerasExample()
	want.Epochs = 40
	want.BatchSize = 0 // AutoBatchSize: 16 or 32 by the data
	want.Optimizer.LearningRate = 0.003
	want.Optimizer.GlobalClipNorm = 1
	want.Optimizer.UseEMA = true
	want.FreezeEmbeddingEpochs = 2
	want.EarlyStopping.Patience = 3
	want.EarlyStopping.Monitor = MonitorValAccuracy
	want.LRSchedule.Name = ScheduleReduceOnPlateau
	if !reflect.DeepEqual(d, want) {
		t.Errorf("DefaultConfig() =\n %+v\nwant the documented recipe\n %+v", d, want)
	}
}

func TestConfigValidateRejects(t *testing.T) {
	cases := []struct {
		name, want string
		mut        func(*Config)
	}{
		{"epochs", "epochs", func(c *Config) { c.Epochs = 0 }},
		{"batch", "batch_size", func(c *Config) { c.BatchSize = -1 }},
		{"threads", "threads", func(c *Config) { c.Threads = -1 }},
		{"optimizer", "optimizer.name", func(c *Config) { c.Optimizer.Name = "sgd" }},
		{"lr zero", "learning_rate", func(c *Config) { c.Optimizer.LearningRate = 0 }},
		{"lr nan", "learning_rate", func(c *Config) { c.Optimizer.LearningRate = math.NaN() }},
		{"lr inf", "learning_rate", func(c *Config) { c.Optimizer.LearningRate = math.Inf(1) }},
		{"beta1 one", "beta_1", func(c *Config) { c.Optimizer.Beta1 = 1 }},
		{"beta1 neg", "beta_1", func(c *Config) { c.Optimizer.Beta1 = -0.1 }},
		{"beta2", "beta_2", func(c *Config) { c.Optimizer.Beta2 = 1.5 }},
		{"epsilon", "epsilon", func(c *Config) { c.Optimizer.Epsilon = 0 }},
		{"clipnorm", "clipnorm", func(c *Config) { c.Optimizer.ClipNorm = -1 }},
		{"global", "global_clipnorm", func(c *Config) { c.Optimizer.GlobalClipNorm = math.NaN() }},
		{"both clips", "only one", func(c *Config) { c.Optimizer.ClipNorm = 1; c.Optimizer.GlobalClipNorm = 1 }},
		{"monitor", "monitor", func(c *Config) { c.EarlyStopping.Monitor = "val_acc" }},
		{"patience", "patience", func(c *Config) { c.EarlyStopping.Patience = -2 }},
		{"min_delta", "min_delta", func(c *Config) { c.EarlyStopping.MinDelta = -0.1 }},
		{"weight decay", "weight_decay", func(c *Config) { c.Optimizer.WeightDecay = -0.01 }},
		{"weight decay inf", "weight_decay", func(c *Config) { c.Optimizer.WeightDecay = math.Inf(1) }},
		{"class_weight", "class_weight", func(c *Config) { c.ClassWeight = "auto" }},
		{"class weights both", "only one", func(c *Config) { c.ClassWeight = "balanced"; c.ClassWeights = map[string]float64{"a": 1} }},
		{"class weight zero", "class_weights[\"b\"]", func(c *Config) { c.ClassWeights = map[string]float64{"a": 1, "b": 0} }},
		{"class weight nan", "class_weights", func(c *Config) { c.ClassWeights = map[string]float64{"a": math.NaN()} }},
		{"smoothing one", "label_smoothing", func(c *Config) { c.LabelSmoothing = 1 }},
		{"smoothing neg", "label_smoothing", func(c *Config) { c.LabelSmoothing = -0.1 }},
		{"smoothing nan", "label_smoothing", func(c *Config) { c.LabelSmoothing = math.NaN() }},
		{"schedule", "lr_schedule", func(c *Config) { c.LRSchedule.Name = "cosine" }},
	}
	for _, tc := range cases {
		c := KerasConfig()
		tc.mut(&c)
		err := c.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), "train: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate() = %v, want an error about %s", tc.name, err, tc.want)
		}
	}
	c := KerasConfig()
	c.Optimizer.Name = "Adam"
	c.Optimizer.Beta1 = 0
	c.Optimizer.ClipNorm = 1
	c.EarlyStopping.Monitor = "accuracy"
	c.EarlyStopping.Patience = 3
	c.Optimizer.WeightDecay = 0.004
	c.ClassWeights = map[string]float64{"pos": 3, "neg": 0.5}
	c.LabelSmoothing = 0.1
	c.LRSchedule = LRScheduleConfig{Name: "reduce_on_plateau", Factor: 0.2, Patience: 0, Monitor: "val_accuracy", MinLR: 1e-5}
	if err := c.Validate(); err != nil {
		t.Errorf("valid config refused: %v", err)
	}
}
