// Package embed holds the embedding table of the model: V rows of E float32
// values, row-major ([V, E], row v at W[v*E:(v+1)*E]), row 0 being the
// padding token and row 1 the out-of-vocabulary token "[UNK]".
//
// Lookup copies the rows of a list of token ids into a packed activation
// buffer ([len(ids), E], row r is the vector of ids[r]); AddGrad scatters the
// gradient of those rows back, touching only the rows that occur in ids. The
// model packs only the real (unpadded) tokens of a batch when masking is on,
// so the padding row then receives no gradient, as in Keras with
// mask_zero=True; without masking padding is an ordinary token.
//
// Both check every id before touching a row. On amd64 with AVX2 their row
// loops are in assembly (rows_amd64.s), prefetching the table row of the id
// a few places ahead, since a batch's rows are scattered over a table
// larger than the L2 cache; each float is copied or added on its own, so
// the results are those of the Go loops (rows_other.go, -tags noasm) bit
// for bit, AddGrad adding repeated ids' rows in order.
//
// Init draws every weight from U(-0.05, 0.05), the Keras default for
// Embedding, from an injected *rand.Rand.
package embed
