package data

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// Reading texts to predict: no label needed (and ignored when there), a
// fastText line's labels dropped, and an id column copied into ID.
func TestUnlabelledWithID(t *testing.T) {
	type rec struct{ Text, Label, ID string }
	cases := []struct {
		name, format, in string
		id               string
		want             []rec
	}{
		{"csv without a label column", FormatCSV, "id,text\nr1,good film\nr2,\"bad, bad\"\n", "id",
			[]rec{{"good film", "", "r1"}, {"bad, bad", "", "r2"}}},
		{"csv label column ignored", FormatCSV, "label,text\n,good\npos,bad\n", "",
			[]rec{{"good", "", ""}, {"bad", "", ""}}},
		{"tsv", FormatTSV, "text\tid\ngood film\tr1\n", "id", []rec{{"good film", "", "r1"}}},
		{"jsonl id as written", FormatJSONL, `{"text":"a","id":"x"}` + "\n" + `{"text":"b","id":7}`, "id",
			[]rec{{"a", "", "x"}, {"b", "", "7"}}},
		{"fasttext labels dropped, unlabelled lines kept", FormatFastText, "__label__a __label__b two labels\n\nno label here\n__label__c  spaced \n", "",
			[]rec{{"two labels", "", ""}, {"no label here", "", ""}, {"spaced", "", ""}}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			opt := defaultReadOptions(tt.format)
			opt.Unlabelled, opt.IDColumn = true, tt.id
			r, err := NewReader(strings.NewReader(tt.in), "in", opt)
			if err != nil {
				t.Fatal(err)
			}
			var got []rec
			for {
				e, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, rec{e.Text, e.Label, e.ID})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// A header that lacks columns names every one missing and the flag that
// names it; a JSONL record lacking a field does too.
func TestMissingColumnsNameTheFlag(t *testing.T) {
	opt := defaultReadOptions(FormatCSV)
	opt.LabelColumn, opt.TextColumns, opt.IDColumn = "sentiment", []string{"review"}, "key"
	_, err := NewReader(strings.NewReader("label,text\na,b\n"), "in.csv", opt)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 1 {
		t.Fatalf("error %v, want a *ParseError at line 1", err)
	}
	for _, want := range []string{`(columns: label, text)`, `no label column "sentiment": name the label column with --label-column`,
		`no text column "review": name the text column with --text-column`, `no id column "key": name the id column with --id-column`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	opt = defaultReadOptions(FormatJSONL)
	for in, want := range map[string]string{`{"text":"a"}`: "--label-column", `{"label":"a"}`: "--text-column"} {
		if _, _, err := readString(t, in, "in.jsonl", opt); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one naming %s", in, err, want)
		}
	}
	opt.Unlabelled, opt.IDColumn = true, "id"
	if _, _, err := readString(t, `{"text":"a"}`, "in.jsonl", opt); err == nil || !strings.Contains(err.Error(), "--id-column") {
		t.Errorf("missing id: %v", err)
	}
}
