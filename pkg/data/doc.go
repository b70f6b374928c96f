// Package data turns the files users have into batches of token ids: readers for
// every input format, the Keras TextVectorization-style text pipeline (standardize,
// split, vocabulary, truncation, padding), labels, seeded shuffling, the
// validation split and length-bucketed batching.
//
// Layouts and invariants:
//
//   - A Dataset holds one []int32 of token ids per sample, already truncated to
//     text.sequence_length and never padded; its length is the sample's number of
//     real tokens (possibly 0).
//   - A Batch is time-major: Tokens[t*B+b] is the id of sample b at step t.
//   - Vocabulary index 0 is the padding token "", index 1 is "[UNK]".
package data
