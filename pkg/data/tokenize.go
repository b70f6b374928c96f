package data

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// punctuation is Python's string.punctuation, the characters Keras'
// lower_and_strip_punctuation deletes: !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~
const punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// Punctuation is the set lower_and_strip_punctuation deletes.
const Punctuation = punctuation

var asciiPunct, asciiSpace [utf8.RuneSelf]bool

func init() {
	for i := 0; i < len(punctuation); i++ {
		asciiPunct[punctuation[i]] = true
	}
	for _, c := range "\t\n\v\f\r " { // the ASCII part of unicode.IsSpace
		asciiSpace[c] = true
	}
}

// Tokenizer standardizes and splits text (Keras TextVectorization):
//
//   - lower: Unicode lower-case, rune by rune (exactly strings.ToLower);
//   - strip: delete the ASCII punctuation of Python's string.punctuation,
//     apostrophe included ("don't" -> "dont"; "a-b" -> "ab"); other Unicode
//     punctuation is kept;
//   - then split (text.split): "whitespace" on runs of Unicode white
//     space (exactly strings.Fields; unlike Python's str.split, the ASCII
//     separators \x1c-\x1f are not white space); "character" into code
//     points, white space included (Keras' "character"); "unicode_words"
//     at the word boundaries of Unicode Standard Annex #29, dropping
//     white-space segments and, when the standardization strips
//     punctuation, segments made only of Unicode punctuation (category P),
//     and splitting a segment that holds a letter of a script written
//     without spaces (Han, Hiragana, Katakana, Bopomofo, Thai, Lao, Khmer,
//     Myanmar, Tai Tham, New Tai Lue, Tai Viet) into its code points.
//     Empty tokens never occur; a token longer than MaxTokenBytes is cut to
//     its first MaxTokenBytes bytes, at a character boundary;
//   - with text.ngrams N > 1, the words are followed by their 2-grams, then
//     3-grams, ..., N-grams, each the words joined by one space (Keras
//     TextVectorization(ngrams=N): "a b c" -> a, b, c, "a b", "b c").
//     Truncation applies to this whole list.
//
// Invalid UTF-8 bytes in the input become U+FFFD (readers repair text
// already, so this only matters for strings from elsewhere). A Tokenizer is
// immutable and safe for concurrent use.
type Tokenizer struct {
	lower, strip bool
	split        string // text.split
	ngrams       int    // text.ngrams
}

func standardizeFlags(mode string) (lower, strip bool, err error) {
	switch mode {
	case StandardizeLowerStrip:
		return true, true, nil
	case StandardizeLower:
		return true, false, nil
	case StandardizeStrip:
		return false, true, nil
	case StandardizeNone:
		return false, false, nil
	}
	return false, false, fmt.Errorf("data: text.standardize must be %s, %s, %s or %s, got %q",
		StandardizeLowerStrip, StandardizeLower, StandardizeStrip, StandardizeNone, mode)
}

// NewTokenizer returns the tokenizer of c.Standardize, c.Split and
// c.Ngrams (other fields are not looked at).
func NewTokenizer(c TextConfig) (*Tokenizer, error) {
	lower, strip, err := standardizeFlags(c.Standardize)
	if err != nil {
		return nil, err
	}
	if err := checkSplit(c.Split); err != nil {
		return nil, err
	}
	if c.Ngrams < 0 || c.Ngrams > MaxNgrams {
		return nil, fmt.Errorf("data: text.ngrams must be 0 (words only) to %d, got %d", MaxNgrams, c.Ngrams)
	}
	return &Tokenizer{lower: lower, strip: strip, split: c.Split, ngrams: c.Ngrams}, nil
}

// Tokens returns the tokens of s.
func (t *Tokenizer) Tokens(s string) []string {
	return t.AppendTokens(nil, s)
}

// AppendTokens appends the tokens of s to dst.
func (t *Tokenizer) AppendTokens(dst []string, s string) []string {
	if !t.simple() {
		return t.appendGeneral(dst, s)
	}
	var scratch [64]byte
	buf := scratch[:0]
	for i := 0; ; {
		var ok bool
		buf, i, ok = t.next(s, i, buf)
		if !ok {
			return dst
		}
		dst = append(dst, string(buf))
	}
}

// Count returns the number of tokens of s without building them.
func (t *Tokenizer) Count(s string) int {
	if !t.simple() {
		return len(t.appendGeneral(nil, s))
	}
	var scratch [64]byte
	buf := scratch[:0]
	n := 0
	for i := 0; ; n++ {
		var ok bool
		buf, i, ok = t.next(s, i, buf)
		if !ok {
			return n
		}
	}
}

// Standardize returns s standardized (lower-cased and/or stripped), before
// splitting.
func (t *Tokenizer) Standardize(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			if t.strip && asciiPunct[c] {
				continue
			}
			if t.lower && 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			out = append(out, c)
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		i += w
		if t.lower {
			r = unicode.ToLower(r)
		}
		out = utf8.AppendRune(out, r)
	}
	return string(out)
}

// next scans s from byte i for the next token. It writes the token's bytes
// into buf[:0] and returns them with the position after the token (and its
// terminating white space); ok is false when s has no more tokens.
// Standardizing rune by rune and then testing for white space is the same as
// standardizing the whole string and then splitting it: lower-casing maps
// no rune to or from white space or ASCII punctuation.
//
// A token is cut to its first MaxTokenBytes bytes (at a character
// boundary): once a character does not fit, the rest of the token is
// skipped.
func (t *Tokenizer) next(s string, i int, buf []byte) (tok []byte, j int, ok bool) {
	buf = buf[:0]
	full := false // a character did not fit: skip to the token's end
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			if asciiSpace[c] {
				if len(buf) > 0 {
					return buf, i, true
				}
				continue
			}
			if t.strip && asciiPunct[c] {
				continue
			}
			if t.lower && 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if len(buf) >= MaxTokenBytes {
				full = true
				continue
			}
			if !full {
				buf = append(buf, c)
			}
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:]) // invalid byte: (U+FFFD, 1), as strings.Map
		i += w
		if t.lower {
			r = unicode.ToLower(r)
		}
		if unicode.IsSpace(r) {
			if len(buf) > 0 {
				return buf, i, true
			}
			continue
		}
		if full || len(buf)+utf8.RuneLen(r) > MaxTokenBytes {
			full = true
			continue
		}
		buf = utf8.AppendRune(buf, r)
	}
	return buf, i, len(buf) > 0
}
