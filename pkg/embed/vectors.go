package embed

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrMalformed is wrapped by every *ParseError about the content of a
// vectors file (as opposed to a read error).
var ErrMalformed = errors.New("embed: malformed vectors file")

// ParseError reports a malformed vectors file. Its message is
// "embed: FILE:LINE: msg" ("embed: FILE: msg" when Line is 0, for a
// problem of the whole file). errors.Is(err, ErrMalformed) holds.
type ParseError struct {
	File string // the name given to ReadVectors
	Line int    // 1-based physical line (header and blank lines counted); 0 = the whole file
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("embed: %s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("embed: %s: %s", e.File, e.Msg)
}

// Unwrap returns ErrMalformed.
func (e *ParseError) Unwrap() error { return ErrMalformed }

// Vectors holds the pretrained vectors of the tokens of one vocabulary,
// read by ReadVectors: only the rows of vocabulary tokens are kept, so its
// size is about found×Dim float32 plus one int32 per vocabulary entry.
type Vectors struct {
	Name    string // file name as given to ReadVectors
	Dim     int    // values per vector
	Words   int    // word lines in the file (header, blank and skipped lines excluded)
	Skipped int    // lines skipped as multi-word entries (see the package doc)
	Lowered int    // tokens whose vector is their lower-cased form's (no exact entry)
	// CaseOnly counts the tokens without a vector for which the file has
	// a word in another case that lower-cases to the token ("Paris" for
	// "paris"): a sign that the file keeps case and the text does not.
	CaseOnly int

	rows []int32   // per vocabulary id: row in data, or -1
	data []float32 // [kept rows × Dim], row-major; a row can serve several tokens (the lower-case fallback)
}

// VocabSize returns the length of the vocabulary the vectors were read for.
func (v *Vectors) VocabSize() int { return len(v.rows) }

// Found returns how many vocabulary tokens (ids ≥ 2) have a vector,
// Lowered of them through their lower-cased form.
func (v *Vectors) Found() int {
	n := 0
	for _, r := range v.rows {
		if r >= 0 {
			n++
		}
	}
	return n
}

// Coverage returns Found and the number of vocabulary tokens that could
// have a vector (the vocabulary size minus the two reserved entries).
func (v *Vectors) Coverage() (found, total int) {
	return v.Found(), max(len(v.rows)-2, 0)
}

// Vector returns the vector of vocabulary id (shared, not a copy), or nil
// when the file has none (always nil for ids 0 and 1).
func (v *Vectors) Vector(id int32) []float32 {
	if id < 0 || int(id) >= len(v.rows) || v.rows[id] < 0 {
		return nil
	}
	r := int(v.rows[id])
	return v.data[r*v.Dim : (r+1)*v.Dim]
}

// ApplyVectors overwrites the rows of t of the vocabulary tokens that have a
// vector in v and returns how many rows it overwrote. Rows 0 (padding) and
// 1 ([UNK]) and the rows of tokens without a vector are left as they are
// (normally the random initialisation). t must have one row per
// vocabulary entry (t.V == v.VocabSize()) and t.E == v.Dim.
func ApplyVectors(t *Table, v *Vectors) (found int, err error) {
	if t.V != len(v.rows) || t.E != v.Dim || len(t.W) != t.V*t.E {
		return 0, fmt.Errorf("embed: %s: vectors for %d tokens × %d dimensions do not fit a %d×%d embedding table",
			v.Name, len(v.rows), v.Dim, t.V, t.E)
	}
	for id := int32(2); int(id) < len(v.rows); id++ {
		if vec := v.Vector(id); vec != nil {
			copy(t.W[int(id)*t.E:int(id+1)*t.E], vec)
			found++
		}
	}
	return found, nil
}

// MaxDim is the largest vector dimension ReadVectors accepts (from its
// argument, a header or the first line), so that a corrupt header cannot
// make the caller allocate a table of absurd size.
const MaxDim = 1 << 16

// minBuffer is the smallest read buffer; a field longer than the buffer is
// never a vocabulary token (the buffer is sized to hold the longest) and is
// an error as a value.
const minBuffer = 64 << 10

// ReadVectors reads a text vectors file (word2vec / fastText .vec with an
// "N D" header line, or GloVe without one) from r and keeps the vectors of
// the tokens of vocab (token by id, as data.Vocab.Tokens returns it; ids 0
// and 1 are never looked up). dim is the number of values per vector; 0
// takes it from the header, or else from the first line. name is used in
// errors. See the package doc for the format and the rules.
func ReadVectors(r io.Reader, name string, vocab []string, dim int) (*Vectors, error) {
	if dim < 0 || dim > MaxDim {
		return nil, fmt.Errorf("embed: %s: dimension must be in [1, %d] (or 0: from the file), got %d", name, MaxDim, dim)
	}
	m := newMatcher(name, vocab, dim)
	br, err := decompress(bufio.NewReaderSize(r, max(minBuffer, m.longest+2)), name)
	if err != nil {
		return nil, err
	}
	p := &parser{
		lx:      lexer{br: br, size: br.Size()},
		matcher: m,
		dim:     dim,
		line:    1,
	}
	if err := p.run(); err != nil {
		return nil, err
	}
	p.finish()
	if p.dim == 0 {
		return nil, &ParseError{File: name, Msg: "no vectors and no header: cannot tell the dimension"}
	}
	p.v.Dim = p.dim
	if p.header && p.v.Words+p.v.Skipped != p.headerN {
		return nil, &ParseError{File: name, Msg: fmt.Sprintf("header says %d words, file has %d", p.headerN, p.v.Words+p.v.Skipped)}
	}
	if p.v.Words == 0 {
		msg := "no word vectors in the file"
		if p.v.Skipped > 0 {
			msg += fmt.Sprintf(" (its %d lines hold words with spaces, which are skipped)", p.v.Skipped)
		}
		return nil, &ParseError{File: name, Msg: msg}
	}
	return p.v, nil
}

// matcher decides which words of a vectors file give vocabulary tokens
// their vectors (the rules of the package doc: the exact word, else the
// first line of the token's lower-cased form) and collects their rows in v.
type matcher struct {
	index    map[string]int32   // token -> id
	lower    map[string][]int32 // lower-cased form -> ids of the tokens that are not lower case
	longest  int                // bytes of the longest token
	v        *Vectors
	fallback []int32 // per vocabulary id: row of its lower-cased form's vector, or -1
	caseHit  []bool  // per vocabulary id: the file has a word that lower-cases to the token
}

func newMatcher(name string, vocab []string, dim int) *matcher {
	m := &matcher{
		index:    make(map[string]int32, len(vocab)),
		lower:    map[string][]int32{},
		v:        &Vectors{Name: name, Dim: dim, rows: make([]int32, len(vocab))},
		fallback: make([]int32, len(vocab)),
		caseHit:  make([]bool, len(vocab)),
	}
	for i, tok := range vocab {
		m.v.rows[i], m.fallback[i] = -1, -1
		if i < 2 || tok == "" {
			continue
		}
		if _, dup := m.index[tok]; !dup {
			m.index[tok] = int32(i)
		}
		if low := strings.ToLower(tok); low != tok {
			m.lower[low] = append(m.lower[low], int32(i))
		}
		m.longest = max(m.longest, len(tok))
	}
	return m
}

// lookup returns the id whose vector word's row is, or -1, and the ids
// that would take it as their lower-cased form's (nil when none needs it).
func (m *matcher) lookup(word []byte) (id int32, lowerOf []int32) {
	m.seeCase(word)
	id = -1
	if i, ok := m.index[string(word)]; ok && m.v.rows[i] < 0 {
		id = i
	}
	ids := m.lower[string(word)]
	for _, i := range ids {
		if m.fallback[i] < 0 {
			return id, ids
		}
	}
	return id, nil
}

// seeCase notes the token that word, holding ASCII upper case, would
// give its vector to if matching ignored case (Vectors.CaseOnly).
func (m *matcher) seeCase(word []byte) {
	upper := false
	for _, c := range word {
		if 'A' <= c && c <= 'Z' {
			upper = true
			break
		}
	}
	if !upper {
		return
	}
	if i, ok := m.index[strings.ToLower(string(word))]; ok {
		m.caseHit[i] = true
	}
}

// add counts a word and records that row (of v.data) is the vector of id
// (when ≥ 0) and the lower-case fallback of lowerOf.
func (m *matcher) add(row, id int32, lowerOf []int32) {
	if id >= 0 {
		m.v.rows[id] = row
	}
	for _, i := range lowerOf {
		if m.fallback[i] < 0 { // duplicates: the first line wins
			m.fallback[i] = row
		}
	}
	m.v.Words++
}

// finish gives the tokens without an exact vector their lower-cased
// form's.
func (m *matcher) finish() {
	for id, r := range m.fallback {
		if r >= 0 && m.v.rows[id] < 0 {
			m.v.rows[id] = r
			m.v.Lowered++
		}
	}
	for id, hit := range m.caseHit {
		if hit && m.v.rows[id] < 0 {
			m.v.CaseOnly++
		}
	}
}

// MatchVectors is ReadVectors for a word list held in memory, such as the
// vectors built into lstmctl: words[i] has a dim-dimensional vector, which
// row(i, dst) writes into dst (finite values; row is called only for the
// words that some token takes). The matching rules are those of
// ReadVectors, and so is the result for the same words and values.
func MatchVectors(name string, vocab, words []string, dim int, row func(i int, dst []float32)) (*Vectors, error) {
	if dim < 1 || dim > MaxDim {
		return nil, fmt.Errorf("embed: %s: dimension must be in [1, %d], got %d", name, MaxDim, dim)
	}
	m := newMatcher(name, vocab, dim)
	for i, w := range words {
		id, lowerOf := m.lookup([]byte(w))
		r := int32(-1)
		if id >= 0 || lowerOf != nil {
			n := len(m.v.data)
			r = int32(n / dim)
			m.v.data = slices.Grow(m.v.data, dim)[:n+dim]
			row(i, m.v.data[n:])
		}
		m.add(r, id, lowerOf)
	}
	m.finish()
	return m.v, nil
}

type parser struct {
	*matcher
	lx   lexer
	dim  int // 0 until known
	line int // current physical line, 1-based

	seenRow bool // a non-blank line has been read (the header can only be the first)
	header  bool
	headerN int

	// the row being read
	inRow    bool
	first    bool    // this is the first non-blank line
	f0, f1   []byte  // copies of its first two fields (first line only)
	id       int32   // vocabulary id whose vector this row is, or -1
	lowerOf  []int32 // ids whose lower-cased form this row's word is, when one still needs it
	n        int     // values seen
	start    int     // len(v.data) at the start of the row
	firstNum bool    // the first value is a number
	badAt    int     // 0-based index of the first bad value of a kept row, or -1
	bad      string
	nonNum   int    // 1-based index of the first value holding a byte no number has, or 0
	nonByte  byte   // that byte
	nonTok   string // that value quoted, when known (value 1)
}

func (p *parser) run() error {
	for {
		tok, kind, long, err := p.lx.next()
		if err != nil {
			return p.readErr(err)
		}
		switch kind {
		case tokEOF:
			return nil
		case tokEOL:
			if p.inRow {
				if err := p.endRow(); err != nil {
					return err
				}
			}
			p.line++
		case tokField:
			if !p.inRow {
				p.startRow(tok, long)
			} else {
				p.value(tok, long)
				if !p.kept() || p.badAt >= 0 || (p.dim > 0 && p.n >= p.dim) {
					// The rest of the row is not kept: just count its fields.
					k, bad, c, err := p.lx.countRest()
					if err != nil {
						return p.readErr(err)
					}
					if bad > 0 && p.nonNum == 0 {
						p.nonNum, p.nonByte = p.n+bad, c
					}
					p.n += k
				}
			}
		}
	}
}

// readErr is a read error at the current line: a *ParseError of the
// decompressor gets the line, others are wrapped with the file's name.
func (p *parser) readErr(err error) error {
	if pe, ok := errors.AsType[*ParseError](err); ok {
		if pe.Line == 0 {
			pe.Line = p.line
		}
		return pe
	}
	return fmt.Errorf("embed: %s: %w", p.v.Name, err)
}

var bom = []byte("\xef\xbb\xbf")

func (p *parser) startRow(word []byte, long bool) {
	p.inRow = true
	p.first = !p.seenRow
	p.seenRow = true
	if p.first {
		word = bytes.TrimPrefix(word, bom)
		p.f0 = append(p.f0[:0], word...)
	}
	p.id, p.lowerOf = -1, nil
	if !long {
		p.id, p.lowerOf = p.lookup(word)
	}
	p.n = 0
	p.start = len(p.v.data)
	p.firstNum = false
	p.badAt = -1
	p.nonNum, p.nonTok = 0, ""
	if bytes.IndexByte(word, 0) >= 0 {
		p.nonNum, p.nonByte = -1, 0 // a NUL in the word: binary data
	} else if b, ok := controlByte(word); ok && p.first {
		p.nonNum, p.nonByte = -1, b // the first word of a text file is text
	}
}

// kept reports whether the current row is stored: its word is a token's,
// or the lower-cased form of tokens that have no vector yet.
func (p *parser) kept() bool { return p.id >= 0 || p.lowerOf != nil }

func (p *parser) value(tok []byte, long bool) {
	keep := p.kept() && p.badAt < 0 && p.n < cmp.Or(p.dim, MaxDim)
	if p.n == 0 && p.first {
		p.f1 = append(p.f1[:0], tok...)
	}
	if p.n == 0 || keep {
		var f float32
		err := errTooLong
		if !long {
			f, err = parseValue(tok)
		}
		if p.n == 0 {
			p.firstNum = err == nil
			if c, ok := nonNumber(tok); ok && !long && p.nonNum == 0 {
				p.nonNum, p.nonByte = 1, c
				if b, bin := binaryByte(tok); bin {
					p.nonByte = b
				} else {
					p.nonTok = quote(tok, false)
				}
			}
		}
		if keep {
			if err != nil {
				p.badAt = p.n
				p.bad = quote(tok, long) + " " + err.Error()
			} else {
				p.v.data = append(p.v.data, f)
			}
		}
	}
	p.n++
}

var errTooLong = errors.New("is too long")

// parseValue parses one vector value: a finite float32 as strconv reads it.
func parseValue(tok []byte) (float32, error) {
	f, err := strconv.ParseFloat(string(tok), 32)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, errors.New("is out of the float32 range")
		}
		return 0, errors.New("is not a number")
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errors.New("is not a finite number")
	}
	return float32(f), nil
}

func quote(tok []byte, long bool) string {
	if long || len(tok) > 40 {
		return strconv.Quote(string(tok[:min(len(tok), 40)])) + "..."
	}
	return strconv.Quote(string(tok))
}

func (p *parser) errf(format string, args ...any) error {
	return &ParseError{File: p.v.Name, Line: p.line, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) endRow() error {
	p.inRow = false
	undo := func() { p.v.data = p.v.data[:p.start] }
	if p.first && p.n == 1 && isUint(p.f0) && isUint(p.f1) {
		n, errN := strconv.Atoi(string(p.f0))
		d, errD := strconv.Atoi(string(p.f1))
		if errN != nil || errD != nil {
			return p.errf("header %q %q: numbers too large", p.f0, p.f1)
		}
		// With dim 1 a GloVe line "7 3" (word "7", value 3) looks like a
		// header; it is one only if it says 1 dimension.
		if p.dim != 1 || d == 1 {
			undo()
			if d == 0 || d > MaxDim {
				return p.errf("header says %d dimensions, want 1 to %d", d, MaxDim)
			}
			if p.dim != 0 && d != p.dim {
				return p.errf("header says %d dimensions, want %d", d, p.dim)
			}
			p.dim, p.header, p.headerN = d, true, n
			return nil
		}
	}
	if p.dim == 0 {
		if p.nonNum != 0 {
			return p.errf("%s%s", p.nonNumMsg(), notVectors)
		}
		if p.n == 0 {
			return p.errf("no values after the word%s", notVectors)
		}
		if p.n > MaxDim {
			return p.errf("%d values, want at most %d", p.n, MaxDim)
		}
		p.dim = p.n
	}
	if p.n > p.dim && !p.firstNum {
		// "at name@domain.com 0.1 ...": a word with spaces, never a token.
		undo()
		p.v.Skipped++
		return nil
	}
	if p.badAt >= 0 {
		undo()
		return p.errf("value %d %s", p.badAt+1, p.bad)
	}
	if p.nonNum != 0 {
		undo()
		return p.errf("%s", p.nonNumMsg())
	}
	if p.n != p.dim {
		undo()
		return p.errf("%d values, want %d", p.n, p.dim)
	}
	p.add(int32(p.start/p.dim), p.id, p.lowerOf)
	return nil
}

// notVectors ends the error of a first line that is no vectors line.
const notVectors = ": not a text vectors file (lines \"word v1 v2 ...\", as GloVe's .txt and fastText's .vec; plain, .gz or in a .zip)"

// nonNumMsg describes the value that holds a byte no number has.
func (p *parser) nonNumMsg() string {
	switch c := p.nonByte; {
	case p.nonNum < 0:
		return fmt.Sprintf("binary data (byte 0x%02x in the word)", c)
	case c < 0x20 || c == 0x7f:
		return fmt.Sprintf("binary data (byte 0x%02x in value %d)", c, p.nonNum)
	case p.nonTok != "":
		return fmt.Sprintf("value %d %s is not a number", p.nonNum, p.nonTok)
	case c >= 0x80:
		return fmt.Sprintf("value %d is not a number (it holds the byte 0x%02x)", p.nonNum, c)
	default:
		return fmt.Sprintf("value %d is not a number (it holds %q)", p.nonNum, c)
	}
}

// class[c] has bit 0 set for the field separators within a line and bit 1
// for the bytes that no number strconv.ParseFloat accepts holds (digits,
// signs, '.', '_', exponents, hex digits and prefix, "inf", "infinity" and
// "nan" are allowed).
var class = func() (t [256]uint8) {
	for c := range 256 {
		t[c] = 2
	}
	for _, c := range []byte("0123456789+-._xXpPabcdefABCDEFiInNtTyY") {
		t[c] = 0
	}
	t[' '], t['\t'], t['\r'] = 1, 1, 1
	return t
}()

// binaryByte returns the first control byte of tok, else, when tok is not
// valid UTF-8, its first non-ASCII byte: what is not quoted in a message.
func binaryByte(tok []byte) (byte, bool) {
	if c, ok := controlByte(tok); ok {
		return c, true
	}
	if !utf8.Valid(tok) {
		for _, c := range tok {
			if c >= 0x80 {
				return c, true
			}
		}
	}
	return 0, false
}

// controlByte returns the first ASCII control byte of tok.
func controlByte(tok []byte) (byte, bool) {
	for _, c := range tok {
		if c < 0x20 || c == 0x7f {
			return c, true
		}
	}
	return 0, false
}

// nonNumber returns the first byte of tok that no number holds.
func nonNumber(tok []byte) (byte, bool) {
	for _, c := range tok {
		if class[c]&2 != 0 {
			return c, true
		}
	}
	return 0, false
}

func isUint(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// lexer splits its input into fields separated by runs of spaces, tabs and
// carriage returns, and lines ending in '\n', with no line length limit and
// a buffer of fixed size.
type lexer struct {
	br     *bufio.Reader
	size   int
	inLine bool // a field of the current line has been returned
}

type tokKind int

const (
	tokField tokKind = iota
	tokEOL
	tokEOF
)

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

func isSep(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// fill returns the buffered bytes, reading more when at most n are
// buffered; it returns an error only when no more than n bytes are there.
func (x *lexer) fill(n int) ([]byte, error) {
	var err error
	if x.br.Buffered() <= n {
		_, err = x.br.Peek(n + 1)
	}
	b, _ := x.br.Peek(x.br.Buffered())
	if len(b) > n {
		return b, nil
	}
	return b, err
}

// next returns the next field of the current line (valid until the next
// call; long: it was longer than the buffer and tok is nil), tokEOL at the
// end of a line that had fields or was blank, tokEOF at the end of input.
// A last line without '\n' still gets its tokEOL.
func (x *lexer) next() (tok []byte, kind tokKind, long bool, err error) {
	for {
		buf, err := x.fill(0)
		if len(buf) == 0 {
			if err != io.EOF {
				return nil, 0, false, err
			}
			if x.inLine {
				x.inLine = false
				return nil, tokEOL, false, nil
			}
			return nil, tokEOF, false, nil
		}
		i := 0
		for i < len(buf) && isBlank(buf[i]) {
			i++
		}
		x.br.Discard(i)
		if i < len(buf) {
			if buf[i] == '\n' {
				x.br.Discard(1)
				x.inLine = false
				return nil, tokEOL, false, nil
			}
			break
		}
	}
	x.inLine = true
	n := 0
	for {
		buf, err := x.fill(n)
		j := n
		for j < len(buf) && !isSep(buf[j]) {
			j++
		}
		if j < len(buf) {
			x.br.Discard(j)
			return buf[:j], tokField, false, nil
		}
		if err != nil {
			if err == io.EOF {
				x.br.Discard(len(buf))
				return buf, tokField, false, nil
			}
			return nil, 0, false, err
		}
		if len(buf) >= x.size {
			return nil, tokField, true, x.skipField()
		}
		n = len(buf)
	}
}

// countRest consumes the rest of the current line up to its '\n' (left
// for next) and returns how many fields it had, and the 1-based number of
// the first field holding a byte that no number has (0: none) and that
// byte.
func (x *lexer) countRest() (n, bad int, badByte byte, err error) {
	prev := uint8(1) // next stopped at a separator, or at the end of input
	for {
		buf, err := x.fill(0)
		if len(buf) == 0 {
			if err == io.EOF {
				return n, bad, badByte, nil
			}
			return n, bad, badByte, err
		}
		seg := buf
		nl := bytes.IndexByte(buf, '\n')
		if nl >= 0 {
			seg = buf[:nl]
		}
		n0, prev0, any := n, prev, uint8(0)
		for _, c := range seg { // a field starts where a blank is followed by a non-blank
			k := class[c]
			b := k & 1
			n += int(prev &^ b)
			prev = b
			any |= k
		}
		if any&2 != 0 && bad == 0 { // rare: find the field again
			n, prev = n0, prev0
			for _, c := range seg {
				b := class[c] & 1
				n += int(prev &^ b)
				prev = b
				if class[c]&2 != 0 && bad == 0 {
					bad, badByte = n, c
				}
			}
		}
		x.br.Discard(len(seg))
		if nl >= 0 {
			return n, bad, badByte, nil
		}
	}
}

// skipField discards the rest of a field longer than the buffer.
func (x *lexer) skipField() error {
	for {
		buf, err := x.fill(0)
		if len(buf) == 0 {
			if err == io.EOF {
				return nil
			}
			return err
		}
		j := 0
		for j < len(buf) && !isSep(buf[j]) {
			j++
		}
		x.br.Discard(j)
		if j < len(buf) {
			return nil
		}
	}
}
