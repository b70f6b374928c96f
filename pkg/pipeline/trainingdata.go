package pipeline

import "github.com/lstmctl/lstmctl/pkg/data"

// ReadTrainingData reads the training and validation examples of cfg as
// Train does: data.train, and data.validation or the data.validation_split
// held out of data.train (valEx is nil without either).
func ReadTrainingData(cfg Config, ro ReadOptions) (trainEx, valEx []data.Example, err error) {
	return readSplit(&cfg, ro)
}
