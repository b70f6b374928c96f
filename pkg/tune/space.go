package tune

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

// Param is one dimension of the search: a configuration key and the
// values a trial may give it. A Param with several keys sets them together
// (Values then holds one []any per choice, a value for each key).
type Param struct {
	Keys   []string
	Values [][]any
}

// Space is the search space: each trial picks one value of every Param.
type Space []Param

// single is a Param of one key.
func single(key string, values ...any) Param {
	p := Param{Keys: []string{key}}
	for _, v := range values {
		p.Values = append(p.Values, []any{v})
	}
	return p
}

// DefaultSpace is what tune searches unless told otherwise: the recipe
// (learning rate, batch size), the text (sequence length), the
// regularisation (LSTM input dropout, dropout before the dense layer),
// the architecture (bidirectional layers, the read-out) and what happens
// to the pretrained vectors (trained at once, frozen for the first two
// epochs as the defaults do, or frozen throughout). Every value is one a
// user could set in a config file.
func DefaultSpace() Space {
	return Space{
		single("train.optimizer.learning_rate", 0.001, 0.002, 0.003, 0.005),
		single("train.batch_size", 16, 32, 64),
		single("text.sequence_length", 32, 64, 128, 256),
		single("model.dropout", 0.0, 0.2, 0.4),
		single("model.dense_dropout", 0.0, 0.3),
		{
			Keys: []string{"model.bidirectional", "model.pooling"},
			Values: [][]any{
				{false, "last"}, {false, "max"}, {true, "max"}, {true, "mean"},
			},
		},
		{
			Keys: []string{"train.freeze_embedding_epochs", "model.freeze_embedding"},
			Values: [][]any{
				{0, false}, {2, false}, {0, true},
			},
		},
	}
}

// without returns the space without the dimensions that set any of keys.
func (s Space) without(keys ...string) Space {
	var out Space
	for _, p := range s {
		if !slices.ContainsFunc(p.Keys, func(k string) bool { return slices.Contains(keys, k) }) {
			out = append(out, p)
		}
	}
	return out
}

// Keys lists every key the space sets, in order.
func (s Space) Keys() []string {
	var keys []string
	for _, p := range s {
		keys = append(keys, p.Keys...)
	}
	return keys
}

// Setting is one key and its value.
type Setting struct {
	Key   string
	Value any
}

// Settings are a trial's values, in the order of the space's keys.
type Settings []Setting

// String is the settings as key=value pairs, the keys without their
// section where that is unambiguous enough to read.
func (s Settings) String() string {
	if len(s) == 0 {
		return "(the base configuration)"
	}
	parts := make([]string, len(s))
	for i, kv := range s {
		parts[i] = fmt.Sprintf("%s=%v", shortKey(kv.Key), kv.Value)
	}
	return strings.Join(parts, " ")
}

// shortKey drops the section of a key: train.optimizer.learning_rate is
// learning_rate.
func shortKey(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[i+1:]
	}
	return key
}

// candidates returns n distinct settings drawn from the space with rng;
// the first is empty (the base configuration itself), so a search never
// ends below what the base gives at the same budget. Fewer come back when
// the space holds fewer distinct choices.
func (s Space) candidates(n int, rng *rand.Rand) []Settings {
	out := []Settings{nil}
	seen := map[string]bool{"": true}
	size := 1
	for _, p := range s {
		size *= len(p.Values)
	}
	for tries := 0; len(out) < n && len(seen) < size+1 && tries < 100*n; tries++ {
		var c Settings
		for _, p := range s {
			vals := p.Values[rng.IntN(len(p.Values))]
			for i, k := range p.Keys {
				c = append(c, Setting{k, vals[i]})
			}
		}
		key := c.String()
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, c)
	}
	return out
}

// apply returns base with the settings applied. Keys are the dotted keys
// of the configuration (its JSON form).
func (s Settings) apply(base pipeline.Config) (pipeline.Config, error) {
	raw, err := json.Marshal(&base)
	if err != nil {
		return base, err
	}
	var tree map[string]any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return base, err
	}
	for _, kv := range s {
		path := strings.Split(kv.Key, ".")
		node := tree
		for _, p := range path[:len(path)-1] {
			next, ok := node[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[p] = next
			}
			node = next
		}
		node[path[len(path)-1]] = kv.Value
	}
	if raw, err = json.Marshal(tree); err != nil {
		return base, err
	}
	var out pipeline.Config
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return base, fmt.Errorf("tune: %s: %v", s, err)
	}
	// The output section and the thread count are run settings that
	// Config's JSON form keeps: restore them as given.
	out.Output, out.Train.Threads = base.Output, base.Train.Threads
	return out, nil
}

// Check refuses a space whose keys the configuration does not know, or
// whose values do not validate.
func (s Space) Check(base pipeline.Config) error {
	for _, p := range s {
		if len(p.Keys) == 0 || len(p.Values) == 0 {
			return fmt.Errorf("tune: a search dimension without keys or values")
		}
		for _, vals := range p.Values {
			if len(vals) != len(p.Keys) {
				return fmt.Errorf("tune: %v: %d values for %d keys", p.Keys, len(vals), len(p.Keys))
			}
			var set Settings
			for i, k := range p.Keys {
				set = append(set, Setting{k, vals[i]})
			}
			cfg, err := set.apply(base)
			if err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return fmt.Errorf("tune: %s: %w", set, err)
			}
		}
	}
	return nil
}
