// Package data turns the files users have into batches of token ids: readers for
// every input format, the Keras TextVectorization-style text pipeline (standardize,
// split, vocabulary, truncation, padding), labels, seeded shuffling, the
// validation split and length-bucketed batching.
//
// Layouts and invariants:
//
//   - A Dataset holds one []int32 of token ids per sample, already truncated to
//     text.sequence_length and never padded; its length is the sample's number of
//     real tokens (possibly 0). Labels[i] is a class index in 0..C-1; a
//     multi-label Dataset has LabelSets[i] instead (ascending class
//     indices) and nil Labels.
//   - A Batch is time-major: Tokens[t*B+b] is the id of sample b at step t,
//     len(Tokens) == T*B, T >= 1. Masked batches are sorted by non-increasing
//     length and left-aligned, so the samples active at step t are a prefix
//     of the batch; unmasked batches have T = sequence_length (or the longest
//     sample when 0) and are padded on the configured side.
//   - Vocabulary index 0 is the padding token "", index 1 is "[UNK]".
//
// # Reading
//
// Open (or NewReader for a stream) returns a Reader whose Next yields one
// Example at a time; ReadAll collects them. Formats (data.format, or detected
// by DetectFormat: .txt fasttext, .csv, .tsv, .jsonl/.ndjson, a directory):
//
//   - fasttext: "__label__X some text" lines. The label is the first white-space
//     separated field, which must start with the prefix; a line without it is
//     malformed. A field starting with the prefix anywhere in the line is a
//     label, as in fastText: a line with several different labels is a
//     multi-label record (Example.Labels) whose text is its other fields;
//     repeats of a label are dropped. Blank lines are skipped.
//   - csv: RFC 4180 (encoding/csv, LazyQuotes off) with a header row; every
//     record must have as many fields as the header; the line of a record is
//     the line where it starts.
//   - tsv: header row, fields split on tabs, no quote processing at all
//     (texts may contain quotes as they are); a wrong number of fields is malformed.
//   - jsonl: one object per line; the label field may be a string or a
//     number (taken as written: 1 -> "1"), or a list of them (several:
//     a multi-label record); text fields must be strings. Blank lines are
//     skipped.
//   - dir: one folder per class (sorted names), every non-hidden regular file
//     below it one document (sorted paths, any extension), like Keras
//     text_dataset_from_directory. An unreadable file is a ParseError naming it.
//   - LineReader: bare text for predict, one document per line, empty lines
//     included.
//
// Every input may be gzip-compressed: the first bytes (1f 8b) tell, a name
// ending in .gz must be gzip, and DetectFormat looks through the .gz
// (reviews.csv.gz is csv). Decompression streams; a decompressed line (a
// class folder's document) longer than MaxDecompressedLine is an error, so
// that a small file cannot expand beyond memory. Data that does not
// decompress ends the input with a ParseError (ErrUnreadable) even under
// SkipBad.
//
// In every format label_column and text_columns name the label and text
// (several text columns are joined with one space). Lines may be of any
// length; "\n" and "\r\n" end lines; a UTF-8 byte order mark at the start of
// an input is dropped. Invalid UTF-8 is never fatal: each maximal ill-formed
// sequence becomes one U+FFFD, as Python's decode("utf-8", "replace"). An
// empty text is a valid sample; an empty label is malformed. A malformed
// record is a *ParseError{File, Line, Err} ("file:line: what is wrong"),
// or, with ReadOptions.SkipBad, is skipped and counted (Reader.Skipped).
// CSV/TSV header problems (a missing column) are reported by Open and are
// never skipped. An input without any example is ErrEmpty.
//
// # Text pipeline
//
// Tokenizer mirrors Keras TextVectorization: standardize
// lower_and_strip_punctuation lower-cases with strings.ToLower and then
// deletes the ASCII characters of Python's string.punctuation (so "don't"
// becomes "dont" and "e-mail" "email"); lower, strip_punctuation and none
// do part or nothing of that. The text is then split (text.split) on runs
// of Unicode white space (strings.Fields), into code points, or at the
// UAX #29 word boundaries with scripts written without spaces split into
// code points; text.ngrams adds word n-grams after the words. The vocabulary (VocabBuilder, BuildVocab) is
// learned from the training texts only, over all their tokens (before
// truncation): "", "[UNK]", then tokens by descending count, ties by
// ascending byte order, at most max_tokens entries in all (0 = unlimited),
// tokens seen fewer than min_count times dropped. "" and "[UNK]" occurring
// as text tokens are not counted (an "[UNK]" token encodes as 1). Encoder
// fuses standardize, split and lookup without building token strings, and
// truncates to sequence_length: "post" keeps the first tokens, "pre" the
// last. Labels are sorted by name unless data.labels lists them.
// EncodeExamples refuses a record with several labels (ErrMultiLabel, for
// a single-label model); EncodeMultiLabel gives every record its label set.
//
// With text.subwords (fastText's character n-grams) the Encoder also gives
// every token a bag of subword rows (SubwordConfig.AppendSubwords:
// "<token>"'s n-grams hashed by SubwordHash modulo buckets): the
// vocabulary's bags once, and per data set a Forms table that gives each
// word outside the vocabulary an id of its own from V up (not [UNK]) with
// its bag. A Dataset and its Batches then carry Bags, which the model needs
// to read ids at or past V.
//
// # Batching
//
// StratifiedSplit draws a seeded permutation (files sorted by label still
// give a mixed validation set) and takes the validation part from every
// stratum in proportion, leaving each stratum a training sample; both parts
// keep ascending index order. The stratum of a record is its label, or the
// rarest of its labels (RarestLabelKeys). EpochBatches gives exactly ceil(N/BatchSize)
// batches per epoch, each sample once, deterministic from (Seed, epoch) with
// math/rand/v2 PCG; bucketing sorts windows of 50 batches by length so that
// batches hold similar lengths without changing what an epoch sees.
// FillBatch lays a batch out in a reused *Batch without allocating.
package data
