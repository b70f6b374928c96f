// Package embed holds the embedding table of the model: V rows of E float32
// values, row-major ([V, E], row v at W[v*E:(v+1)*E]), row 0 being the
// padding token and row 1 the out-of-vocabulary token "[UNK]".
//
// Lookup copies the rows of a list of token ids into a packed activation
// buffer ([len(ids), E], row r is the vector of ids[r]); AddGrad scatters the
// gradient of those rows back, touching only the rows that occur in ids. The
// model packs only the real (unpadded) tokens of a batch when masking is on,
// so the padding row then receives no gradient, as in Keras with
// mask_zero=True; without masking padding is an ordinary token.
//
// Both check every id before touching a row, then run the row loops of
// internal/kernels (GatherRows, AddRows: assembly where the CPU has it);
// each float is copied or added on its own, so every variant gives the Go
// loops' bits, AddGrad adding repeated ids' rows in order.
//
// Init draws every weight from U(-0.05, 0.05), the Keras default for
// Embedding, from an injected *rand.Rand.
//
// # Pretrained vectors
//
// ReadVectors reads the text vectors files Keras users load by hand:
// word2vec and fastText .vec files (a header line "N D", then N lines
// "word v1 ... vD") and GloVe .txt files (the same lines, no header). It
// streams the file and keeps only the vectors of the vocabulary's tokens
// (exact, case-sensitive byte match through a map, as a Keras user's
// embeddings_index.get(word)); memory is the read buffer (64 KiB, or the
// longest token) plus about found×D float32, never the file. The rules:
//
//   - A token with no exact entry takes the vector of its lower-cased form
//     (strings.ToLower, as the tokenizer's), counted in Vectors.Lowered.
//     GloVe and many other files are lower-cased, and a vocabulary that
//     keeps case (`standardize: strip_punctuation`) would otherwise miss
//     every capitalised word that the file has only in lower case. Keras'
//     tutorial looks up the exact word only; an exact entry still wins here, wherever it
//     comes in the file.
//   - Fields are separated by runs of spaces, tabs and carriage returns;
//     lines end in '\n' (so CRLF files and fastText's trailing space are
//     fine), any length; blank lines are ignored; a UTF-8 byte-order mark
//     at the start is dropped.
//   - The first non-blank line is a header when it is exactly two unsigned
//     decimal integers N and D (except, when the dimension asked for is 1,
//     a line "7 3" with D != 1, which is then the word "7"). D must equal
//     the dimension asked for; N must equal the number of word lines
//     (duplicates and skipped lines included), which catches truncated
//     downloads.
//   - Every word line must hold exactly D values after the word. With dim 0
//     the dimension comes from the header, else from the first line. D is at
//     most MaxDim.
//   - The values of kept words are parsed with strconv.ParseFloat(s, 32)
//     (decimal, exponent, hex floats); NaN, ±Inf and values beyond the
//     float32 range are errors; underflow gives 0. The values of lines that
//     are not kept are counted, not parsed.
//   - A line with more than D values whose first value is not a number is a
//     word with spaces (GloVe 840B holds "at name@domain.com" and ". . ."):
//     such a word can never be a token (tokens are split on white space), so
//     the line is skipped and counted in Vectors.Skipped.
//   - A duplicate word: the first line wins (later lines are still checked).
//   - A word that is not valid UTF-8 simply matches no token (the tokenizer
//     repairs text, so no token holds invalid UTF-8). Ids 0 ("") and 1
//     ("[UNK]") are never looked up.
//   - A file that is not a vectors file is refused rather than read as no
//     vectors: every value must be made of the bytes a number can hold
//     (values of words that are not kept are checked so, not parsed), a
//     NUL byte in a word is binary data, the first line must be a header or
//     a word with values, and a file without any word vector is an error.
//     The first error of a first line says the file is not a vectors file.
//   - Gzip-compressed input (told by its first bytes: a fastText .vec.gz)
//     is decompressed as it streams; a damaged stream is a *ParseError at
//     the line reached. Other compressed files and zip archives are
//     refused by name; Open reads a file inside a zip archive
//     (glove.6B.zip#glove.6B.100d.txt).
//   - Vectors.CaseOnly counts the tokens without a vector whose upper-case
//     forms the file has ("Paris" for the token "paris"), for a warning
//     that the file keeps case and the text does not.
//   - Every problem is a *ParseError "embed: FILE:LINE: msg" (physical
//     1-based line, header and blank lines counted; "embed: FILE: msg" for
//     the header's word count) wrapping ErrMalformed, for example
//     "embed: vectors.vec:12: 99 values, want 100". Read errors are wrapped
//     as "embed: FILE: ...".
//
// MatchVectors applies the same matching rules to a word list held in
// memory (the vectors built into lstmctl, internal/pretrained), with no
// text to parse.
//
// ApplyVectors copies the vectors found into the rows of their tokens in a
// Table of the same vocabulary and dimension and returns how many it
// copied. Rows 0 (padding) and 1 ([UNK]) and the rows of tokens without a
// vector keep their values: call it after Init, so that missing tokens keep
// their random U(-0.05, 0.05) rows (fastText does the same; the Keras
// tutorial zeroes them instead) and the random draws do not depend on the
// file. The rows stay trainable.
package embed
