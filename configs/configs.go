// Package configs embeds the built-in default configuration, so the binary
// works without any file and `configs/default.yaml` stays the one place that
// lists every key with its default.
package configs

import _ "embed"

// Default is the content of default.yaml: every key with its default.
//
//go:embed default.yaml
var Default []byte
