package safetensors

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func sampleTensors() []Tensor {
	return []Tensor{
		{Name: "embedding.embeddings", Shape: []int{3, 2}, Data: []float32{0.1, -0.2, 3, 4e-7, -5, 6}},
		{Name: "empty", Shape: []int{0, 4}},
		{Name: "scalar", Shape: []int{}, Data: []float32{42}},
		{Name: "ünï \"q\"\n", Shape: []int{1, 1, 2}, Data: []float32{float32(math.Inf(-1)), float32(math.NaN())}},
	}
}

func sampleMeta() map[string]string {
	return map[string]string{"format": "lstmctl", "vocab": `["","[UNK]","a\tb"]`, "ctl": "\x01\x1f<&>\u2028"}
}

func mustEncode(t testing.TB, ts []Tensor, meta map[string]string) []byte {
	t.Helper()
	b, err := Encode(ts, meta)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawFile builds a file from a header string and data, without padding.
func rawFile(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func sameTensors(t *testing.T, got, want []Tensor) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d tensors, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || !slices.Equal(g.Shape, w.Shape) || len(g.Data) != len(w.Data) {
			t.Fatalf("tensor %d: got %q %v len %d, want %q %v len %d", i, g.Name, g.Shape, len(g.Data), w.Name, w.Shape, len(w.Data))
		}
		for j := range w.Data {
			if math.Float32bits(g.Data[j]) != math.Float32bits(w.Data[j]) {
				t.Fatalf("tensor %q element %d: got %v, want %v", w.Name, j, g.Data[j], w.Data[j])
			}
		}
	}
}

// TestLayout checks the exact bytes against a file built by hand from the
// format's description, including both checksums.
func TestLayout(t *testing.T) {
	ts := []Tensor{
		{Name: "a", Shape: []int{2}, Data: []float32{1, -2}},
		{Name: "b", Shape: []int{1, 1}, Data: []float32{0.5}},
	}
	got := mustEncode(t, ts, map[string]string{"k": "v"})

	data := []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0, 0x3f}
	dataSum := hexSum(data)
	var canon []byte
	canon = append(canon, 'M', 1, 'k', 1, 'v')
	canon = append(canon, 'M', 6)
	canon = append(canon, "sha256"...)
	canon = append(canon, 64)
	canon = append(canon, dataSum...)
	canon = append(canon, 'T', 1, 'a', 3, 'F', '3', '2', 1, 2, 0, 8)
	canon = append(canon, 'T', 1, 'b', 3, 'F', '3', '2', 2, 1, 1, 8, 12)
	header := `{"__metadata__":{"header_sha256":"` + hexSum(canon) + `","k":"v","sha256":"` + dataSum + `"},` +
		`"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},` +
		`"b":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]}}`
	for len(header)%8 != 0 {
		header += " "
	}
	want := rawFile(header, data)
	if !bytes.Equal(got, want) {
		t.Fatalf("layout differs:\ngot  %q\nwant %q", got, want)
	}
	if (8+len(header))%8 != 0 {
		t.Fatal("data not 8-byte aligned")
	}
	// The header is plain JSON to any parser.
	var generic map[string]any
	if err := json.Unmarshal(got[8:8+len(header)], &generic); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTrip(t *testing.T) {
	ts, meta := sampleTensors(), sampleMeta()
	b := mustEncode(t, ts, meta)
	got, gotMeta, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	sameTensors(t, got, ts)
	n := binary.LittleEndian.Uint64(b)
	if gotMeta[SHA256Key] != hexSum(b[8+n:]) {
		t.Errorf("sha256 = %q, want hash of the data region", gotMeta[SHA256Key])
	}
	if !isHexSum(gotMeta[HeaderSHA256Key]) {
		t.Errorf("header_sha256 = %q", gotMeta[HeaderSHA256Key])
	}
	delete(gotMeta, SHA256Key)
	delete(gotMeta, HeaderSHA256Key)
	if fmt.Sprint(gotMeta) != fmt.Sprint(meta) {
		t.Errorf("meta = %q, want %q", gotMeta, meta)
	}
	// Encoding is deterministic.
	if !bytes.Equal(b, mustEncode(t, ts, meta)) {
		t.Error("two encodings differ")
	}
	// Zero tensors, no metadata.
	b = mustEncode(t, nil, nil)
	got, gotMeta, err = Decode(b)
	if err != nil || len(got) != 0 || len(gotMeta) != 2 {
		t.Fatalf("empty file: %v %v %v", got, gotMeta, err)
	}
}

func TestReader(t *testing.T) {
	ts := sampleTensors()
	b := mustEncode(t, ts, nil)
	r, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	infos := r.Tensors()
	if len(infos) != len(ts) || r.Len() != len(ts) || infos[0].Name != "embedding.embeddings" || infos[1].Name != "empty" ||
		infos[1].Begin != 24 || infos[1].End != 24 {
		t.Fatalf("Tensors() = %+v", infos)
	}
	info, ok := r.Lookup("scalar")
	if !ok || info.Len() != 1 || len(info.Shape) != 0 || info.DType != "F32" {
		t.Fatalf("Lookup(scalar) = %+v, %v", info, ok)
	}
	if _, ok := r.Lookup("nope"); ok {
		t.Fatal("Lookup found a missing tensor")
	}
	dst := []Tensor{{Name: "scalar", Shape: []int{}, Data: make([]float32, 1)}}
	rest, err := r.ReadInto(dst)
	if err != nil {
		t.Fatal(err)
	}
	if dst[0].Data[0] != 42 || len(rest) != 3 || rest[1].Name != "empty" {
		t.Fatalf("ReadInto: dst %v rest %+v", dst, rest)
	}
	_, err = r.ReadInto([]Tensor{{Name: "scalar", Shape: []int{1}, Data: make([]float32, 1)}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "shape") {
		t.Errorf("wrong shape: %v", err)
	}
	_, err = r.ReadInto([]Tensor{{Name: "nope", Shape: []int{1}, Data: make([]float32, 1)}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `"nope" missing`) {
		t.Errorf("missing tensor: %v", err)
	}
	// The Reader's views are copies.
	r.Metadata()[SHA256Key] = "x"
	r.Tensors()[1].Shape[0] = 99
	if _, err := r.ReadAll(); err != nil {
		t.Fatal(err)
	}
}

type failReaderAt struct {
	b    []byte
	fail int64 // reads touching bytes at or after fail fail
	err  error
}

func (f failReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.fail {
		return 0, f.err
	}
	return copy(p, f.b[off:]), nil
}

func TestReadIOError(t *testing.T) {
	b := mustEncode(t, sampleTensors(), nil)
	boom := errors.New("disk on fire")
	for _, at := range []int64{0, 8, int64(len(b)) - 1} {
		_, _, err := Read(failReaderAt{b, at, boom}, int64(len(b)))
		if !errors.Is(err, boom) {
			t.Errorf("fail at %d: %v", at, err)
		}
	}
	// A ReaderAt shorter than the size it claims is a truncated file.
	_, _, err := Read(bytes.NewReader(b[:len(b)-3]), int64(len(b)))
	if !errors.Is(err, ErrTruncated) {
		t.Errorf("short ReaderAt: %v", err)
	}
}

// TestRefuse feeds hand-made bad files and checks the kind and the message.
func TestRefuse(t *testing.T) {
	data4 := []byte{0, 0, 128, 63}
	sum4 := hexSum(data4)
	meta4 := `"__metadata__":{"sha256":"` + sum4 + `"}`
	one := `"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}`
	cases := []struct {
		name string
		file []byte
		kind error
		msg  string
	}{
		{"empty", nil, ErrTruncated, "0 bytes"},
		{"short", []byte{1, 2, 3, 4, 5, 6, 7}, ErrTruncated, "7 bytes"},
		{"huge header length", binary.LittleEndian.AppendUint64(nil, math.MaxUint64), ErrInvalid, "exceeds the limit"},
		{"header over 100MB", append(binary.LittleEndian.AppendUint64(nil, MaxHeaderSize+1), "{}"...), ErrInvalid, "exceeds the limit"},
		{"header past end", append(binary.LittleEndian.AppendUint64(nil, 1000), "{}"...), ErrTruncated, "header length 1000"},
		{"header length 0", rawFile("", nil), ErrInvalid, "too short"},
		{"not json", rawFile("hello world", nil), ErrInvalid, "does not start with '{'"},
		{"array", rawFile("[]", nil), ErrInvalid, "does not start with '{'"},
		{"leading space", rawFile(" {}", nil), ErrInvalid, "does not start with '{'"},
		{"trailing garbage", rawFile("{} x", nil), ErrInvalid, "trailing data"},
		{"trailing NUL", rawFile("{}  \x00", nil), ErrInvalid, "trailing data"},
		{"NUL separator", rawFile("{\"__metadata__\"\x00{}}", nil), ErrInvalid, "expected ':', found '\\x00'"},
		{"two objects", rawFile("{}{}", nil), ErrInvalid, "trailing data"},
		{"unclosed", rawFile(`{"a":`, nil), ErrInvalid, `tensor "a": entry is not an object`},
		{"unclosed object", rawFile(`{"__metadata__":{}`, nil), ErrInvalid, "expected ',' or '}' in header"},
		{"invalid utf8", rawFile("{\"\xff\":1}", nil), ErrInvalid, "UTF-8"},
		{"control char", rawFile("{\"a\nb\":{}}", nil), ErrInvalid, "control character"},
		{"bad escape", rawFile(`{"a\x":{}}`, nil), ErrInvalid, "escape"},
		{"unterminated", rawFile(`{"abc`, nil), ErrInvalid, "unterminated"},
		{"duplicate tensor", rawFile("{"+meta4+","+one+","+one+"}", data4), ErrInvalid, `duplicate key "t"`},
		{"duplicate escaped", rawFile("{"+meta4+","+one+`,"\u0074":{}}`, data4), ErrInvalid, `duplicate key "t"`},
		{"duplicate metadata", rawFile(`{"__metadata__":{"a":"1","a":"2"}}`, nil), ErrInvalid, `duplicate key "a"`},
		{"duplicate field", rawFile(`{"t":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, data4), ErrInvalid, `duplicate key "dtype"`},
		{"metadata number", rawFile(`{"__metadata__":{"a":1}}`, nil), ErrInvalid, `metadata "a" is not a string`},
		{"metadata null", rawFile(`{"__metadata__":{"a":null}}`, nil), ErrInvalid, `metadata "a" is not a string`},
		{"metadata not object", rawFile(`{"__metadata__":"x"}`, nil), ErrInvalid, "not an object"},
		{"empty name", rawFile(`{"":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}`, nil), ErrInvalid, "empty name"},
		{"entry not object", rawFile(`{"t":[1]}`, nil), ErrInvalid, "entry is not an object"},
		{"dtype f16", rawFile(`{"t":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, data4), ErrInvalid, `dtype "F16" not supported (only F32 and I8)`},
		{"I8 size mismatch", rawFile(`{"t":{"dtype":"I8","shape":[2],"data_offsets":[0,4]}}`, data4), ErrInvalid, "needs 2 bytes"},
		{"I8 read as float32", rawFile(`{"t":{"dtype":"I8","shape":[4],"data_offsets":[0,4]}}`, data4), ErrInvalid, `tensor "t" is I8, expected F32`},
		{"dtype number", rawFile(`{"t":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}`, data4), ErrInvalid, "expected a string"},
		{"missing dtype", rawFile(`{"t":{"shape":[1],"data_offsets":[0,4]}}`, data4), ErrInvalid, "missing dtype"},
		{"missing shape", rawFile(`{"t":{"dtype":"F32","data_offsets":[0,4]}}`, data4), ErrInvalid, "missing shape"},
		{"missing offsets", rawFile(`{"t":{"dtype":"F32","shape":[1]}}`, data4), ErrInvalid, "missing data_offsets"},
		{"unknown field", rawFile(`{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, data4), ErrInvalid, `unknown field "x"`},
		{"negative dim", rawFile(`{"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, data4), ErrInvalid, "non-negative integer"},
		{"fraction dim", rawFile(`{"t":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}`, data4), ErrInvalid, "fraction"},
		{"exponent dim", rawFile(`{"t":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}`, data4), ErrInvalid, "fraction or exponent"},
		{"leading zero", rawFile(`{"t":{"dtype":"F32","shape":[01],"data_offsets":[0,4]}}`, data4), ErrInvalid, "leading zero"},
		{"string dim", rawFile(`{"t":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}`, data4), ErrInvalid, "non-negative integer"},
		{"null shape", rawFile(`{"t":{"dtype":"F32","shape":null,"data_offsets":[0,4]}}`, data4), ErrInvalid, "expected '['"},
		{"dim overflow", rawFile(`{"t":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}}`, data4), ErrInvalid, "out of range"},
		{"product overflow", rawFile(`{"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, data4), ErrInvalid, "too many elements"},
		{"rank 65", rawFile(`{"t":{"dtype":"F32","shape":[`+strings.Repeat("1,", 64)+`1],"data_offsets":[0,4]}}`, data4), ErrInvalid, "more than 64"},
		{"three offsets", rawFile(`{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4,4]}}`, data4), ErrInvalid, "more than 2"},
		{"one offset", rawFile(`{"t":{"dtype":"F32","shape":[1],"data_offsets":[4]}}`, data4), ErrInvalid, "must have 2 entries"},
		{"reversed offsets", rawFile(`{"t":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}`, data4), ErrInvalid, "reversed"},
		{"size mismatch", rawFile(`{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, data4), ErrInvalid, "needs 8 bytes"},
		{"past end", rawFile(`{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, data4), ErrTruncated, "ends at data byte 8"},
		{"huge tensor past end", rawFile(`{"t":{"dtype":"F32","shape":[1073741824,1024],"data_offsets":[0,4398046511104]}}`, data4), ErrTruncated, "ends at data byte"},
		{"overlap", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, append(data4, data4...)), ErrInvalid, `"a" and "b" overlap`},
		{"same range", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, data4), ErrInvalid, "overlap"},
		{"gap", rawFile(`{"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, append(data4, data4...)), ErrInvalid, "[0, 4) belong to no tensor"},
		{"trailing data", rawFile("{"+meta4+","+one+"}", append(data4, 1)), ErrInvalid, "1 data bytes after the last tensor"},
		{"no tensors, data", rawFile(`{}`, data4), ErrInvalid, "4 data bytes after"},
		{"upper-case checksum", rawFile(`{"__metadata__":{"sha256":"`+strings.ToUpper(sum4)+`"},`+one+"}", data4), ErrInvalid, "malformed sha256"},
		{"short checksum", rawFile(`{"__metadata__":{"sha256":"abc"},`+one+"}", data4), ErrInvalid, "malformed sha256"},
		{"wrong checksum", rawFile("{"+meta4+","+one+"}", []byte{0, 0, 128, 64}), ErrChecksum, "checksum mismatch (file corrupted?)"},
		{"wrong header checksum", rawFile(`{"__metadata__":{"sha256":"`+sum4+`","header_sha256":"`+sum4+`"},`+one+"}", data4), ErrChecksum, "header checksum mismatch"},
		{"malformed header checksum", rawFile(`{"__metadata__":{"sha256":"`+sum4+`","header_sha256":""},`+one+"}", data4), ErrInvalid, "malformed header_sha256"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Decode(c.file)
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, c.kind) {
				t.Errorf("error %q is not %v", err, c.kind)
			}
			if !strings.Contains(err.Error(), c.msg) || !strings.HasPrefix(err.Error(), "safetensors: ") {
				t.Errorf("error %q does not say %q", err, c.msg)
			}
		})
	}
	// The valid counterpart of the cases above is accepted, with a header
	// checksum or without one.
	ok := rawFile("{"+meta4+","+one+"}  \n\t", data4)
	if ts, _, err := Decode(ok); err != nil || ts[0].Data[0] != 1 {
		t.Fatalf("valid hand-made file: %v %v", ts, err)
	}
}

// TestTruncated cuts a file at every length: always ErrTruncated.
func TestTruncated(t *testing.T) {
	b := mustEncode(t, sampleTensors(), sampleMeta())
	for n := range len(b) {
		_, _, err := Decode(b[:n])
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("cut at %d of %d: %v", n, len(b), err)
		}
	}
	if _, _, err := Decode(append(slices.Clone(b), 0, 0, 0, 0)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("appended bytes: %v", err)
	}
}

// TestFlip flips bits in every byte of a file: always refused, except that a
// flip inside the key "header_sha256" itself only disables the header
// checksum (callers that require it see it missing), and a flip that leaves
// the decoded content unchanged (the case of a hex digit in a \u escape).
func TestFlip(t *testing.T) {
	ts, meta := sampleTensors(), sampleMeta()
	b := mustEncode(t, ts, meta)
	n := int(binary.LittleEndian.Uint64(b))
	keyAt := bytes.Index(b, []byte(`"`+HeaderSHA256Key+`"`))
	for i := range b {
		for _, mask := range []byte{0x01, 0x20, 0x80, 0xff} {
			c := slices.Clone(b)
			c[i] ^= mask
			got, gotMeta, err := Decode(c)
			if err != nil {
				if !strings.HasPrefix(err.Error(), "safetensors: ") {
					t.Fatalf("byte %d ^ %#x: unprefixed error %q", i, mask, err)
				}
				if i >= 8+n && !errors.Is(err, ErrChecksum) {
					t.Fatalf("byte %d ^ %#x in data: %v, want a checksum error", i, mask, err)
				}
				continue
			}
			if i > keyAt && i < keyAt+len(HeaderSHA256Key)+1 {
				if _, ok := gotMeta[HeaderSHA256Key]; ok {
					t.Fatalf("byte %d ^ %#x: header_sha256 still present", i, mask)
				}
				sameTensors(t, got, ts)
				continue
			}
			_, wantMeta, _ := Decode(b)
			if fmt.Sprint(gotMeta) != fmt.Sprint(wantMeta) {
				t.Fatalf("byte %d (%q) ^ %#x accepted with metadata %q", i, b[i], mask, gotMeta)
			}
			sameTensors(t, got, ts)
		}
	}
}

// TestHostileAllocation checks that sizes claimed by a small file are not
// allocated.
func TestHostileAllocation(t *testing.T) {
	files := [][]byte{
		append(binary.LittleEndian.AppendUint64(nil, MaxHeaderSize), "{}"...),
		rawFile(`{"t":{"dtype":"F32","shape":[1073741824,1024],"data_offsets":[0,4398046511104]}}`, make([]byte, 64)),
		rawFile(`{"t":{"dtype":"F32","shape":[4000000],"data_offsets":[0,16000000]}}`, make([]byte, 64)),
	}
	for i, f := range files {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, err := Decode(f)
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Fatalf("file %d accepted", i)
		}
		if d := after.TotalAlloc - before.TotalAlloc; d > 64<<10 {
			t.Errorf("file %d (%d bytes): allocated %d bytes", i, len(f), d)
		}
	}
}

func TestAllFinite(t *testing.T) {
	ok := []Tensor{{Name: "a", Shape: []int{2}, Data: []float32{math.MaxFloat32, -math.SmallestNonzeroFloat32}}}
	if err := AllFinite(ok); err != nil {
		t.Fatal(err)
	}
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		ts := []Tensor{ok[0], {Name: "b", Shape: []int{3}, Data: []float32{0, 1, float32(v)}}}
		err := AllFinite(ts)
		if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), `tensor "b": element 2`) {
			t.Errorf("%v: %v", v, err)
		}
	}
}

func TestWriteRefusesBadInput(t *testing.T) {
	good := Tensor{Name: "a", Shape: []int{1}, Data: []float32{1}}
	cases := []struct {
		name string
		ts   []Tensor
		meta map[string]string
		msg  string
	}{
		{"duplicate", []Tensor{good, good}, nil, "duplicate tensor name"},
		{"empty name", []Tensor{{Shape: []int{0}}}, nil, "empty name"},
		{"reserved name", []Tensor{{Name: metadataKey, Shape: []int{0}}}, nil, "reserved"},
		{"bad utf8 name", []Tensor{{Name: "\xff", Shape: []int{0}}}, nil, "UTF-8"},
		{"negative dim", []Tensor{{Name: "a", Shape: []int{-1}}}, nil, "invalid shape"},
		{"len mismatch", []Tensor{{Name: "a", Shape: []int{2}, Data: []float32{1}}}, nil, "needs 2 values"},
		{"rank", []Tensor{{Name: "a", Shape: make([]int, MaxRank+1)}}, nil, "rank"},
		{"reserved key", []Tensor{good}, map[string]string{SHA256Key: "x"}, "reserved"},
		{"reserved header key", []Tensor{good}, map[string]string{HeaderSHA256Key: "x"}, "reserved"},
		{"bad utf8 meta", []Tensor{good}, map[string]string{"k": "\xfe"}, "UTF-8"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, "m.safetensors")
			err := WriteFile(path, c.ts, c.meta)
			if err == nil || !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %v does not say %q and name the path", err, c.msg)
			}
			if _, err := Encode(c.ts, c.meta); err == nil {
				t.Error("Encode accepted")
			}
		})
	}
	assertDirEntries(t, dir)
}

// assertDirEntries checks that dir holds exactly the named entries.
func assertDirEntries(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, names) {
		t.Fatalf("%s holds %q, want %q", dir, got, names)
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	ts, meta := sampleTensors(), sampleMeta()
	if err := WriteFile(path, ts, meta); err != nil {
		t.Fatal(err)
	}
	assertDirEntries(t, dir, "model.safetensors")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, mustEncode(t, ts, meta)) {
		t.Fatal("file differs from Encode")
	}
	fi, _ := os.Stat(path)
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	got, gotMeta, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sameTensors(t, got, ts)
	if gotMeta["format"] != "lstmctl" {
		t.Errorf("meta %v", gotMeta)
	}

	// Replacing keeps the old file's permissions.
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	ts2 := []Tensor{{Name: "x", Shape: []int{1}, Data: []float32{7}}}
	if err := WriteFile(path, ts2, nil); err != nil {
		t.Fatal(err)
	}
	fi, _ = os.Stat(path)
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after replace %v, want 0600", fi.Mode().Perm())
	}
	got, _, err = ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sameTensors(t, got, ts2)
	assertDirEntries(t, dir, "model.safetensors")

	// A relative path in the current directory works (Dir is ".").
	t.Chdir(dir)
	if err := WriteFile("rel.safetensors", ts2, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadFile("rel.safetensors"); err != nil {
		t.Fatal(err)
	}
}

func TestReadFileErrorsNamePath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cut.safetensors")
	b := mustEncode(t, sampleTensors(), nil)
	if err := os.WriteFile(path, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := ReadFile(path)
	var e *Error
	if !errors.As(err, &e) || e.Path != path || !errors.Is(err, ErrTruncated) ||
		!strings.HasPrefix(err.Error(), "safetensors: "+path+": truncated file") {
		t.Errorf("cut file: %v", err)
	}
	_, _, err = ReadFile(filepath.Join(dir, "missing"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: %v", err)
	}
	_, _, err = ReadFile(dir)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("directory: %v", err)
	}
}

// failAfter fails every write once n bytes have been written.
type failAfter struct {
	w io.Writer
	n int
}

var errDiskFull = errors.New("no space left on device (injected)")

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k, _ := f.w.Write(p[:f.n])
		f.n = 0
		return k, errDiskFull
	}
	f.n -= len(p)
	return f.w.Write(p)
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	old := []Tensor{{Name: "old", Shape: []int{2}, Data: []float32{1, 2}}}
	if err := WriteFile(path, old, nil); err != nil {
		t.Fatal(err)
	}
	oldBytes, _ := os.ReadFile(path)

	big := []Tensor{{Name: "big", Shape: []int{300000}, Data: make([]float32, 300000)}}
	for _, limit := range []int{0, 5, 100, 1 << 20} {
		wrapFile = func(f *os.File) io.Writer { return &failAfter{f, limit} }
		err := WriteFile(path, big, nil)
		wrapFile = func(f *os.File) io.Writer { return f }
		if !errors.Is(err, errDiskFull) || !strings.Contains(err.Error(), path) {
			t.Fatalf("limit %d: %v", limit, err)
		}
		now, _ := os.ReadFile(path)
		if !bytes.Equal(now, oldBytes) {
			t.Fatalf("limit %d: the good file was changed", limit)
		}
		assertDirEntries(t, dir, "model.safetensors")
	}

	// Write to a failing writer, at every stage.
	for _, limit := range []int{0, 7, 8, 100} {
		err := Write(&failAfter{io.Discard, limit}, sampleTensors(), nil)
		if !errors.Is(err, errDiskFull) || !strings.HasPrefix(err.Error(), "safetensors: write: ") {
			t.Errorf("Write failing after %d bytes: %v", limit, err)
		}
	}

	// Missing directory.
	missing := filepath.Join(dir, "no", "such", "m.safetensors")
	err := WriteFile(missing, old, nil)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing dir: %v", err)
	}
	// The target is a directory: the rename fails, the temporary file goes.
	sub := filepath.Join(dir, "sub")
	if err := os.MkdirAll(filepath.Join(sub, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	err = WriteFile(sub, old, nil)
	if err == nil || !strings.Contains(err.Error(), sub) {
		t.Errorf("directory target: %v", err)
	}
	assertDirEntries(t, dir, "model.safetensors", "sub")
	assertDirEntries(t, sub, "x")
}

// TestNoChecksums reads a file as another safetensors writer makes it: no
// sha256, no header_sha256. It loads, and Checksummed says so; a file that
// has them still has them checked.
func TestNoChecksums(t *testing.T) {
	data4 := []byte{0, 0, 128, 63}
	one := `"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}`
	for _, header := range []string{"{" + one + "}", `{"__metadata__":{"format":"x"},` + one + "}"} {
		b := rawFile(header, data4)
		r, err := NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if d, h := r.Checksummed(); d || h {
			t.Errorf("Checksummed() = %v, %v for a file without checksums", d, h)
		}
		ts, err := r.ReadAll()
		if err != nil || len(ts) != 1 || ts[0].Data[0] != 1 {
			t.Fatalf("%s: %v %v", header, ts, err)
		}
	}
	b := mustEncode(t, sampleTensors(), nil)
	r, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if d, h := r.Checksummed(); !d || !h {
		t.Errorf("Checksummed() = %v, %v for a file of Write", d, h)
	}
	b[len(b)-1] ^= 1
	if _, _, err := Decode(b); !errors.Is(err, ErrChecksum) {
		t.Errorf("corrupt data with a checksum: %v", err)
	}
}

// TestTyped round-trips a file mixing F32 and I8 tensors, checks its bytes
// and that the float32 readers refuse it.
func TestTyped(t *testing.T) {
	ts := []Typed{
		{Name: "q", DType: DTypeI8, Shape: []int{2, 3}, I8: []int8{-128, -1, 0, 1, 2, 127}},
		{Name: "q.scale", DType: DTypeF32, Shape: []int{2}, F32: []float32{0.5, 2}},
		{Name: "e", DType: DTypeI8, Shape: []int{0}, I8: []int8{}},
	}
	b, err := EncodeTyped(ts, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(b)
	if !bytes.Contains(b[8:8+n], []byte(`"q":{"dtype":"I8","shape":[2,3],"data_offsets":[0,6]}`)) {
		t.Errorf("header %s", b[8:8+n])
	}
	if want := []byte{0x80, 0xff, 0, 1, 2, 0x7f, 0, 0, 0, 0x3f, 0, 0, 0, 0x40}; !bytes.Equal(b[8+n:], want) {
		t.Errorf("data % x, want % x", b[8+n:], want)
	}
	r, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := r.Lookup("q"); info.Len() != 6 || info.DType != DTypeI8 {
		t.Errorf("Lookup(q) = %+v", info)
	}
	got, err := r.ReadTyped()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Name != "q" || got[2].Name != "e" || fmt.Sprint(got[0].I8) != fmt.Sprint(ts[0].I8) ||
		got[0].F32 != nil || fmt.Sprint(got[1].F32) != "[0.5 2]" || got[1].I8 != nil {
		t.Fatalf("ReadTyped = %+v", got)
	}
	if _, _, err := Decode(b); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "is I8, expected F32") {
		t.Errorf("Decode of an I8 file: %v", err)
	}
	b[8+n] ^= 1
	r, err = NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadTyped(); !errors.Is(err, ErrChecksum) {
		t.Errorf("corrupt I8 data: %v", err)
	}
	for _, bad := range [][]Typed{
		{{Name: "x", DType: "F16", Shape: []int{1}, F32: []float32{1}}},
		{{Name: "x", DType: DTypeI8, Shape: []int{1}, F32: []float32{1}}},
		{{Name: "x", DType: DTypeI8, Shape: []int{2}, I8: []int8{1}}},
	} {
		if _, err := EncodeTyped(bad, nil); err == nil {
			t.Errorf("EncodeTyped(%+v) accepted", bad)
		}
	}
}
