package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// FuzzReadFile feeds arbitrary bytes to the reader. Properties: it never
// panics; a refusal is an *Error of a known kind; an accepted file has a JSON
// header that encoding/json accepts too, a sha256 that matches the data region,
// tensors that tile that region, and re-encodes to a file that decodes to the
// same tensors and metadata.
func FuzzReadFile(f *testing.F) {
	valid := mustEncode(f, sampleTensors(), sampleMeta())
	f.Add(valid)
	f.Add(mustEncode(f, nil, nil))
	f.Add(mustEncode(f, []Tensor{{Name: "w", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}}}, map[string]string{"k": "v"}))
	f.Add(valid[:len(valid)/2])
	flipped := append([]byte(nil), valid...)
	flipped[len(flipped)-5] ^= 1
	f.Add(flipped)
	data4 := []byte{0, 0, 128, 63}
	f.Add(rawFile(`{"__metadata__":{"sha256":"`+hexSum(data4)+`"},"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, data4))
	f.Add(rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)))
	f.Add(rawFile(`{"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, data4))
	f.Add(rawFile(`{"__metadata__":{"a":"\u00e9\ud800","a":1}}`, nil))
	f.Add(binary.LittleEndian.AppendUint64(nil, 1<<62))

	f.Fuzz(checkDecode)
}

// FuzzHeader fuzzes the header text with a valid data checksum: every "@SHA@"
// in it is replaced by the data's sha256, so the fuzzer reaches the paths
// after the checksum. Same properties as FuzzReadFile.
func FuzzHeader(f *testing.F) {
	data4 := []byte{0, 0, 128, 63, 0, 0, 0, 64}
	f.Add(`{"__metadata__":{"sha256":"@SHA@"},"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"u":{"dtype":"F32","shape":[1,1],"data_offsets":[4,8]}}`, data4)
	f.Add(`{"__metadata__":{"k":"\u00e9\n","sha256":"@SHA@"},"e":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  `, data4)
	f.Add(`{"t":{"data_offsets":[0,8],"shape":[2,1],"dtype":"F32"},"__metadata__":{"sha256":"@SHA@"}}`, data4)
	f.Add(`{"__metadata__":{"sha256":"@SHA@"}}`, []byte{})
	f.Add(`{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, data4)
	f.Add(`{"q":{"dtype":"I8","shape":[2,2],"data_offsets":[0,4]},"s":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, data4)
	f.Fuzz(func(t *testing.T, header string, data []byte) {
		header = strings.ReplaceAll(header, "@SHA@", hexSum(data))
		b := rawFile(header, data)
		checkDecode(t, b)
		checkTyped(t, b)
	})
}

// checkDecode checks the properties listed at FuzzReadFile.
func checkDecode(t *testing.T, b []byte) {
	ts, meta, err := Decode(b)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error of type %T: %v", err, err)
		}
		if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrChecksum) {
			t.Fatalf("error of unknown kind: %v", err)
		}
		return
	}
	n := binary.LittleEndian.Uint64(b)
	header, data := b[8:8+n], b[8+n:]
	var generic map[string]json.RawMessage
	if err := json.Unmarshal(header, &generic); err != nil {
		t.Fatalf("accepted a header encoding/json refuses: %v", err)
	}
	if sum, ok := meta[SHA256Key]; ok && sum != hexSum(data) {
		t.Fatalf("accepted sha256 %q for data hashing to %q", sum, hexSum(data))
	}
	total := 0
	for _, x := range ts {
		total += 4 * len(x.Data)
	}
	if total != len(data) {
		t.Fatalf("tensors hold %d bytes, data region %d", total, len(data))
	}
	clean := make(map[string]string)
	for k, v := range meta {
		if k != SHA256Key && k != HeaderSHA256Key {
			clean[k] = v
		}
	}
	enc, err := Encode(ts, clean)
	if err != nil {
		t.Fatalf("re-encoding an accepted file: %v", err)
	}
	ts2, meta2, err := Decode(enc)
	if err != nil {
		t.Fatalf("decoding a re-encoded file: %v", err)
	}
	sameTensors(t, ts2, ts)
	if _, had := meta[HeaderSHA256Key]; !had {
		delete(meta2, HeaderSHA256Key)
	}
	if _, had := meta[SHA256Key]; !had {
		delete(meta2, SHA256Key)
	}
	if fmt.Sprint(meta2) != fmt.Sprint(meta) {
		t.Fatalf("metadata changed in a round trip:\n%q\n%q", meta2, meta)
	}
}

// checkTyped reads b with ReadTyped: no panic, a refusal of a known kind,
// and an accepted file re-encodes to the same tensors.
func checkTyped(t *testing.T, b []byte) {
	r, err := NewReader(bytes.NewReader(b), int64(len(b)))
	var ts []Typed
	if err == nil {
		ts, err = r.ReadTyped()
	}
	if err != nil {
		if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrChecksum) {
			t.Fatalf("error of unknown kind: %v", err)
		}
		return
	}
	enc, err := EncodeTyped(ts, nil)
	if err != nil {
		t.Fatalf("re-encoding an accepted file: %v", err)
	}
	r2, err := NewReader(bytes.NewReader(enc), int64(len(enc)))
	if err != nil {
		t.Fatalf("re-encoded file: %v", err)
	}
	ts2, err := r2.ReadTyped()
	if err != nil || fmt.Sprint(ts2) != fmt.Sprint(ts) {
		t.Fatalf("typed round trip: %v\n%v\n%v", err, ts2, ts)
	}
}
