package pipeline

import "context"

// PredictTexts puts the probabilities of every text into sink, in order.
// A text is one document, encoded (and cut to text.sequence_length) as a
// line of PredictLines is; texts are run in the same chunks. ctx is
// checked before each chunk.
func (p *Predictor) PredictTexts(ctx context.Context, texts []string, sink Sink) error {
	for _, text := range texts {
		p.encode(text) // with subwords, a word out of the vocabulary keeps its n-grams
		if len(p.seqs) == predictChunk {
			if err := p.flush(ctx, sink); err != nil {
				p.seqs, p.ids = p.seqs[:0], p.ids[:0]
				return err
			}
		}
	}
	err := p.flush(ctx, sink)
	p.seqs, p.ids = p.seqs[:0], p.ids[:0]
	return err
}
