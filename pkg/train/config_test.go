package train

import (
	"math"
	"strings"
	"testing"
)

func TestDefaultConfigIsValidAndKeras(t *testing.T) {
	c := KerasConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	o := c.Optimizer
	if c.Epochs != 10 || c.BatchSize != 128 || !c.Shuffle || o.Name != "adam" || o.LearningRate != 0.001 ||
		o.Beta1 != 0.9 || o.Beta2 != 0.999 || o.Epsilon != 1e-7 || c.EarlyStopping.Patience != 0 ||
		c.EarlyStopping.Monitor != "val_loss" || !c.EarlyStopping.RestoreBestWeights {
		t.Errorf("DefaultConfig = %+v", c)
	}
	// The recipe options are off by default.
	l := c.LRSchedule
	if o.WeightDecay != 0 || c.ClassWeight != "" || c.ClassWeights != nil || c.LabelSmoothing != 0 || l.Name != "constant" ||
		l.WarmupSteps != 0 || l.WarmupEpochs != 0 || l.Factor != 0.5 || l.Patience != 1 || l.Monitor != "val_loss" || l.MinDelta != 1e-4 {
		t.Errorf("DefaultConfig recipe options = %+v", c)
	}
}

func TestConfigValidateRejects(t *testing.T) {
	cases := []struct {
		name, want string
		mut        func(*Config)
	}{
		{"epochs", "epochs", func(c *Config) { c.Epochs = 0 }},
		{"batch", "batch_size", func(c *Config) { c.BatchSize = 0 }},
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

func TestDefaultRecipeValid(t *testing.T) {
	for name, c := range map[string]Config{"default": DefaultConfig(), "keras": KerasConfig()} {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	d, k := DefaultConfig(), KerasConfig()
	if k.Epochs != 10 || k.BatchSize != 128 || k.Optimizer.LearningRate != 0.001 || k.EarlyStopping.Patience != 0 || k.LRSchedule.Name != ScheduleConstant {
		t.Errorf("KerasConfig is not the Keras example: %+v", k)
	}
	if d.EarlyStopping.Monitor != MonitorValAccuracy || d.LRSchedule.Monitor != MonitorValLoss {
		t.Errorf("monitors: early stopping %q, reduce_on_plateau %q", d.EarlyStopping.Monitor, d.LRSchedule.Monitor)
	}
	if !d.Optimizer.UseEMA || d.Optimizer.EMAMomentum != 0.99 || k.Optimizer.UseEMA {
		t.Errorf("use_ema: default %+v, keras %+v", d.Optimizer, k.Optimizer)
	}
	if d.Optimizer.Beta1 != k.Optimizer.Beta1 || d.Optimizer.Beta2 != k.Optimizer.Beta2 || d.Optimizer.Epsilon != k.Optimizer.Epsilon {
		t.Errorf("default Adam moments differ from Keras: %+v", d.Optimizer)
	}
}
