package data

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// Split modes (text.split).
const (
	// SplitWhitespace splits on runs of Unicode white space (Keras'
	// "whitespace").
	SplitWhitespace = "whitespace"
	// SplitCharacter makes every code point a token, white space included
	// (Keras' "character", tf.strings.unicode_split).
	SplitCharacter = "character"
	// SplitUnicodeWords segments by the word boundaries of Unicode
	// Standard Annex #29; see Tokenizer.
	SplitUnicodeWords = "unicode_words"
)

// Splits lists the text.split modes.
var Splits = []string{SplitWhitespace, SplitCharacter, SplitUnicodeWords}

// MaxNgrams bounds text.ngrams: a text of n words gives about N·n tokens.
const MaxNgrams = 8

// noSpaceScripts are the scripts written without spaces between words;
// unicode_words splits a segment holding any of their letters into
// characters (dictionary-based segmentation of them is out of scope).
var noSpaceScripts = []*unicode.RangeTable{
	unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Bopomofo,
	unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar,
	unicode.Tai_Tham, unicode.New_Tai_Lue, unicode.Tai_Viet,
}

// simple reports whether t is the plain whitespace split without n-grams,
// which next scans without building strings.
func (t *Tokenizer) simple() bool { return t.split == SplitWhitespace && t.ngrams <= 1 }

// appendGeneral appends the tokens of s for every mode: the words of the
// split, then (ngrams N > 1) the 2-grams, ..., the N-grams.
func (t *Tokenizer) appendGeneral(dst []string, s string) []string {
	std := t.Standardize(s)
	start := len(dst)
	switch t.split {
	case SplitCharacter:
		for _, r := range std {
			dst = append(dst, string(r))
		}
	case SplitUnicodeWords:
		for state := -1; len(std) > 0; {
			var seg string
			seg, std, state = uniseg.FirstWordInString(std, state)
			dst = t.appendSegment(dst, seg)
		}
	default:
		for _, w := range strings.Fields(std) {
			dst = append(dst, cutToken(w))
		}
	}
	n := len(dst) - start
	words := dst[start : start+n : start+n] // stays valid when dst grows
	for w := 2; w <= t.ngrams; w++ {
		for i := 0; i+w <= n; i++ {
			dst = append(dst, strings.Join(words[i:i+w], " "))
		}
	}
	return dst
}

// appendSegment appends the tokens of one UAX #29 segment: none for white
// space, none for punctuation when the standardization strips it, one
// per character when the segment holds a letter of a script written
// without spaces, else the segment.
func (t *Tokenizer) appendSegment(dst []string, seg string) []string {
	space, punct, noSpace := true, true, false
	for _, r := range seg {
		if !unicode.IsSpace(r) {
			space = false
		}
		if !unicode.IsPunct(r) {
			punct = false
		}
		if r >= utf8.RuneSelf && unicode.In(r, noSpaceScripts...) {
			noSpace = true
		}
	}
	switch {
	case space, punct && t.strip:
		return dst
	case noSpace:
		for _, r := range seg {
			if !unicode.IsSpace(r) && !(t.strip && unicode.IsPunct(r)) {
				dst = append(dst, string(r))
			}
		}
		return dst
	}
	return append(dst, cutToken(seg))
}

// cutToken returns tok cut to its first MaxTokenBytes bytes at a character
// boundary, as the whitespace scan cuts a token.
func cutToken(tok string) string {
	if len(tok) <= MaxTokenBytes {
		return tok
	}
	n := 0
	for n < len(tok) {
		_, w := utf8.DecodeRuneInString(tok[n:])
		if n+w > MaxTokenBytes {
			break
		}
		n += w
	}
	return tok[:n]
}
