// Package config loads lstmctl's configuration the way the command line
// does: the built-in defaults (configs/default.yaml) < a model's stored
// configuration < a YAML config file < LSTMCTL_* environment < flags. It
// refuses unknown keys, reads Keras' class_weight as class_weights, and
// settles the values that depend on which keys were set explicitly
// (pipeline.Config.Settle).
//
// It is viper-based, and viper belongs to the commands: this package is
// internal so that only lstmctl's commands (cmd/lstmctl) and its development
// scripts (scripts/accuracy, scripts/speed) use it, and the scripts apply
// a config file exactly as `lstmctl train --config` does. Library code
// (pkg/...) takes a plain pipeline.Config and never imports it.
package config

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/lstmctl/lstmctl/configs"
	"github.com/lstmctl/lstmctl/internal/suggest"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

// Settings is a configuration as loaded: the values, and which keys a
// config file, the environment or a flag set (as opposed to the built-in
// defaults and a stored model's configuration).
type Settings struct {
	pipeline.Config `mapstructure:",squash"`

	// Explicit holds the dotted keys (train.epochs) that the config file,
	// the environment or set gave a value.
	Explicit map[string]bool `mapstructure:"-"`
}

// Error is a problem with the configuration: a file that cannot be read or
// parsed, an unknown key, a value of the wrong type or an invalid value.
// lstmctl exits with code 2 on it.
type Error struct{ Err error }

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of a formatted message.
func Errorf(format string, args ...any) error {
	return &Error{fmt.Errorf(format, args...)}
}

// NoEnv is an environment with no variables.
func NoEnv(string) (string, bool) { return "", false }

// Load builds the effective configuration: built-in defaults < base (a
// model's stored config JSON, for eval/predict; nil for none) < file (a
// YAML config file; "" for none) < env (LSTMCTL_TRAIN_EPOCHS=3 sets
// train.epochs; os.LookupEnv, or NoEnv) < set (dotted keys to values, as
// the flags that were set give them; strings are decoded like environment
// values). Every call gets its own viper.
func Load(file string, base []byte, env func(string) (string, bool), set map[string]any) (*Settings, error) {
	root, err := parseYAML(configs.Default)
	if err != nil {
		return nil, fmt.Errorf("config: built-in defaults: %w", err)
	}
	defaults := flatten(root)
	v := viper.New()
	for k, val := range defaults {
		v.SetDefault(k, val)
	}
	if err := mergeStored(v, base); err != nil {
		return nil, err
	}
	explicit, err := mergeFile(v, file, defaults)
	if err != nil {
		return nil, err
	}
	// Environment: LSTMCTL_TRAIN_EPOCHS=3 sets train.epochs.
	for k := range defaults {
		name := envName(k)
		if val, ok := env(name); ok && val != "" { // empty = unset, as viper does
			v.Set(k, val)
			explicit[k] = true
		}
	}
	for k, val := range set {
		v.Set(k, val)
		explicit[k] = true
	}
	return decodeSettings(v, explicit)
}

// envPrefix starts every environment variable lstmctl reads.
const envPrefix = "LSTMCTL_"

// OtherEnv are the environment variables lstmctl reads that are not
// configuration keys.
var OtherEnv = []string{
	"LSTMCTL_CACHE_DIR",        // the vectors cache (internal/pretrained)
	"LSTMCTL_MEMORY_LIMIT",     // the memory a run may need (pkg/pipeline)
	"LSTMCTL_REQUIRE_AVX512",   // tests: fail instead of skip a kernel variant (internal/kernels)
	"LSTMCTL_SHARED_DATA",      // tests: the shared data sets (internal/shareddata)
	"LSTMCTL_VECTORS_REGISTRY", // the vectors registry mirror (internal/pretrained)
}

// envName is the environment variable of a config key:
// train.optimizer.learning_rate is LSTMCTL_TRAIN_OPTIMIZER_LEARNING_RATE.
func envName(key string) string {
	return envPrefix + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
}

// EnvWarnings checks an environment (os.Environ's NAME=value entries) for
// LSTMCTL_ variables that lstmctl does not read, which would otherwise be
// ignored silently, and returns one warning for each, with the closest
// variable it does read. An empty value counts as unset, as in Load.
func EnvWarnings(environ []string) []string {
	root, err := parseYAML(configs.Default)
	if err != nil {
		return nil // Load reports it
	}
	keys := sortedKeys(flatten(root))
	known := map[string]bool{}
	for _, k := range keys {
		known[envName(k)] = true
	}
	for _, o := range OtherEnv {
		known[o] = true
	}
	var warnings []string
	for _, kv := range environ {
		name, val, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, envPrefix) || known[name] || val == "" {
			continue
		}
		msg := fmt.Sprintf("%s is not a setting of lstmctl and is ignored", name)
		if s := closestEnv(name, keys); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		warnings = append(warnings, msg)
	}
	sort.Strings(warnings)
	return warnings
}

// closestEnv returns the variable lstmctl reads that name most likely
// misspells: a config key's, or one of OtherEnv.
func closestEnv(name string, keys []string) string {
	if o := suggest.Closest(name, OtherEnv); o != "" {
		return o
	}
	if k := suggest.ClosestKey(strings.ToLower(strings.TrimPrefix(name, envPrefix)), keys, "_"); k != "" {
		return envName(k)
	}
	return ""
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// mergeStored merges a model's stored configuration (JSON) into v.
func mergeStored(v *viper.Viper, base []byte) error {
	if len(base) == 0 {
		return nil
	}
	m := map[string]any{}
	if err := json.Unmarshal(base, &m); err != nil {
		return fmt.Errorf("config: stored model config: %w", err)
	}
	if err := v.MergeConfigMap(m); err != nil {
		return fmt.Errorf("config: stored model config: %w", err)
	}
	return nil
}

// mergeFile merges a YAML config file into v, refusing keys that are not
// among the defaults', and returns the keys it set.
func mergeFile(v *viper.Viper, file string, defaults map[string]any) (map[string]bool, error) {
	explicit := map[string]bool{}
	if file == "" {
		return explicit, nil
	}
	raw, err := readBounded(file, MaxFileSize)
	if err != nil {
		return nil, Errorf("config: %w", err)
	}
	root, err := parseYAML(raw)
	if err != nil {
		return nil, Errorf("config: %s: %w", file, err)
	}
	user := flatten(root)
	var unknown []string
	for k := range user {
		if !knownKey(defaults, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		hint := ""
		if s := suggest.ClosestKey(unknown[0], sortedKeys(defaults), "."); s != "" {
			hint = fmt.Sprintf(" (did you mean %s?)", s)
		}
		return nil, Errorf("config: %s: unknown key %q%s; configs/default.yaml lists every key", fileLine(file, raw, unknown[0]), unknown[0], hint)
	}
	if err := v.MergeConfigMap(root); err != nil {
		return nil, Errorf("config: %s: %w", file, err)
	}
	for k := range user {
		explicit[k] = true
	}
	return explicit, nil
}

// fileLine is file:line of a dotted key in the YAML document raw, or file
// when the line cannot be told.
func fileLine(file string, raw []byte, key string) string {
	var doc yaml.Node
	if yaml.Unmarshal(raw, &doc) != nil || len(doc.Content) == 0 {
		return file
	}
	n, line := doc.Content[0], 0
	for _, part := range strings.Split(key, ".") {
		if n.Kind != yaml.MappingNode {
			return file
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if strings.EqualFold(n.Content[i].Value, part) {
				next, line = n.Content[i+1], n.Content[i].Line
			}
		}
		if next == nil {
			return file
		}
		n = next
	}
	return fmt.Sprintf("%s:%d", file, line)
}

// decodeSettings decodes v into settings, settles the values that depend
// on what was set explicitly, and validates the result.
func decodeSettings(v *viper.Viper, explicit map[string]bool) (*Settings, error) {
	var cfg Settings
	dec := func(dc *mapstructure.DecoderConfig) {
		dc.ErrorUnused = true
		dc.WeaklyTypedInput = true
		dc.DecodeHook = mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToSliceHookFunc(","),
			stringToIntSliceHook,
			wholeNumberHook,
		)
	}
	if err := v.Unmarshal(&cfg, dec); err != nil {
		return nil, Errorf("config: %w", err)
	}
	cfg.Settle(func(key string) bool { return explicit[key] })
	if err := cfg.Validate(); err != nil {
		return nil, &Error{err}
	}
	cfg.Explicit = explicit
	return &cfg, nil
}

// stringToIntSliceHook turns "64,32" (from the environment) into []int.
func stringToIntSliceHook(from, to reflect.Type, val any) (any, error) {
	s, ok := val.(string)
	if !ok || from.Kind() != reflect.String || to != reflect.TypeFor[[]int]() {
		return val, nil
	}
	s = strings.Trim(strings.TrimSpace(s), "[]")
	if s == "" {
		return []int{}, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(f), &n); err != nil {
			return nil, fmt.Errorf("not a list of integers: %q", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// knownKey reports whether key is a config key, or lies below a key whose
// default is a map (such as train.class_weights.LABEL).
func knownKey(defaults map[string]any, key string) bool {
	if _, ok := defaults[key]; ok {
		return true
	}
	for i := strings.LastIndexByte(key, '.'); i > 0; i = strings.LastIndexByte(key[:i], '.') {
		if v, ok := defaults[key[:i]]; ok {
			_, isMap := v.(map[string]any)
			return isMap
		}
	}
	return false
}

// parseYAML reads a config file into nested maps. Keras spells per-label
// weights class_weight: {label: w}; such a map moves to class_weights here,
// where both the key check (flatten) and the merge read it.
func parseYAML(raw []byte) (map[string]any, error) {
	var root map[string]any
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, err
	}
	for k, sec := range root {
		if tr, ok := sec.(map[string]any); ok && strings.EqualFold(k, "train") {
			for k, val := range tr {
				if m, ok := val.(map[string]any); ok && strings.EqualFold(k, "class_weight") {
					delete(tr, k)
					tr["class_weights"] = m
				}
			}
		}
	}
	return root, nil
}

// flatten turns parsed YAML into dotted, lower-cased leaf keys (lists and
// empty maps are leaves).
func flatten(root map[string]any) map[string]any {
	out := map[string]any{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, val := range m {
			key := strings.ToLower(k)
			if prefix != "" {
				key = prefix + "." + key
			}
			if sub, ok := val.(map[string]any); ok && len(sub) > 0 {
				walk(key, sub)
				continue
			}
			out[key] = val
		}
	}
	walk("", root)
	return out
}

// MaxFileSize bounds a config file: a few kilobytes in practice, so a path
// such as /dev/zero is refused instead of read until memory runs out.
const MaxFileSize = 1 << 20

// readBounded reads at most limit bytes of path, and fails if it holds more.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(raw)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes, which no configuration needs", path, limit)
	}
	return raw, nil
}

// wholeNumberHook refuses a number with a fraction for an integer setting
// (epochs: 1.5 would otherwise run 1 epoch).
func wholeNumberHook(from, to reflect.Type, val any) (any, error) {
	switch to.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
	default:
		return val, nil
	}
	var f float64
	switch v := val.(type) {
	case float64:
		f = v
	case float32:
		f = float64(v)
	case string:
		if _, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			return val, nil
		}
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
			return val, nil // not a number: the decoder says so
		}
	default:
		return val, nil
	}
	if f != math.Trunc(f) || math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("%v is not a whole number", val)
	}
	return val, nil
}
