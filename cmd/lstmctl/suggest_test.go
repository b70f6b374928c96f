package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestSuggestions(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--epoch", "3"}, "lstmctl: unknown flag: --epoch (did you mean --epochs?)\nRun 'lstmctl train --help' for usage.\n"},
		{[]string{"eval", "--quite"}, "lstmctl: unknown flag: --quite (did you mean --quiet?)\nRun 'lstmctl eval --help' for usage.\n"},
		{[]string{"train", "--no-such-flag"}, "lstmctl: unknown flag: --no-such-flag\nRun 'lstmctl train --help' for usage.\n"},
		{[]string{"trian"}, "lstmctl: unknown command \"trian\" for \"lstmctl\" (did you mean train?)\nRun 'lstmctl --help' for usage.\n"},
		{[]string{"frobnicate"}, "lstmctl: unknown command \"frobnicate\" for \"lstmctl\"\nRun 'lstmctl --help' for usage.\n"},
		{[]string{"help", "trian"}, "lstmctl: unknown command \"trian\" for \"lstmctl\" (did you mean train?)\nRun 'lstmctl --help' for usage.\n"},
		{[]string{"help", "vectors", "fecth"}, "lstmctl: unknown command \"fecth\" for \"lstmctl vectors\" (did you mean fetch?)\nRun 'lstmctl vectors --help' for usage.\n"},
		{[]string{"vectors", "fecth"}, "lstmctl: unknown command \"fecth\" for \"lstmctl vectors\" (did you mean fetch?)\nRun 'lstmctl vectors --help' for usage.\n"},
	} {
		ios, _, out, errOut := Test()
		if code := run(context.Background(), ios, c.args); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", c.args, code, exitUsage)
		}
		if errOut.String() != c.want || out.Len() != 0 {
			t.Errorf("%v: stderr\n%s\nwant\n%s(stdout %q)", c.args, errOut, c.want, out)
		}
	}
	// Without arguments, lstmctl prints its help, as help does.
	for _, args := range [][]string{nil, {"help"}, {"help", "vectors", "fetch"}} {
		ios, _, out, _ := Test()
		if code := run(context.Background(), ios, args); code != exitOK || !strings.Contains(out.String(), "Usage:") {
			t.Errorf("lstmctl %v: exit %d, stdout %q", args, code, out)
		}
	}
}

func TestEnvWarning(t *testing.T) {
	ios, _, _, errOut := Test()
	env := map[string]string{"LSTMCTL_TRAIN_EPOCH": "3", "LSTMCTL_CACHE_DIR": "x"}
	ios.Env = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	ios.Environ = func() []string { return []string{"LSTMCTL_TRAIN_EPOCH=3", "LSTMCTL_CACHE_DIR=x"} }
	cfg, err := loadConfig(ios, "", nil, nil)
	if err != nil {
		t.Fatal(err) // a warning, not an error
	}
	if cfg.Train.Epochs != 40 {
		t.Errorf("epochs %d: the misspelt variable set something", cfg.Train.Epochs)
	}
	if want := "warning: LSTMCTL_TRAIN_EPOCH is not a setting of lstmctl and is ignored (did you mean LSTMCTL_TRAIN_EPOCHS?)\n"; errOut.String() != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
}

func TestPrintError(t *testing.T) {
	for _, c := range []struct{ err, want string }{
		{"one line", "lstmctl: one line\n"},
		{"  padded \n", "lstmctl: padded\n"},
		{"head:\n\nfirst\n\tnested\nlast  ", "lstmctl: head:\n  first\n    nested\n  last\n"},
		{"unknown command \"x\" for \"lstmctl\"\n\nDid you mean this?\n\ttrain\n", "lstmctl: unknown command \"x\" for \"lstmctl\"\n  Did you mean this?\n    train\n"},
	} {
		var b bytes.Buffer
		printError(&b, errors.New(c.err))
		if b.String() != c.want {
			t.Errorf("%q printed\n%s\nwant\n%s", c.err, b.String(), c.want)
		}
	}
}

// TestRootHelpNamesCommands: every `lstmctl CMD` of the root help is a
// command, and the help states the default model as it is built.
func TestRootHelpNamesCommands(t *testing.T) {
	root := newRootCmd(&factory{IO: &IOStreams{}})
	examples := regexp.MustCompile(`(?m)^\s+lstmctl ([a-z]+)`).FindAllStringSubmatch(rootLong, -1)
	if len(examples) == 0 {
		t.Error("the root help shows no command")
	}
	for _, m := range examples {
		if c, _, err := root.Find([]string{m[1]}); err != nil || c == root {
			t.Errorf("the root help names `lstmctl %s`, which is no command", m[1])
		}
	}
	for _, s := range []string{"100-dimensional", "LSTM(64) -> LSTM(32)"} {
		if !strings.Contains(rootLong, s) {
			t.Errorf("the root help lacks %q", s)
		}
	}
	if strings.Contains(rootLong, "serves") || strings.Contains(rootLong, "Embedding(V, 64)") {
		t.Error("the root help describes what lstmctl does not do")
	}
}

// TestTrainHelpSaysEmbeddingWidth: the help states the embedding's default
// width, which comes from the vectors, not from model.embedding_dim.
func TestTrainHelpSaysEmbeddingWidth(t *testing.T) {
	ios, _, out, _ := Test()
	if code := run(context.Background(), ios, []string{"train", "--help"}); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, s := range []string{"the built-in glove.6B.100d.int8, 100 wide", "takes their width", "random embedding 64 wide"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("train --help lacks %q", s)
		}
	}
}
