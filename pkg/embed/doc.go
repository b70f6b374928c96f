// Package embed holds the embedding table [V, E] (row-major, float32, row 0 is
// the padding token) with its lookup and its sparse gradient.
package embed
