package configs

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestConfigurationDocumented fails when a key of default.yaml is not
// named, in backquotes, in docs/configuration.md, so that the page cannot
// fall behind the settings.
func TestConfigurationDocumented(t *testing.T) {
	page, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(Default, &root); err != nil {
		t.Fatal(err)
	}
	keys := leafKeys(root.Content[0], "")
	if len(keys) < 50 {
		t.Fatalf("found only %d keys in default.yaml; is the walk broken?", len(keys))
	}
	for _, k := range keys {
		if !strings.Contains(string(page), "`"+k+"`") {
			t.Errorf("docs/configuration.md does not document `%s` (a key of configs/default.yaml)", k)
		}
	}
}

// leafKeys returns the dotted names of the settings below n: every key
// whose value is not a mapping with keys of its own (an empty mapping, such
// as train.class_weights, is a setting).
func leafKeys(n *yaml.Node, prefix string) []string {
	var keys []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		name := prefix + n.Content[i].Value
		if v := n.Content[i+1]; v.Kind == yaml.MappingNode && len(v.Content) > 0 {
			keys = append(keys, leafKeys(v, name+".")...)
			continue
		}
		keys = append(keys, name)
	}
	return keys
}
