package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"train", "train", 0},
		{"trian", "train", 1}, // a swap is one edit
		{"epoch", "epochs", 1}, {"epochz", "epochs", 1}, {"kitten", "sitting", 3},
		{"ca", "abc", 3}, // optimal string alignment, not full Damerau
		{"größe", "grösse", 2},
	} {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := Distance(c.b, c.a); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (symmetric)", c.b, c.a, got, c.want)
		}
	}
}

func TestClosest(t *testing.T) {
	flags := []string{"batch-size", "epochs", "format", "from", "help", "history", "learning-rate", "model", "test", "train"}
	cmds := []string{"completion", "eval", "help", "predict", "train", "vectors", "version"}
	for _, c := range []struct {
		name string
		in   []string
		want string
	}{
		{"epoch", flags, "epochs"},
		{"epocs", flags, "epochs"},
		{"batchsize", flags, "batch-size"},
		{"learning_rate", flags, "learning-rate"},
		{"modle", flags, "model"},
		{"no-such-flag", flags, ""},
		{"trian", cmds, "train"},
		{"tra", cmds, "train"},
		{"predcit", cmds, "predict"},
		{"evl", cmds, "eval"},
		{"verison", cmds, "version"},
		{"frobnicate", cmds, ""},
		{"x", cmds, ""},
		{"", cmds, ""},
		{"anything", nil, ""},
	} {
		if got := Closest(c.name, c.in); got != c.want {
			t.Errorf("Closest(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestClosestKey(t *testing.T) {
	keys := []string{"data.train", "model.embedding_dim", "model.lstm", "train.batch_size", "train.early_stopping.patience", "train.epochs", "train.optimizer.learning_rate", "text.sequence_length"}
	for _, c := range []struct {
		name, sep, want string
	}{
		{"train.epochz", ".", "train.epochs"},
		{"train.epoch", ".", "train.epochs"},
		{"train.learning_rate", ".", "train.optimizer.learning_rate"}, // a section left out
		{"learning_rate", ".", "train.optimizer.learning_rate"},
		{"train.learning_rat", ".", "train.optimizer.learning_rate"}, // and a typo in the last part
		{"train.patience", ".", "train.early_stopping.patience"},
		{"text.sequence_len", ".", "text.sequence_length"},
		{"train.bogus", ".", ""},
		{"colour", ".", ""},
		{"train_epoch", "_", "train.epochs"},
		{"train_learning_rate", "_", "train.optimizer.learning_rate"},
		{"model_embeding_dim", "_", "model.embedding_dim"},
		{"cache_dir", "_", ""},
	} {
		if got := ClosestKey(c.name, keys, c.sep); got != c.want {
			t.Errorf("ClosestKey(%q, %q) = %q, want %q", c.name, c.sep, got, c.want)
		}
	}
}
