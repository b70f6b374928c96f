package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/lstmctl/lstmctl/configs"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

// YAML writes cfg as a config file that Load reads back into the same
// configuration: every key that explicit names (what the user's file,
// environment and flags set) and every key whose value differs from the
// built-in default, nested by section. A key that Settle derives from
// others is written as it was settled, so it reads back as the same value.
// train.threads is left out unless explicit: it never changes the weights.
func YAML(cfg pipeline.Config, explicit map[string]bool) ([]byte, error) {
	root, err := parseYAML(configs.Default)
	if err != nil {
		return nil, err
	}
	defaults := flatten(root)
	have, err := jsonLeaves(cfg)
	if err != nil {
		return nil, err
	}
	// JSON leaves out the empty values of omitempty keys: they are zero.
	for k, d := range defaults {
		if _, ok := have[k]; !ok && !hasKeyBelow(have, k) {
			have[k] = zeroLike(d)
		}
	}
	out := map[string]any{}
	for k, v := range have {
		if k == "train.threads" && !explicit[k] {
			continue
		}
		d, known := defaults[k]
		if explicit[k] || !known || !sameValue(v, d) {
			setDotted(out, k, v)
		}
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

// jsonLeaves flattens cfg's JSON form into dotted keys; whole numbers are
// ints, and lists and maps are leaves when empty.
func jsonLeaves(cfg pipeline.Config) (map[string]any, error) {
	raw, err := json.Marshal(&cfg)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		return nil, err
	}
	return flatten(numbers(root).(map[string]any)), nil
}

// numbers turns json.Numbers into int64 or float64, throughout v.
func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	}
	return v
}

// sameValue compares a value of the configuration with a default as YAML
// parsed it (ints and floats compare by value, nil and empty alike).
func sameValue(a, b any) bool {
	norm := func(v any) any {
		switch x := v.(type) {
		case int:
			return float64(x)
		case int64:
			return float64(x)
		case float64:
			return x
		case nil:
			return ""
		case []any:
			if len(x) == 0 {
				return ""
			}
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = fmt.Sprint(e)
			}
			return out
		case map[string]any:
			if len(x) == 0 {
				return ""
			}
		}
		return v
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

// setDotted sets the dotted key k of the nested map m.
func setDotted(m map[string]any, k string, v any) {
	parts := strings.Split(k, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

// zeroLike is the zero value of the kind of v, as YAML parses it.
func zeroLike(v any) any {
	switch v.(type) {
	case string:
		return ""
	case bool:
		return false
	case int, int64:
		return 0
	case float64:
		return 0.0
	case []any:
		return []any{}
	case map[string]any:
		return map[string]any{}
	}
	return nil
}

// hasKeyBelow says whether m has a key below k (train.class_weights.LABEL
// below train.class_weights).
func hasKeyBelow(m map[string]any, k string) bool {
	for key := range m {
		if strings.HasPrefix(key, k+".") {
			return true
		}
	}
	return false
}
