package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lstmctlBinary returns a path that runs this test binary as lstmctl
// (testscript.Main in TestMain dispatches on the name).
func lstmctlBinary(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "lstmctl")
	if err := os.Symlink(exe, bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

// exampleDir holds the shipped example's data.
var exampleDir = filepath.Join("..", "..", "examples", "topics")

// trainExample trains a model on the shipped example with bin and
// returns its path.
func trainExample(t *testing.T, bin string) string {
	t.Helper()
	model := filepath.Join(t.TempDir(), "m.safetensors")
	train := exec.Command(bin, "train", "--train", filepath.Join(exampleDir, "train.txt"), "--epochs", "3", "--threads", "1", "--model", model, "--quiet")
	if out, err := train.CombinedOutput(); err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	return model
}

// syncBuffer is a bytes.Buffer safe to write and read from two goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeBinary runs the real binary: serve on 127.0.0.1:0 (the bound
// address read from stderr), the same answers as predict, a refused
// SIGHUP reload, and SIGTERM answering a request in flight before exit 0.
func TestServeBinary(t *testing.T) {
	bin := lstmctlBinary(t)
	model := trainExample(t, bin)
	lines, texts := exampleTexts(t)
	predict := exec.Command(bin, "predict", "--model", model, "--format", "jsonl", "--top-k", "2")
	predict.Stdin = bytes.NewReader(lines)
	want, err := predict.Output()
	if err != nil {
		t.Fatalf("predict: %v", err)
	}

	srv, url, log := startServe(t, bin, "--model", model)
	exited := false
	defer func() {
		if !exited {
			srv.Process.Kill()
			srv.Wait()
		}
	}()
	request := func() (int, string) { return postTexts(t, url, texts) }
	code, body := request()
	if got := predictionLines(t, code, body); got != string(want) {
		t.Errorf("serve answered\n%s\npredict wrote\n%s", got, want)
	}

	// A refused reload keeps the old model.
	if err := os.WriteFile(model, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv.Process.Signal(syscall.SIGHUP)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(log.String(), "reload refused"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no refused reload logged:\n%s", log.String())
		}
	}
	if code, body2 := request(); code != 200 || body2 != body {
		t.Errorf("after a refused reload: %d %s", code, body2)
	}

	// SIGTERM while a request is in flight (its body half sent): it is
	// answered, then the server exits 0.
	slow, w := io.Pipe()
	inflight := make(chan int, 1)
	go func() {
		resp, err := http.Post(url+"/v1/predict", "application/json", slow)
		if err != nil {
			t.Error(err)
			inflight <- 0
			return
		}
		resp.Body.Close()
		inflight <- resp.StatusCode
	}()
	w.Write([]byte(`{"texts": ["will it rain`))
	time.Sleep(100 * time.Millisecond)
	srv.Process.Signal(syscall.SIGTERM)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(log.String(), "shutting down"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no shutdown logged:\n%s", log.String())
		}
	}
	w.Write([]byte(` tomorrow"]}`))
	w.Close()
	if c := <-inflight; c != 200 {
		t.Errorf("request in flight at SIGTERM: status %d", c)
	}
	err = srv.Wait()
	exited = true
	if err != nil {
		t.Errorf("serve after SIGTERM: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "msg=stopped") {
		t.Errorf("no stop logged:\n%s", log.String())
	}
}

// TestServeInt8Compute: serve --int8-compute answers what predict
// --int8-compute writes (the int8 products give a text the same bits in
// any batch).
func TestServeInt8Compute(t *testing.T) {
	bin := lstmctlBinary(t)
	model := trainExample(t, bin)
	lines, texts := exampleTexts(t)
	run := func(args ...string) string {
		predict := exec.Command(bin, append([]string{"predict", "--model", model, "--format", "jsonl", "--top-k", "2"}, args...)...)
		predict.Stdin = bytes.NewReader(lines)
		out, err := predict.Output()
		if err != nil {
			t.Fatalf("predict %v: %v", args, err)
		}
		return string(out)
	}
	want, float := run("--int8-compute"), run()
	if want == float {
		t.Fatal("--int8-compute printed the float32 probabilities: the flag does nothing")
	}
	srv, url, _ := startServe(t, bin, "--model", model, "--int8-compute")
	defer func() {
		srv.Process.Kill()
		srv.Wait()
	}()
	code, body := postTexts(t, url, texts)
	if got := predictionLines(t, code, body); got != want {
		t.Errorf("serve --int8-compute answered\n%s\npredict --int8-compute wrote\n%s", got, want)
	}
}

// exampleTexts returns the shipped example's unlabelled texts, as a file's
// bytes and one string per line.
func exampleTexts(t *testing.T) ([]byte, []string) {
	t.Helper()
	lines, err := os.ReadFile(filepath.Join(exampleDir, "unlabelled.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return lines, strings.Split(strings.TrimSuffix(string(lines), "\n"), "\n")
}

// startServe starts bin serve with args on 127.0.0.1:0 and one thread, and
// returns the process, its URL (read from stderr) and its log.
func startServe(t *testing.T, bin string, args ...string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	srv := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--threads", "1"}, args...)...)
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.Write(append(sc.Bytes(), '\n'))
			if a, ok := strings.CutPrefix(sc.Text(), "lstmctl serve: listening on "); ok {
				addr <- a
			}
		}
	}()
	select {
	case url := <-addr:
		return srv, url, log
	case <-time.After(30 * time.Second):
		srv.Process.Kill()
		srv.Wait()
		t.Fatalf("no address on stderr:\n%s", log.String())
	}
	return nil, "", nil
}

// postTexts posts texts to url's /v1/predict with top_k 2 and returns the
// status and body.
func postTexts(t *testing.T, url string, texts []string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"texts": texts, "top_k": 2})
	resp, err := http.Post(url+"/v1/predict", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// predictionLines returns the predictions of a 200 answer (status, body)
// as the lines predict --format jsonl writes.
func predictionLines(t *testing.T, code int, body string) string {
	t.Helper()
	var got struct{ Predictions []json.RawMessage }
	if code != 200 || json.Unmarshal([]byte(body), &got) != nil {
		t.Fatalf("%d %s", code, body)
	}
	var joined strings.Builder
	for _, p := range got.Predictions {
		joined.Write(p)
		joined.WriteByte('\n')
	}
	return joined.String()
}
