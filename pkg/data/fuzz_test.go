package data

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// drain reads every example of a stream, checking the properties all
// readers share: valid UTF-8, non-empty labels, non-decreasing lines, and
// only *ParseError or io.EOF as errors. It returns the examples.
func drain(t *testing.T, data []byte, name string, opt ReadOptions) []Example {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), name, opt)
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("NewReader error %v is not a ParseError", err)
		}
		return nil
	}
	var out []Example
	last := 0
	for range len(data) + 2 { // every call consumes input or ends
		e, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) && isDamaged(err) && errors.Is(err, ErrUnreadable) {
				return out // gzip that does not decompress ends the input
			}
			if !errors.As(err, &pe) || !(errors.Is(err, ErrMalformed) || errors.Is(err, ErrMultiLabel)) || pe.Line < 1 {
				t.Fatalf("error %v is not a malformed-record ParseError with a line", err)
			}
			continue
		}
		if e.Label == "" || !utf8.ValidString(e.Label) || !utf8.ValidString(e.Text) {
			t.Fatalf("bad example %#v", e)
		}
		if e.Line < last || e.Line < 1 {
			t.Fatalf("line %d after %d", e.Line, last)
		}
		last = e.Line
		out = append(out, e)
	}
	t.Fatal("reader does not end")
	return nil
}

func FuzzFastText(f *testing.F) {
	f.Add([]byte("__label__a hello world\n__label__b\r\nbad line\n\n__label__c __label__d x\xe9"), "__label__")
	f.Add([]byte("\xEF\xBB\xBF#x y\n#z"), "#")
	f.Add([]byte("a b c\n"), "")
	f.Add([]byte(gzipString(f, "__label__a x\n__label__b __label__c y\n")), "__label__")
	f.Add([]byte(gzipString(f, "__label__a x\n")[:15]), "__label__")
	f.Fuzz(func(t *testing.T, data []byte, prefix string) {
		opt := defaultReadOptions(FormatFastText)
		opt.LabelPrefix = prefix
		for _, e := range drain(t, data, "f.txt", opt) {
			if strings.TrimSpace(e.Text) != e.Text || strings.IndexFunc(e.Label, unicode.IsSpace) >= 0 {
				t.Fatalf("untrimmed text or spaced label: %#v", e)
			}
		}
	})
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("label,text\na,\"x, y\"\r\nb,\"multi\nline\"\nc\nd,\"open"))
	f.Add([]byte("text,label,more\n\"\"\"q\"\"\",l,m\n,,\n"))
	f.Add([]byte("\xEF\xBB\xBFlabel,text\nz,a\"b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		drain(t, data, "f.csv", defaultReadOptions(FormatCSV))
	})
}

func FuzzCSVRoundTrip(f *testing.F) {
	f.Add("pos", "a, \"quoted\" text", "")
	f.Add("neg", "line\r\nbreak\rcr", " lead space")
	f.Add("x\xe9", "caf\xe9", "\xff")
	f.Add("", "empty label", "")
	f.Fuzz(func(t *testing.T, label, text, extra string) {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write([]string{"label", "text", "extra"})
		w.Write([]string{label, text, extra})
		w.Write([]string{"last", "record", "."})
		w.Flush()
		if err := w.Error(); err != nil {
			t.Skip(err)
		}
		opt := defaultReadOptions(FormatCSV)
		opt.TextColumns = []string{"text", "extra"}
		r, err := NewReader(&buf, "rt.csv", opt)
		if err != nil {
			t.Fatal(err)
		}
		norm := func(s string) string { return repairString(strings.ReplaceAll(s, "\r\n", "\n")) }
		e, err := r.Next()
		if label == "" {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("empty label read as %#v, %v", e, err)
			}
		} else {
			if err != nil {
				t.Fatal(err)
			}
			if e.Label != norm(label) || e.Text != norm(text)+" "+norm(extra) || e.Line != 2 {
				t.Fatalf("round trip: got %#v, want label %q text %q", e, norm(label), norm(text)+" "+norm(extra))
			}
		}
		if e, err := r.Next(); err != nil || e.Label != "last" || e.Text != "record ." {
			t.Fatalf("record after: %#v, %v", e, err)
		}
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("want EOF, got %v", err)
		}
	})
}

func FuzzTSV(f *testing.F) {
	f.Add([]byte("label\ttext\npositive\tsay \"hi\"\r\nnegative\t\nbad\n"))
	f.Add([]byte("text\tlabel\n\tx\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, e := range drain(t, data, "f.tsv", defaultReadOptions(FormatTSV)) {
			if strings.ContainsAny(e.Text, "\t\n") {
				t.Fatalf("text holds a separator: %q", e.Text)
			}
		}
	})
}

func FuzzJSONL(f *testing.F) {
	f.Add([]byte(`{"text":"a","label":"x"}` + "\n\n" + `{"text":"b","label":2}` + "\n{bad\n" + `{"label":null}`))
	f.Add([]byte(`{"text":"\ud800\u00e9","label":"\u0000"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		drain(t, data, "f.jsonl", defaultReadOptions(FormatJSONL))
	})
}

func FuzzLineReader(f *testing.F) {
	f.Add([]byte("a\r\nb\n\nc"))
	f.Add([]byte("\xEF\xBB\xBF\xe9\r"))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Reference: drop the BOM, split at "\n", no empty last part, one
		// "\r" removed at each line end, each line repaired.
		rest := bytes.TrimPrefix(data, []byte(utf8BOM))
		var want []string
		if len(rest) > 0 {
			parts := bytes.Split(rest, []byte("\n"))
			if len(parts[len(parts)-1]) == 0 {
				parts = parts[:len(parts)-1]
			}
			for _, p := range parts {
				want = append(want, repair(bytes.TrimSuffix(p, []byte("\r"))))
			}
		}
		got := readLines(t, bytes.NewReader(data))
		if !slices.Equal(got, want) {
			t.Fatalf("lines %q, want %q", got, want)
		}
	})
}

func FuzzDir(f *testing.F) {
	f.Add([]byte("hello\r\nworld"), "pos")
	f.Add([]byte("\xEF\xBB\xBFcaf\xe9"), "x y")
	f.Add([]byte{}, ".hidden")
	f.Fuzz(func(t *testing.T, content []byte, class string) {
		class = strings.Map(func(r rune) rune {
			if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_') {
				return r
			}
			return -1
		}, class)
		if class == "" {
			class = "c"
		}
		root := t.TempDir()
		if err := os.Mkdir(filepath.Join(root, class), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, class, "doc"), content, 0o644); err != nil {
			t.Fatal(err)
		}
		exs, _, err := ReadAll(root, defaultReadOptions(FormatDir))
		if err != nil {
			t.Fatal(err)
		}
		want := repair(bytes.TrimPrefix(content, []byte(utf8BOM)))
		if len(exs) != 1 || exs[0].Label != class || exs[0].Text != want {
			t.Fatalf("got %#v, want label %q text %q", exs, class, want)
		}
	})
}

func FuzzTokenizer(f *testing.F) {
	f.Add("Hello, World! Don't\u00a0stop caf\xe9 \u212a")
	f.Add("  \t[UNK]  ÉCOLE «x» ")
	f.Fuzz(func(t *testing.T, s string) {
		v := testVocab(t)
		for _, mode := range []string{StandardizeLowerStrip, StandardizeLower, StandardizeStrip, StandardizeNone} {
			c := DefaultTextConfig()
			c.Standardize = mode
			c.SequenceLength = 0
			enc, err := NewEncoder(c, v)
			if err != nil {
				t.Fatal(err)
			}
			toks := enc.Tokenizer().Tokens(s)
			if ref := referenceTokens(mode, s); !slices.Equal(toks, ref) {
				t.Fatalf("%s: Tokens(%q) = %q, reference %q", mode, s, toks, ref)
			}
			// The general path (here for n-grams) reads the same words,
			// cut at the same byte.
			c.Ngrams = 2
			ng, err := NewTokenizer(c)
			if err != nil {
				t.Fatal(err)
			}
			if words := ng.Tokens(s); len(words) < len(toks) || !slices.Equal(words[:len(toks)], toks) {
				t.Fatalf("%s: with n-grams Tokens(%q) = %q, words %q", mode, s, words, toks)
			}
			ids := enc.Encode(s)
			if len(ids) != len(toks) {
				t.Fatalf("%s: %d ids for %d tokens", mode, len(ids), len(toks))
			}
			for i, tok := range toks {
				if tok == "" || !utf8.ValidString(tok) || ids[i] != v.ID(tok) {
					t.Fatalf("%s: token %q id %d", mode, tok, ids[i])
				}
			}
			b1, b2 := NewVocabBuilder(), NewVocabBuilder()
			b1.AddText(enc.Tokenizer(), s)
			b2.Add(toks)
			if !slices.Equal(b1.Build(0, 1).Tokens(), b2.Build(0, 1).Tokens()) {
				t.Fatalf("%s: AddText and Add differ", mode)
			}
		}
	})
}
