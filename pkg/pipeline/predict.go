package pipeline

import (
	"context"
	"fmt"
	"io"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/embed"
	"github.com/lstmctl/lstmctl/pkg/train"
)

// predictChunk is how many lines a Predictor encodes and runs at once:
// enough to fill the batch kernels, few enough to stream.
const predictChunk = 256

// Predictor computes the class probabilities of texts with a Model,
// reusing its buffers and goroutines. It is not safe for concurrent use;
// Close releases it.
type Predictor struct {
	m    *Model
	p    *train.Predictor
	seqs [][]int32
	ids  []int32 // the ids of a chunk's lines, one buffer reused chunk after chunk
	// forms holds the chunk's words out of the vocabulary, with their
	// subwords (nil without subwords); a new one per chunk bounds it.
	forms *data.Forms
	// checked: the memory of the model's batches was checked.
	checked bool
	// Warn, when set, is told of the texts cut to data.MaxTextBytes: the
	// first few by file and line, then how many more of one input.
	Warn func(msg string)
	cuts cutWarner // of the current input, with Warn
}

// NewPredictor returns a Predictor of the model, run with its train.threads
// and batch size.
func (m *Model) NewPredictor() *Predictor {
	return &Predictor{
		m:     m,
		p:     m.trainPredictor(),
		seqs:  make([][]int32, 0, predictChunk),
		forms: m.Encoder.NewForms(),
	}
}

// trainPredictor returns a train.Predictor of the model with its threads,
// batch size and int8 setting.
func (m *Model) trainPredictor() *train.Predictor {
	c := &m.Config
	p := train.NewPredictor(m.Classifier, c.Text.Layout(), c.Train.BatchSize, c.Threads())
	p.UseInt8(m.int8)
	return p
}

// encode appends the ids of text to the chunk held.
func (p *Predictor) encode(text string) {
	start := len(p.ids)
	p.ids = p.m.Encoder.AppendEncodeForms(p.ids, p.forms, text)
	p.seqs = append(p.seqs, p.ids[start:len(p.ids):len(p.ids)])
}

// Close stops the Predictor's goroutines.
func (p *Predictor) Close() { p.p.Close() }

// Classes returns the number of probabilities per text.
func (p *Predictor) Classes() int { return p.p.Classes() }

// Sink takes a Predictor's output.
type Sink interface {
	// Put takes the probabilities of one text, which are reused after it
	// returns.
	Put(probs []float32) error
	// Flush ends a chunk of texts: whatever is buffered should go out.
	Flush() error
}

// PredictLines reads r, one text per line, and puts the probabilities of
// every line into sink, in order, an empty line included; a line longer
// than data.MaxTextBytes is cut to them (Warn is told). Lines are run in
// chunks, and a chunk is run early when r has nothing more buffered, so an
// interactive stream gets its answers as it goes. ctx is checked before
// each chunk. name is r's name in errors.
func (p *Predictor) PredictLines(ctx context.Context, r io.Reader, name string, sink Sink) error {
	if err := p.checkMemory(); err != nil {
		return err
	}
	lr := data.NewLineReader(r)
	shown := name // in warnings
	if name == Stdin {
		shown = stdinName
	}
	p.cuts = cutWarner{warn: p.Warn}
	defer p.cuts.end(shown)
	for {
		line, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		p.cuts.note(&data.Example{File: shown, Line: lr.Line(), Cut: lr.Cut()})
		p.encode(line)
		if len(p.seqs) == predictChunk || !lr.Buffered() {
			if err := p.flush(ctx, sink); err != nil {
				return err
			}
		}
	}
	return p.flush(ctx, sink)
}

// checkMemory checks, once, that batches of the longest texts the model
// reads fit in memory.
func (p *Predictor) checkMemory() error {
	if !p.checked {
		if err := p.m.checkInference("predict", nil); err != nil {
			return err
		}
		p.checked = true
	}
	return nil
}

// flush runs the lines held and emits their probabilities.
func (p *Predictor) flush(ctx context.Context, sink Sink) error {
	if len(p.seqs) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var bags *embed.Bags
	if p.forms != nil {
		bags = p.forms.Bags()
	}
	probs, err := p.p.PredictBags(p.seqs, bags)
	if err != nil {
		return err
	}
	if p.forms != nil && p.forms.Len() > 0 {
		p.forms = p.m.Encoder.NewForms()
	}
	c := p.p.Classes()
	for i := range p.seqs {
		if err := sink.Put(probs[i*c : (i+1)*c]); err != nil {
			return err
		}
	}
	p.seqs, p.ids = p.seqs[:0], p.ids[:0]
	return sink.Flush()
}
