package safetensors

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
)

const (
	// MaxHeaderSize is the largest header accepted, as in the reference
	// implementation (100 MB).
	MaxHeaderSize = 100_000_000
	// MaxRank is the largest number of dimensions accepted in a shape.
	MaxRank = 64

	// SHA256Key is the metadata key of the data checksum.
	SHA256Key = "sha256"
	// HeaderSHA256Key is the metadata key of the header checksum.
	HeaderSHA256Key = "header_sha256"

	metadataKey = "__metadata__"
	// maxElems bounds a tensor's element count so that its byte size fits in
	// an int64.
	maxElems = math.MaxInt64 / 4
	readBuf  = 64 << 10
)

// Tensor is a named float32 tensor, row-major; len(Data) == product(Shape).
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// Typed is a tensor of either supported dtype, for files that mix them
// (a quantized model): DType "F32" with its values in F32, or "I8" with its
// values in I8; the other slice is nil. len(values) == product(Shape).
type Typed struct {
	Name  string
	DType string
	Shape []int
	F32   []float32
	I8    []int8
}

// The dtypes this package reads and writes.
const (
	DTypeF32 = "F32"
	DTypeI8  = "I8"
)

// elemSize returns the bytes per element of a supported dtype, 0 for any
// other.
func elemSize(dtype string) int64 {
	switch dtype {
	case DTypeF32:
		return 4
	case DTypeI8:
		return 1
	}
	return 0
}

// Info describes a tensor in a file's header.
type Info struct {
	Name  string
	DType string
	Shape []int
	// Begin and End are byte offsets relative to the data region.
	Begin, End int64
}

// Len returns the number of elements of the tensor.
func (i Info) Len() int {
	if n := elemSize(i.DType); n > 0 {
		return int((i.End - i.Begin) / n)
	}
	return 0
}

// Reader reads a safetensors file from an io.ReaderAt. NewReader has checked
// the header; the data is read (and its checksum verified) by ReadAll or
// ReadInto. A Reader is not safe for concurrent use.
type Reader struct {
	r                io.ReaderAt
	dataOff, dataLen int64
	infos            []Info // data order
	index            map[string]int
	meta             map[string]string
}

// NewReader parses and checks the header of the size-byte file r, as
// described in the package doc. The data region is not read.
func NewReader(r io.ReaderAt, size int64) (*Reader, error) {
	if size < 8 {
		return nil, truncated("%d bytes, shorter than the 8-byte header length", size)
	}
	var lenBuf [8]byte
	if err := readAt(r, lenBuf[:], 0); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	switch {
	case n > MaxHeaderSize:
		return nil, invalid("header length %d exceeds the limit of %d bytes (not a safetensors file?)", n, MaxHeaderSize)
	case n > uint64(size-8):
		return nil, truncated("header length %d exceeds the %d bytes after the length", n, size-8)
	case n < 2:
		return nil, invalid("header length %d is too short for a JSON object", n)
	}
	header := make([]byte, n)
	if err := readAt(r, header, 8); err != nil {
		return nil, err
	}
	meta, infos, err := parseHeader(header)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(infos, dataOrder)
	if want, ok := meta[HeaderSHA256Key]; ok {
		if !isHexSum(want) {
			return nil, invalid("malformed %s metadata %q", HeaderSHA256Key, want)
		}
		if got := headerSum(meta, infos); got != want {
			return nil, &Error{Kind: ErrChecksum, Msg: "header checksum mismatch (file corrupted?)"}
		}
	}
	rd := &Reader{r: r, dataOff: 8 + int64(n), dataLen: size - 8 - int64(n), infos: infos, meta: meta}
	if err := rd.checkTensors(); err != nil {
		return nil, err
	}
	rd.index = make(map[string]int, len(infos))
	for i, t := range infos {
		rd.index[t.Name] = i
	}
	return rd, nil
}

// dataOrder orders tensor entries by position in the data region; names
// break the ties between empty tensors.
func dataOrder(a, b Info) int {
	if c := cmp.Compare(a.Begin, b.Begin); c != 0 {
		return c
	}
	if c := cmp.Compare(a.End, b.End); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

// readAt fills b from offset off; a short read is ErrTruncated.
func readAt(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return truncated("the file ends at byte %d, expected at least %d", off+int64(n), off+int64(len(b)))
	}
	return ioError("read", err)
}

func ioError(op string, err error) error {
	return &Error{Kind: err, Msg: op + ": " + err.Error()}
}

// checkTensors checks dtypes, shapes and offsets (infos in data order).
func (r *Reader) checkTensors() error {
	for _, t := range r.infos {
		size := elemSize(t.DType)
		if size == 0 {
			return invalid("tensor %q: dtype %q not supported (only F32 and I8)", t.Name, t.DType)
		}
		elems := int64(1)
		for _, d := range t.Shape {
			if d != 0 && elems > maxElems/int64(d) {
				return invalid("tensor %q: shape %v has too many elements", t.Name, t.Shape)
			}
			elems *= int64(d)
		}
		if t.Begin > t.End {
			return invalid("tensor %q: data_offsets [%d, %d] are reversed", t.Name, t.Begin, t.End)
		}
		if t.End-t.Begin != size*elems {
			return invalid("tensor %q: shape %v needs %d bytes, data_offsets [%d, %d] hold %d",
				t.Name, t.Shape, size*elems, t.Begin, t.End, t.End-t.Begin)
		}
	}
	for _, t := range r.infos {
		if t.End > r.dataLen {
			return truncated("tensor %q ends at data byte %d, the data region has %d bytes", t.Name, t.End, r.dataLen)
		}
	}
	var pos int64
	for i, t := range r.infos {
		switch {
		case t.Begin < pos:
			return invalid("tensors %q and %q overlap", r.infos[i-1].Name, t.Name)
		case t.Begin > pos:
			return invalid("data bytes [%d, %d) belong to no tensor", pos, t.Begin)
		}
		pos = t.End
	}
	if pos != r.dataLen {
		return invalid("%d data bytes after the last tensor belong to no tensor", r.dataLen-pos)
	}
	return nil
}

// Metadata returns a copy of the header's metadata.
func (r *Reader) Metadata() map[string]string {
	m := make(map[string]string, len(r.meta))
	for k, v := range r.meta {
		m[k] = v
	}
	return m
}

// Tensors returns the header's tensor entries in data order.
func (r *Reader) Tensors() []Info {
	out := make([]Info, len(r.infos))
	for i, t := range r.infos {
		t.Shape = slices.Clone(t.Shape)
		out[i] = t
	}
	return out
}

// Lookup returns the entry of the named tensor.
func (r *Reader) Lookup(name string) (Info, bool) {
	i, ok := r.index[name]
	if !ok {
		return Info{}, false
	}
	t := r.infos[i]
	t.Shape = slices.Clone(t.Shape)
	return t, true
}

// Len returns the number of tensors.
func (r *Reader) Len() int { return len(r.infos) }

// ReadAll reads every tensor, in data order, and verifies the data checksum.
func (r *Reader) ReadAll() ([]Tensor, error) {
	return r.ReadInto(nil)
}

// Checksummed reports which checksums the file carries: data for "sha256"
// (verified when the data is read), header for "header_sha256" (verified by
// NewReader). A file written by another safetensors writer has neither.
func (r *Reader) Checksummed() (data, header bool) {
	_, data = r.meta[SHA256Key]
	_, header = r.meta[HeaderSHA256Key]
	return data, header
}

// dataSum returns the "sha256" metadata to verify the data against, "" when
// the file has none.
func (r *Reader) dataSum() (string, error) {
	want, ok := r.meta[SHA256Key]
	if ok && !isHexSum(want) {
		return "", invalid("malformed %s metadata %q", SHA256Key, want)
	}
	return want, nil
}

// ReadInto reads the data region once, verifying its checksum when the file
// has one. Every tensor of the file must be F32 (else ErrInvalid; ReadTyped
// reads the others). A tensor whose name is in dst is decoded into that
// tensor's Data, which must have the file's shape (else ErrInvalid); every
// tensor of dst must be in the file (else ErrInvalid). The file's other
// tensors are allocated and returned, in data order. On error the contents
// of dst are unspecified.
func (r *Reader) ReadInto(dst []Tensor) (rest []Tensor, err error) {
	want, err := r.dataSum()
	if err != nil {
		return nil, err
	}
	for _, t := range r.infos {
		if t.DType != DTypeF32 {
			return nil, invalid("tensor %q is %s, expected F32", t.Name, t.DType)
		}
	}
	byName := make(map[string]int, len(dst))
	for i, t := range dst {
		if _, dup := byName[t.Name]; dup {
			return nil, fmt.Errorf("safetensors: ReadInto: duplicate destination %q", t.Name)
		}
		byName[t.Name] = i
	}
	out := make([]Typed, len(r.infos))
	found := 0
	for i, t := range r.infos {
		j, ok := byName[t.Name]
		if !ok {
			continue
		}
		d := dst[j]
		if !slices.Equal(d.Shape, t.Shape) {
			return nil, invalid("tensor %q has shape %v, expected %v", t.Name, t.Shape, d.Shape)
		}
		if len(d.Data) != t.Len() {
			return nil, fmt.Errorf("safetensors: ReadInto: tensor %q: Data has %d elements, shape %v needs %d",
				t.Name, len(d.Data), d.Shape, t.Len())
		}
		out[i] = Typed{DType: DTypeF32, F32: d.Data}
		found++
	}
	if found != len(dst) {
		for _, d := range dst {
			if _, ok := r.index[d.Name]; !ok {
				return nil, invalid("tensor %q missing", d.Name)
			}
		}
	}
	for i, t := range r.infos {
		if _, ok := byName[t.Name]; !ok {
			out[i] = Typed{DType: DTypeF32, F32: make([]float32, t.Len())}
			rest = append(rest, Tensor{Name: t.Name, Shape: slices.Clone(t.Shape), Data: out[i].F32})
		}
	}
	if err := r.readData(out, want); err != nil {
		return nil, err
	}
	return rest, nil
}

// ReadTyped reads every tensor, F32 and I8 alike, in data order, verifying
// the data checksum when the file has one.
func (r *Reader) ReadTyped() ([]Typed, error) {
	want, err := r.dataSum()
	if err != nil {
		return nil, err
	}
	out := make([]Typed, len(r.infos))
	for i, t := range r.infos {
		out[i] = Typed{Name: t.Name, DType: t.DType, Shape: slices.Clone(t.Shape)}
		if t.DType == DTypeI8 {
			out[i].I8 = make([]int8, t.Len())
		} else {
			out[i].F32 = make([]float32, t.Len())
		}
	}
	if err := r.readData(out, want); err != nil {
		return nil, err
	}
	return out, nil
}

// readData streams the data region into out (one destination per info, of
// its dtype), hashing it when want (the expected sha256) is not "".
func (r *Reader) readData(out []Typed, want string) error {
	h := sha256.New()
	buf := make([]byte, min(readBuf, r.dataLen))
	sec := io.NewSectionReader(r.r, r.dataOff, r.dataLen)
	var done int64
	for i, t := range r.infos {
		size := int(elemSize(t.DType))
		f32, i8 := out[i].F32, out[i].I8
		count := len(f32) + len(i8)
		for k := 0; k < count; {
			n := min(len(buf)/size, count-k)
			b := buf[:size*n]
			if m, err := io.ReadFull(sec, b); err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					return truncated("the file ends at byte %d, expected %d", r.dataOff+done+int64(m), r.dataOff+r.dataLen)
				}
				return ioError("read", err)
			}
			if want != "" {
				h.Write(b)
			}
			done += int64(len(b))
			if i8 != nil {
				for j := range n {
					i8[k+j] = int8(b[j])
				}
			} else {
				for j := range n {
					f32[k+j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
				}
			}
			k += n
		}
	}
	if want != "" && hex.EncodeToString(h.Sum(nil)) != want {
		return &Error{Kind: ErrChecksum, Msg: "checksum mismatch (file corrupted?): the data does not match its sha256"}
	}
	return nil
}

func isHexSum(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// headerSum is the canonical header checksum described in the package doc;
// infos must be in data order.
func headerSum(meta map[string]string, infos []Info) string {
	h := sha256.New()
	var b []byte
	flush := func() {
		if len(b) >= 32<<10 {
			h.Write(b)
			b = b[:0]
		}
	}
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	keys := make([]string, 0, len(meta))
	for k := range meta {
		if k != HeaderSHA256Key {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = append(b, 'M')
		str(k)
		str(meta[k])
		flush()
	}
	for _, t := range infos {
		b = append(b, 'T')
		str(t.Name)
		str(t.DType)
		b = binary.AppendUvarint(b, uint64(len(t.Shape)))
		for _, d := range t.Shape {
			b = binary.AppendUvarint(b, uint64(d))
		}
		b = binary.AppendUvarint(b, uint64(t.Begin))
		b = binary.AppendUvarint(b, uint64(t.End))
		flush()
	}
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// Read reads and verifies a whole size-byte file from r: its tensors in data
// order and its metadata (including "sha256" and "header_sha256" when the
// file has them).
func Read(r io.ReaderAt, size int64) ([]Tensor, map[string]string, error) {
	rd, err := NewReader(r, size)
	if err != nil {
		return nil, nil, err
	}
	ts, err := rd.ReadAll()
	if err != nil {
		return nil, nil, err
	}
	return ts, rd.Metadata(), nil
}

// Decode is Read over a byte slice.
func Decode(b []byte) ([]Tensor, map[string]string, error) {
	return Read(bytes.NewReader(b), int64(len(b)))
}

// ReadFile reads and verifies the file at path (see Read). Errors for a bad
// file are *Error values naming path.
func ReadFile(path string) (ts []Tensor, meta map[string]string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			ts, meta, err = nil, nil, fmt.Errorf("safetensors: close %s: %w", path, cerr)
		}
	}()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %w", err)
	}
	ts, meta, err = Read(f, fi.Size())
	if err != nil {
		return nil, nil, withPath(err, path)
	}
	return ts, meta, nil
}

// AllFinite reports the first NaN or ±Inf value in ts as an *Error of kind
// ErrNonFinite naming the tensor and the element, or nil.
func AllFinite(ts []Tensor) error {
	for _, t := range ts {
		for i, v := range t.Data {
			if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
				return &Error{Kind: ErrNonFinite, Msg: fmt.Sprintf("tensor %q: element %d is %v", t.Name, i, v)}
			}
		}
	}
	return nil
}
