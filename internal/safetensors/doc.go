// Package safetensors reads and writes float32 and int8 tensors in the
// safetensors format (https://github.com/huggingface/safetensors), treating every file it
// reads as untrusted.
//
// # Layout
//
//	bytes [0, 8)        N, the header length, unsigned 64-bit little-endian
//	bytes [8, 8+N)      the header: a UTF-8 JSON object, padded with spaces
//	bytes [8+N, end)    the data region: the tensors' bytes, back to back
//
// The header maps each tensor name to {"dtype", "shape", "data_offsets"} and
// the reserved key "__metadata__" to an object of string values. data_offsets
// [begin, end) are relative to the start of the data region.
//
// # Writing
//
// Write and WriteFile store float32 tensors in the order given, as F32
// little-endian, row-major; WriteTyped and WriteFileTyped store F32 and I8
// (one byte per value) tensors mixed. data_offsets ascend and the tensors tile the data region. The
// header is written as the reference writer does: "__metadata__" first, then
// the tensors, no insignificant white space, padded with spaces so that 8+N is
// a multiple of 8 (all tensor data is then 8-byte aligned in the file).
// Metadata keys are written in ascending byte order.
//
// The writer adds two metadata entries (callers may not set them):
//
//   - "sha256": lower-case hex SHA-256 of every byte after the header, that is
//     of the data region as stored.
//   - "header_sha256": lower-case hex SHA-256 of a canonical encoding of the
//     header's content, so a damaged header is refused too (a flipped byte in a
//     metadata string would otherwise go unnoticed). The encoding is the
//     concatenation of, first for every metadata entry other than
//     "header_sha256" in ascending key order
//     'M' uvarint(len(key)) key uvarint(len(value)) value,
//     then for every tensor in data order (by begin, end, name)
//     'T' uvarint(len(name)) name uvarint(len(dtype)) dtype uvarint(rank)
//     uvarint(dim)... uvarint(begin) uvarint(end),
//     where uvarint is encoding/binary's unsigned varint and strings are
//     their UTF-8 bytes after JSON unescaping. It does not depend on JSON
//     formatting or key order, so another writer can reproduce it.
//
// WriteFile is atomic: it writes a temporary file in the target's directory
// through a buffer, checks every error, fsyncs it, renames it over the target
// and fsyncs the directory. On any error the temporary file is removed, and
// the target is either untouched or completely replaced. The new file gets
// the permission bits of the file it replaces, or 0644. The temporary file
// is internal/atomicfile's (".NAME.lstmctl-tmp-PID-RANDOM"), and one that a
// killed writer left is removed by the next write of the same path.
//
// # Reading
//
// NewReader parses and checks the header; ReadAll or ReadInto then read the
// data region once, decoding the tensors while hashing it. A file is refused
// (an *Error whose Kind is ErrTruncated, ErrInvalid or ErrChecksum, never a
// panic) when:
//
//   - it is shorter than 8 bytes, or N exceeds the bytes that follow it
//     (ErrTruncated) or MaxHeaderSize (ErrInvalid);
//   - the header is not valid UTF-8, does not start with '{', is not one JSON
//     object (trailing white space allowed), repeats a key at any level, has
//     a metadata value that is not a string, a tensor entry with an unknown
//     or missing field, or a dtype other than "F32" and "I8";
//   - a shape has a dimension that is not a non-negative integer, more than
//     MaxRank dimensions, or an element count that overflows;
//   - data_offsets are not two non-negative integers with begin <= end and
//     end-begin == product(shape) times the dtype's size (4 or 1);
//   - the tensors, sorted by offset, do not tile the data region exactly: a
//     tensor reaching past the end of the file is ErrTruncated, an overlap, a
//     gap or uncovered trailing bytes are ErrInvalid;
//   - "header_sha256", when present, does not match the header (ErrChecksum);
//   - "sha256", when present, is malformed (ErrInvalid) or does not match
//     the data region (ErrChecksum). It is checked by ReadAll, ReadInto and
//     ReadTyped, after the whole data region has been read;
//   - ReadAll and ReadInto (which return float32 tensors) meet an I8 tensor.
//
// Both checksums are optional, so that files written by other safetensors
// writers (Python's safetensors library, a hand-written exporter) read too;
// Reader.Checksummed says which ones a file has, and a caller that wants
// them (lstmctl's checkpoints) requires them itself.
//
// Memory: the reader allocates the header (at most N bytes, N bounded by the
// file size), the parsed entries (a small multiple of N) and the tensors'
// data (exactly the data region's size, which the header checks bound before
// anything is allocated), plus a read buffer of at most 64 KiB. No size
// claimed by the file is trusted before it has been checked against the
// file's real size.
//
// Values are not checked for NaN or Inf: the format allows them. Callers that
// need finite values use AllFinite.
//
// Only F32 and I8 are supported: the package serves lstmctl's float32
// models and checkpoints and its int8 models, not arbitrary safetensors
// files.
package safetensors
