package pipeline

import (
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
)

// The stored configuration leaves out the default label separator and a
// softmax output, so single-label model files read as before the keys
// existed; other values round-trip.
func TestStoredMultiLabelKeys(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Model.OutputActivation = "" // softmax, as training resolves it
	raw := cfg.JSON()
	for _, key := range []string{"label_separator", "output_activation"} {
		if strings.Contains(string(raw), key) {
			t.Errorf("stored config of a single-label model holds %q: %s", key, raw)
		}
	}
	back, err := ParseStoredConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	if back.Data.LabelSeparator != data.DefaultLabelSeparator || back.Model.Sigmoid() {
		t.Errorf("read back separator %q, output %q", back.Data.LabelSeparator, back.Model.OutputActivation)
	}
	for _, sep := range []string{"", "none", "|"} {
		cfg.Data.LabelSeparator = sep
		cfg.Model.OutputActivation = model.OutputSigmoid
		back, err := ParseStoredConfig(cfg.JSON())
		if err != nil {
			t.Fatal(err)
		}
		want := sep
		if sep == "" {
			want = data.NoLabelSeparator
		}
		if back.Data.LabelSeparator != want || !back.Model.Sigmoid() {
			t.Errorf("separator %q read back as %q, output %q", sep, back.Data.LabelSeparator, back.Model.OutputActivation)
		}
		if got := data.ReadOptionsFrom(back.Data, false).LabelSeparator; (sep == "|") != (got == "|") || (sep != "|" && got != "") {
			t.Errorf("separator %q reads with %q", sep, got)
		}
	}
}

// auto resolves by the data, softmax refuses several labels naming the
// record, and the stored value is "" or sigmoid.
func TestResolveOutput(t *testing.T) {
	one := []data.Example{{Label: "a", File: "f.txt", Line: 1}}
	two := append(one, data.Example{Label: "a", Labels: []string{"a", "b"}, File: "f.txt", Line: 2})
	for _, tt := range []struct {
		set     string
		ex      []data.Example
		want    string
		wantErr string
	}{
		{model.OutputAuto, one, "", ""},
		{model.OutputAuto, two, model.OutputSigmoid, ""},
		{model.OutputSigmoid, one, model.OutputSigmoid, ""},
		{model.OutputSoftmax, one, "", ""},
		{model.OutputSoftmax, two, "", `f.txt:2: several labels on one record ("a", "b"): model.output_activation is softmax`},
	} {
		c := model.Config{OutputActivation: tt.set}
		err := resolveOutput(&c, tt.ex, nil)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: error %v, want %q", tt.set, err, tt.wantErr)
			}
			continue
		}
		if err != nil || c.OutputActivation != tt.want {
			t.Errorf("%s with %d records: %q, %v; want %q", tt.set, len(tt.ex), c.OutputActivation, err, tt.want)
		}
	}
}
