package model

import (
	"errors"
	"fmt"
)

// Config is the `model` section of the configuration.
type Config struct {
	EmbeddingDim int   `mapstructure:"embedding_dim" json:"embedding_dim"`
	LSTM         []int `mapstructure:"lstm" json:"lstm"`
	MaskPadding  bool  `mapstructure:"mask_padding" json:"mask_padding"`
}

// DefaultConfig returns the model of the Keras example.
func DefaultConfig() Config {
	return Config{EmbeddingDim: 64, LSTM: []int{64, 32}, MaskPadding: true}
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	if c.EmbeddingDim <= 0 {
		return fmt.Errorf("model: embedding_dim must be positive, got %d", c.EmbeddingDim)
	}
	if len(c.LSTM) == 0 {
		return errors.New("model: lstm needs at least one layer")
	}
	for i, h := range c.LSTM {
		if h <= 0 {
			return fmt.Errorf("model: lstm[%d] must be positive, got %d", i, h)
		}
	}
	return nil
}
