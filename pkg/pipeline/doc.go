// Package pipeline is lstmctl without the command line: it reads labelled
// text, builds the vocabulary and the labels, starts the embedding from
// pretrained vectors, trains, tests and saves a classifier, and opens,
// evaluates and runs a saved one. The lstmctl commands parse flags into a
// Config and options, call this package and render what it returns; a Go
// program can do the same.
//
// A Model bundles what a saved classifier needs to be used: the network
// (model.Classifier), the configuration it was trained with (whose text
// section says how texts become token ids), the vocabulary and the labels.
// Open reads one from a model file or from a training checkpoint. The text
// and model sections of a Model's configuration belong to its weights: a
// caller may change how a Model is run (Configure), never how it reads text.
//
// Train holds the whole training run: a preflight that every input opens
// and every output can be written, reading, splitting, vocabulary and
// labels, pretrained vectors, fitting (package train), the history file
// (a row per epoch as the run goes), the model file (or, when it cannot be
// written, a rescue file beside it or in the temporary directory that the
// error names) and the optional test set. It reports through a Reporter
// and, when interrupted, saves a checkpoint and returns an *InterruptedError
// naming it. The metadata, fingerprint and file name of checkpoints are
// this package's (checkpoint.go), so that Open and Train's resume read what
// Train writes.
package pipeline
