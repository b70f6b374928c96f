package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/lstmctl/lstmctl/pkg/train"
)

// FuzzStoredConfig mutates the stored config of a valid checkpoint (its
// checksums rewritten, so only the config is hostile) and runs it through
// every open path of the commands: Open (eval, predict, inspect, train
// --from) and Train's resume. None may panic or allocate beyond the file's
// own tensors.
func FuzzStoredConfig(f *testing.F) {
	dir := f.TempDir()
	cfg := tinyRun(f, dir)
	cfg.Train.Epochs = 1
	cfg.Data.Test = ""
	cfg.Output.CheckpointDir = filepath.Join(dir, "ck")
	if _, err := Train(context.Background(), cfg, TrainOptions{}); err != nil {
		f.Fatal(err)
	}
	ck, err := train.ReadCheckpoint(filepath.Join(cfg.Output.CheckpointDir, train.LastCheckpoint))
	if err != nil {
		f.Fatal(err)
	}
	valid := ck.Meta[metaConfig]
	f.Add(valid)
	for _, seed := range []string{
		`{"model":{"embedding_dim":1099511627776,"lstm":[6],"mask_padding":true}}`,
		`{"model":{"embedding_dim":8,"lstm":[200000],"mask_padding":true}}`,
		`{"model":{"embedding_dim":8,"lstm":[6,6,6,6,6,6,6,6],"mask_padding":true,"bidirectional":true}}`,
		`{"text":{"sequence_length":100000000},"model":{"embedding_dim":8,"lstm":[6],"mask_padding":false}}`,
		`{"model":{"embedding_dim":-1}}`, `{}`, `[]`, `null`, `{"model":`,
	} {
		f.Add(seed)
	}
	run := cfg
	run.Output.CheckpointDir = ""
	run.Output.Model = filepath.Join(dir, "resumed.safetensors")
	f.Fuzz(func(t *testing.T, config string) {
		ck.Meta[metaConfig] = config
		path := filepath.Join(t.TempDir(), "ck.safetensors")
		if err := ck.WriteFile(path); err != nil {
			t.Skip(err) // metadata the file format cannot hold
		}
		if m, err := Open(path); err == nil {
			if _, err := m.Evaluate(nil); err == nil {
				t.Error("Evaluate of no examples: no error")
			}
		}
		for _, vectors := range []string{"", DefaultEmbeddingVectors} {
			r := run
			r.Model.EmbeddingVectors = vectors
			_, _ = Train(context.Background(), r, TrainOptions{Resume: path})
		}
		_ = os.Remove(run.Output.Model)
	})
}
