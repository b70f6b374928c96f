package pipeline

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/train"
)

// The metadata Train stores in every checkpoint, beside the trainer's own:
// with them a checkpoint opens as a model (Open) and resumes without the
// model file.
const (
	metaConfig = "config" // Config.JSON
	metaVocab  = "vocab"  // JSON array of the vocabulary's tokens
	metaLabels = "labels" // JSON array of the label names
)

// checkpointMeta is the metadata of the checkpoints of a run (with the
// data fingerprint and version of m.Training when set).
func checkpointMeta(m *Model) map[string]string {
	v, _ := json.Marshal(m.Vocab.Tokens())
	l, _ := json.Marshal(m.Labels.Names())
	meta := map[string]string{metaConfig: string(m.Config.JSON()), metaVocab: string(v), metaLabels: string(l)}
	if m.Training != nil {
		meta[metaTraining] = m.Training.json()
	}
	return meta
}

// fingerprintExtra is what the weights depend on beyond the train section
// and the data, which the trainer hashes itself: the text settings, the
// network and the vocabulary. A checkpoint resumes only under the same.
func fingerprintExtra(cfg *Config, vocab *data.Vocab) []byte {
	b, _ := json.Marshal(struct {
		Text  data.TextConfig
		Model ModelConfig
		Vocab []string
	}{cfg.Text, cfg.Model, vocab.Tokens()})
	return b
}

// InterruptCheckpointPath is where an interrupted run without a checkpoint
// directory keeps its state: beside the model file.
func InterruptCheckpointPath(modelPath string) string {
	return strings.TrimSuffix(modelPath, ".safetensors") + ".checkpoint.safetensors"
}

// checkpointEmbeddingDim is the embedding dimension a checkpoint was made
// with, which a run from pretrained vectors would otherwise take from the
// vectors: resuming needs neither them nor the network. It is read from
// the embedding tensor the checkpoint holds, which the stored configuration
// must agree with: a configuration cannot claim a size the file does not
// hold.
func checkpointEmbeddingDim(ck *train.Checkpoint) (int, error) {
	stored, err := ParseStoredConfig([]byte(ck.Meta[metaConfig]))
	if err != nil {
		return 0, err
	}
	for _, w := range ck.ModelWeights() {
		if w.Name == embeddingTensor && len(w.Shape) == 2 {
			if w.Shape[1] != stored.Model.EmbeddingDim {
				return 0, fmt.Errorf("embedding tensor %v disagrees with model.embedding_dim %d", w.Shape, stored.Model.EmbeddingDim)
			}
			return w.Shape[1], nil
		}
	}
	return 0, fmt.Errorf("no %s tensor", embeddingTensor)
}

// embeddingTensor is the name of the embedding's weights in model files
// and checkpoints.
const embeddingTensor = "embedding.embeddings"
