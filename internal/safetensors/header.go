package safetensors

import (
	"encoding/json"
	"fmt"
	"math"
	"unicode/utf8"
)

// The header parser is a small strict JSON reader for exactly the shape of a
// safetensors header. Writing it by hand (rather than decoding into maps)
// gives duplicate-key detection, bounded allocation and precise messages.

type parser struct {
	b []byte
	i int
}

func (p *parser) errorf(format string, args ...any) error {
	return invalid("invalid header JSON at byte %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *parser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// next skips white space and returns the next byte without consuming it, or
// 0 at the end of the input (a NUL byte also gives 0: use atEnd to tell them
// apart; every caller treats 0 as an error either way).
func (p *parser) next() byte {
	p.ws()
	if p.i >= len(p.b) {
		return 0
	}
	return p.b[p.i]
}

// atEnd reports whether the input is exhausted.
func (p *parser) atEnd() bool { return p.i >= len(p.b) }

func (p *parser) expect(c byte) error {
	if got := p.next(); got != c || p.atEnd() {
		if p.atEnd() {
			return p.errorf("expected %q, found end of header", c)
		}
		return p.errorf("expected %q, found %q", c, got)
	}
	p.i++
	return nil
}

// object parses '{' (key ':' value (',' key ':' value)*)? '}', calling member
// for each key with the parser positioned at its value. Duplicate keys are
// refused.
func (p *parser) object(what string, member func(key string) error) error {
	if err := p.expect('{'); err != nil {
		return err
	}
	if p.next() == '}' {
		p.i++
		return nil
	}
	seen := make(map[string]struct{})
	for {
		if p.next() != '"' {
			return p.errorf("expected a string key in %s", what)
		}
		key, err := p.str()
		if err != nil {
			return err
		}
		if _, dup := seen[key]; dup {
			return invalid("duplicate key %q in %s", key, what)
		}
		seen[key] = struct{}{}
		if err := p.expect(':'); err != nil {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
		switch p.next() {
		case ',':
			p.i++
		case '}':
			p.i++
			return nil
		default:
			return p.errorf("expected ',' or '}' in %s", what)
		}
	}
}

// str parses a JSON string at p.i (after white space).
func (p *parser) str() (string, error) {
	if p.next() != '"' {
		return "", p.errorf("expected a string")
	}
	start := p.i
	p.i++
	escaped := false
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			raw := p.b[start:p.i]
			if !escaped {
				return string(raw[1 : len(raw)-1]), nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				p.i = start
				return "", p.errorf("bad string escape")
			}
			return s, nil
		case c == '\\':
			escaped = true
			p.i += 2
		case c < 0x20:
			return "", p.errorf("control character in string")
		default:
			p.i++
		}
	}
	return "", p.errorf("unterminated string")
}

// uint parses a JSON integer >= 0 that fits in 63 bits.
func (p *parser) uint() (int64, error) {
	p.ws()
	start := p.i
	var v uint64
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		d := uint64(p.b[p.i] - '0')
		if v > (math.MaxInt64-d)/10 {
			return 0, p.errorf("integer out of range")
		}
		v = v*10 + d
		p.i++
	}
	n := p.i - start
	switch {
	case n == 0:
		return 0, p.errorf("expected a non-negative integer")
	case n > 1 && p.b[start] == '0':
		return 0, p.errorf("integer with a leading zero")
	}
	if p.i < len(p.b) {
		switch p.b[p.i] {
		case '.', 'e', 'E':
			return 0, p.errorf("expected an integer, found a fraction or exponent")
		}
	}
	return int64(v), nil
}

// uints parses an array of at most max non-negative integers.
func (p *parser) uints(what string, max int) ([]int64, error) {
	if err := p.expect('['); err != nil {
		return nil, err
	}
	var out []int64
	if p.next() == ']' {
		p.i++
		return out, nil
	}
	for {
		if len(out) == max {
			return nil, invalid("%s has more than %d entries", what, max)
		}
		v, err := p.uint()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		switch p.next() {
		case ',':
			p.i++
		case ']':
			p.i++
			return out, nil
		default:
			return nil, p.errorf("expected ',' or ']' in %s", what)
		}
	}
}

// parseHeader parses the header bytes into the metadata and the tensor
// entries in header order. It checks syntax, duplicates, field names and
// value kinds, not the consistency of shapes and offsets.
func parseHeader(b []byte) (map[string]string, []Info, error) {
	if !utf8.Valid(b) {
		return nil, nil, invalid("header is not valid UTF-8")
	}
	if len(b) == 0 || b[0] != '{' {
		return nil, nil, invalid("header does not start with '{' (not a safetensors file?)")
	}
	p := &parser{b: b}
	meta := make(map[string]string)
	var infos []Info
	err := p.object("header", func(key string) error {
		if key == metadataKey {
			if p.next() != '{' {
				return invalid("%s is not an object", metadataKey)
			}
			return p.object(metadataKey, func(k string) error {
				if p.next() != '"' {
					return invalid("metadata %q is not a string", k)
				}
				v, err := p.str()
				meta[k] = v
				return err
			})
		}
		return p.tensor(key, &infos)
	})
	if err != nil {
		return nil, nil, err
	}
	if p.ws(); !p.atEnd() {
		return nil, nil, p.errorf("trailing data after the header object")
	}
	return meta, infos, nil
}

func (p *parser) tensor(name string, infos *[]Info) error {
	if name == "" {
		return invalid("tensor with an empty name")
	}
	if p.next() != '{' {
		return invalid("tensor %q: entry is not an object", name)
	}
	what := fmt.Sprintf("tensor %q", name)
	var (
		info                           = Info{Name: name}
		hasDType, hasShape, hasOffsets bool
		offsets                        []int64
	)
	err := p.object(what, func(field string) error {
		var err error
		switch field {
		case "dtype":
			hasDType = true
			info.DType, err = p.str()
		case "shape":
			hasShape = true
			var dims []int64
			dims, err = p.uints(what+" shape", MaxRank)
			if err == nil {
				info.Shape = make([]int, len(dims))
				for i, d := range dims {
					if d > math.MaxInt {
						return invalid("%s: shape dimension %d out of range", what, d)
					}
					info.Shape[i] = int(d)
				}
			}
		case "data_offsets":
			hasOffsets = true
			offsets, err = p.uints(what+" data_offsets", 2)
		default:
			return invalid("%s: unknown field %q", what, field)
		}
		return err
	})
	if err != nil {
		return err
	}
	switch {
	case !hasDType:
		return invalid("%s: missing dtype", what)
	case !hasShape:
		return invalid("%s: missing shape", what)
	case !hasOffsets:
		return invalid("%s: missing data_offsets", what)
	case len(offsets) != 2:
		return invalid("%s: data_offsets must have 2 entries, has %d", what, len(offsets))
	}
	info.Begin, info.End = offsets[0], offsets[1]
	*infos = append(*infos, info)
	return nil
}
