package pipeline

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/embed"
)

// coverageWarning returns a warning when the vectors give less than half
// of the vocabulary its vector ("" otherwise), naming the likely cause:
//
//   - tokenization, when most tokens without a vector hold punctuation the
//     vectors' words do not have (text.standardize keeps it), or are
//     longer than words are (a text not split into words by spaces);
//   - numbers, when most of them are numbers (GloVe as lstmctl fetches it
//     has none);
//   - case, when many of them are in the file in another case ("Paris"
//     for "paris": cased vectors, lower-cased text);
//   - else language: the text's common words are not in the file.
//
// The most frequent tokens without a vector are named, so the user sees
// at once what the file misses. Word n-grams (text.ngrams, tokens joined
// by a space) are left out of the count: no .vec word holds a space.
func coverageWarning(name string, v *embed.Vectors, vocab *data.Vocab, text data.TextConfig) string {
	found, total := v.Coverage()
	what := "vocabulary"
	if text.Ngrams > 1 {
		for id := int32(2); int(id) < vocab.Len(); id++ {
			if strings.Contains(vocab.Token(id), " ") {
				total--
			}
		}
		what = "vocabulary's words (n-grams aside)"
	}
	if total <= 0 || 2*found >= total {
		return ""
	}
	var missing, punct, long, number int
	var examples []string
	for id := int32(2); int(id) < vocab.Len(); id++ {
		if v.Vector(id) != nil {
			continue
		}
		tok := vocab.Token(id)
		if text.Ngrams > 1 && strings.Contains(tok, " ") {
			continue
		}
		missing++
		if strings.ContainsAny(tok, data.Punctuation) {
			punct++
		}
		if utf8.RuneCountInString(tok) > 20 {
			long++
		}
		if strings.Trim(tok, "0123456789") == "" {
			number++
		}
		if len(examples) < 5 {
			examples = append(examples, fmt.Sprintf("%q", tok))
		}
	}
	var cause string
	switch {
	case 2*punct >= missing:
		cause = fmt.Sprintf("tokenization: %d of the %d tokens without a vector hold punctuation, which the vectors' words do not (text.standardize %s removes it)",
			punct, missing, data.StandardizeLowerStrip)
	case 2*long >= missing:
		cause = fmt.Sprintf("tokenization: %d of the %d tokens without a vector are longer than 20 characters; is the text written without spaces between words? (text.split: unicode_words splits it)", long, missing)
	case 2*number >= missing:
		cause = fmt.Sprintf("numbers: %d of the %d tokens without a vector are numbers, which the vectors do not hold", number, missing)
	case 4*v.CaseOnly >= missing:
		cause = fmt.Sprintf("case: %d tokens have a vector only in another case (as \"Paris\" for \"paris\"): the vectors keep case", v.CaseOnly)
		if text.Standardize == data.StandardizeLowerStrip || text.Standardize == data.StandardizeLower {
			cause += fmt.Sprintf(" and the text is lower-cased (text.standardize %s keeps case)", data.StandardizeStrip)
		}
	default:
		cause = "language: are the vectors for the text's language?"
	}
	return fmt.Sprintf("vectors: %s covers only %.1f%% of the %s (%d of %d tokens); likely cause, %s; most frequent tokens without a vector: %s",
		name, 100*float64(found)/float64(total), what, found, total, cause, strings.Join(examples, ", "))
}

// VectorsCoverage loads the model's pretrained vectors
// (model.embedding_vectors) for its vocabulary from src and reports how
// much of the vocabulary they cover, with the warning training gives when
// they cover less than half of it ("" otherwise). A model trained without
// vectors has none: nil, "", nil.
func (m *Model) VectorsCoverage(ctx context.Context, src VectorSource) (*VectorsReport, string, error) {
	name := m.Config.Model.EmbeddingVectors
	if name == "" {
		return nil, "", nil
	}
	if src == nil {
		return nil, "", fmt.Errorf("vectors: no source to load %q from", name)
	}
	v, from, err := src.Load(ctx, name, m.Vocab.Tokens())
	if err != nil {
		return nil, "", err
	}
	found, total := v.Coverage()
	rep := &VectorsReport{Name: name, From: from, Found: found, Total: total, Lowered: v.Lowered, Dim: v.Dim}
	return rep, coverageWarning(name, v, m.Vocab, m.Config.Text), nil
}
