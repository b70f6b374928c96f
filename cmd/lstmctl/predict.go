package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/train"
)

type predictOptions struct {
	IO         *IOStreams
	ConfigFile string
	Set        map[string]any
	Model      string
	Format     string
	TopK       int
	Files      []string
}

// predictChunk is how many lines predict encodes and runs at once: large
// enough to fill the batch kernels, small enough to stream.
const predictChunk = 256

func newPredictCmd(f *factory, g *globalOptions, runF func(context.Context, *predictOptions) error) *cobra.Command {
	opts := &predictOptions{IO: f.IO}
	c := &cobra.Command{
		Use:   "predict --model MODEL [FILE...]",
		Short: "Predict the label of each input line",
		Long: `Predict reads bare text, one document per line, from the files given or
from stdin, and writes exactly one line per input line, in order, an empty
input line included:

  tsv:   label<TAB>probability, then further label<TAB>probability pairs with --top-k
  jsonl: {"label": ..., "probability": ..., "top": [{"label": ..., "probability": ...}, ...]}`,
		Example: `  lstmctl predict --model model.safetensors < questions.txt > labels.tsv
  lstmctl predict --model model.safetensors --format jsonl --top-k 3 a.txt b.txt`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.ConfigFile = g.ConfigFile
			opts.Set = changedSettings(c, globalBindings)
			opts.Files = args
			if opts.Format != "tsv" && opts.Format != "jsonl" {
				return &usageError{err: fmt.Errorf("predict: --format must be tsv or jsonl, not %q", opts.Format), cmd: c.CommandPath()}
			}
			if opts.TopK < 1 {
				return &usageError{err: fmt.Errorf("predict: --top-k must be at least 1, got %d", opts.TopK), cmd: c.CommandPath()}
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runPredict(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.Model, "model", "model.safetensors", "model `file`")
	fl.StringVar(&opts.Format, "format", "tsv", "output format: tsv or jsonl")
	fl.IntVar(&opts.TopK, "top-k", 1, "labels per line, most probable first")
	return c
}

func runPredict(ctx context.Context, opts *predictOptions) error {
	ios := opts.IO
	lm, err := openModel(ios, opts.Model, opts.ConfigFile, opts.Set)
	if err != nil {
		return err
	}
	k := min(opts.TopK, lm.labels.Len())
	p := train.NewPredictor(lm.clf, batchOptions(lm.cfg, false), threads(lm.cfg.Train.Threads))
	defer p.Close()
	out := bufio.NewWriterSize(ios.Out, 64<<10)
	w := &predictionWriter{w: out, labels: lm.labels.Names(), k: k, jsonl: opts.Format == "jsonl"}
	inputs := opts.Files
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	// The ids of a chunk's lines share one growing buffer, reused chunk after
	// chunk: steady-state prediction does not allocate per line.
	seqs := make([][]int32, 0, predictChunk)
	var ids []int32
	flush := func() error {
		if len(seqs) == 0 {
			return nil
		}
		probs, err := p.Predict(seqs)
		if err != nil {
			return err
		}
		c := p.Classes()
		for i := range seqs {
			if err := w.write(probs[i*c : (i+1)*c]); err != nil {
				return err
			}
		}
		seqs, ids = seqs[:0], ids[:0]
		return out.Flush()
	}
	for _, name := range inputs {
		if err := ctx.Err(); err != nil {
			return err
		}
		var r io.Reader = ios.In
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return fmt.Errorf("predict: %w", err)
			}
			defer f.Close()
			r = f
		}
		lr := data.NewLineReader(r)
		for {
			line, err := lr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("predict: %s: %w", name, err)
			}
			start := len(ids)
			ids = lm.enc.AppendEncode(ids, line)
			seqs = append(seqs, ids[start:len(ids):len(ids)])
			// A full chunk, or an input that would block (an interactive
			// stream): predict what we have.
			if len(seqs) == predictChunk || !lr.Buffered() {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// predictionWriter formats one prediction per line.
type predictionWriter struct {
	w      *bufio.Writer
	labels []string
	k      int
	jsonl  bool
	order  []int
	buf    []byte
}

type topJSON struct {
	Label       string  `json:"label"`
	Probability float32 `json:"probability"`
}

type predictionJSON struct {
	Label       string    `json:"label"`
	Probability float32   `json:"probability"`
	Top         []topJSON `json:"top"`
}

func (pw *predictionWriter) write(probs []float32) error {
	if cap(pw.order) < len(probs) {
		pw.order = make([]int, len(probs))
	}
	order := pw.order[:len(probs)]
	for i := range order {
		order[i] = i
	}
	// Most probable first; ties by class index, so output is deterministic.
	sort.SliceStable(order, func(a, b int) bool { return probs[order[a]] > probs[order[b]] })
	top := order[:pw.k]
	if pw.jsonl {
		rec := predictionJSON{Label: pw.labels[top[0]], Probability: probs[top[0]], Top: make([]topJSON, len(top))}
		for i, c := range top {
			rec.Top[i] = topJSON{Label: pw.labels[c], Probability: probs[c]}
		}
		b, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		b = append(b, '\n')
		_, err = pw.w.Write(b)
		return err
	}
	b := pw.buf[:0]
	for i, c := range top {
		if i > 0 {
			b = append(b, '\t')
		}
		b = append(b, pw.labels[c]...)
		b = append(b, '\t')
		b = strconv.AppendFloat(b, float64(probs[c]), 'g', -1, 32)
	}
	b = append(b, '\n')
	pw.buf = b
	_, err := pw.w.Write(b)
	return err
}
