package main

import (
	"encoding/json"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/lstmctl/lstmctl/internal/safetensors"
)

// storedconfig FILE KEY VALUE: rewrites the configuration stored in a
// model file or checkpoint (its "config" metadata), setting KEY
// (SECTION.NAME) to VALUE (a JSON value, else a string), with fresh
// checksums: a file that is intact but whose configuration is corrupt.
// KEY "-" replaces the whole stored text with VALUE.
func cmdStoredConfig(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: storedconfig FILE KEY VALUE")
	}
	path, key, value := ts.MkAbs(args[0]), args[1], args[2]
	tensors, meta, err := safetensors.ReadFile(path)
	ts.Check(err)
	if key == "-" {
		meta["config"] = value
	} else {
		var root map[string]any
		ts.Check(json.Unmarshal([]byte(meta["config"]), &root))
		section, name, ok := strings.Cut(key, ".")
		m, isMap := root[section].(map[string]any)
		if !ok || !isMap {
			ts.Fatalf("storedconfig: %s is not SECTION.KEY of a stored section", key)
		}
		var v any
		if json.Unmarshal([]byte(value), &v) != nil {
			v = value
		}
		m[name] = v
		b, err := json.Marshal(root)
		ts.Check(err)
		meta["config"] = string(b)
	}
	delete(meta, "sha256") // the writer adds the checksums afresh
	delete(meta, "header_sha256")
	ts.Check(safetensors.WriteFile(path, tensors, meta))
}
