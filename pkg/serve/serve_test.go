package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

// trainTiny trains a small three-class model (seed picks its weights)
// and returns the path of its file.
func trainTiny(t testing.TB, dir string, seed uint64) string {
	t.Helper()
	var b strings.Builder
	for i := range 90 {
		switch i % 3 {
		case 0:
			if seed == multiSeed && i%2 == 0 { // several labels: a multi-label model
				fmt.Fprintf(&b, "__label__x __label__z alpha beta zeta w%d\n", i%7)
				continue
			}
			fmt.Fprintf(&b, "__label__x alpha beta w%d\n", i%7)
		case 1:
			fmt.Fprintf(&b, "__label__y gamma delta w%d\n", i%5)
		default:
			fmt.Fprintf(&b, "__label__z epsilon zeta w%d\n", i%4)
		}
	}
	data := filepath.Join(dir, "train.txt")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.DefaultConfig()
	cfg.Data.Train = data
	cfg.Model.EmbeddingVectors = ""
	cfg.Model.EmbeddingDim, cfg.Model.LSTM = 8, []int{6}
	cfg.Train.Epochs, cfg.Train.BatchSize, cfg.Train.Threads, cfg.Train.Seed = 2, 8, 1, seed
	cfg.Output.Model = filepath.Join(dir, fmt.Sprintf("m%d.safetensors", seed))
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.Train(context.Background(), cfg, pipeline.TrainOptions{}); err != nil {
		t.Fatal(err)
	}
	return cfg.Output.Model
}

// multiSeed trains the multi-label test model.
const multiSeed = 3

var (
	modelOnce sync.Once
	modelDir  string
	modelA    string // seed 1
	modelB    string // seed 2
	modelM    string // multi-label, seed 3
)

// tinyModels trains the two test models once for the package's tests.
func tinyModels(t *testing.T) (a, b string) {
	modelOnce.Do(func() {
		var err error
		if modelDir, err = os.MkdirTemp("", "serve-test-"); err != nil {
			t.Fatal(err)
		}
		modelA, modelB, modelM = trainTiny(t, modelDir, 1), trainTiny(t, modelDir, 2), trainTiny(t, modelDir, multiSeed)
	})
	if modelA == "" {
		t.Fatal("no test model")
	}
	return modelA, modelB
}

func TestMain(m *testing.M) {
	code := m.Run()
	if modelDir != "" {
		os.RemoveAll(modelDir)
	}
	os.Exit(code)
}

// start serves a copy of the model file src in a temporary directory and
// returns the server, its test HTTP server and the copy's path.
func start(t *testing.T, src string, opts Options) (*Server, *httptest.Server, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model.safetensors")
	copyFile(t, src, path)
	s, err := New(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	return s, ts, path
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	// Written beside and renamed, as a deployment replaces a model.
	if err := os.WriteFile(dst+".tmp", b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(dst+".tmp", dst); err != nil {
		t.Fatal(err)
	}
}

func post(t *testing.T, url, contentType, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// predictJSONL is what predict --format jsonl writes for lines: the
// pipeline's PredictLines rendered by the Ranker (k 0: --top-k not given).
func predictJSONL(t *testing.T, path string, lines []string, k int, threshold ...float64) []string {
	t.Helper()
	m, err := pipeline.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	p := m.NewPredictor()
	defer p.Close()
	var thr *float64
	if len(threshold) > 0 {
		thr = &threshold[0]
	}
	if m.MultiLabel() != (path == modelM) {
		t.Fatalf("%s: multi-label %v", path, m.MultiLabel())
	}
	sink := &jsonlSink{rank: m.NewRanker(k, thr)}
	if err := p.PredictLines(context.Background(), strings.NewReader(strings.Join(lines, "\n")+"\n"), "in", sink); err != nil {
		t.Fatal(err)
	}
	return sink.out
}

type jsonlSink struct {
	rank *pipeline.Ranker
	out  []string
}

func (s *jsonlSink) Put(p []float32) error {
	b, err := s.rank.AppendJSON(nil, nil, p)
	s.out = append(s.out, strings.TrimSuffix(string(b), "\n"))
	return err
}
func (s *jsonlSink) Flush() error { return nil }

// texts are the test inputs: known words, unknown ones, an empty text and
// one far longer than the sequence length (cut as predict cuts it).
var texts = []string{"alpha beta w1", "gamma delta", "", "epsilon zeta zeta w3", "never seen words", strings.Repeat("gamma alpha ", 400)}

func TestPredictSameAsPredict(t *testing.T) {
	a, _ := tinyModels(t)
	_, ts, path := start(t, a, Options{})
	want := predictJSONL(t, path, texts, 2)
	body, _ := json.Marshal(map[string]any{"texts": texts, "top_k": 2})
	code, got := post(t, ts.URL+"/v1/predict", "application/json", string(body))
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, got)
	}
	var resp struct{ Predictions []json.RawMessage }
	if err := json.Unmarshal([]byte(got), &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Predictions) != len(texts) {
		t.Fatalf("%d predictions for %d texts", len(resp.Predictions), len(texts))
	}
	for i, p := range resp.Predictions {
		if string(p) != want[i] {
			t.Errorf("text %d: %s, predict writes %s", i, p, want[i])
		}
	}

	// JSON lines in and out: the same lines, ids copied, blank lines skipped.
	var nd strings.Builder
	for i, text := range texts {
		b, _ := json.Marshal(map[string]string{"text": text, "id": fmt.Sprint("r", i)})
		nd.Write(b)
		nd.WriteString("\n\n")
	}
	code, got = post(t, ts.URL+"/v1/predict?top_k=2", "application/x-ndjson; charset=utf-8", nd.String())
	if code != http.StatusOK {
		t.Fatalf("ndjson status %d: %s", code, got)
	}
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != len(texts) {
		t.Fatalf("ndjson: %d lines for %d texts", len(lines), len(texts))
	}
	for i, l := range lines {
		if w := fmt.Sprintf(`{"id":"r%d",`, i) + strings.TrimPrefix(want[i], "{"); l != w {
			t.Errorf("ndjson line %d: %s, want %s", i, l, w)
		}
	}
}

// TestMultiLabel: a multi-label model answers with predict's records,
// with its default top_k and threshold and with ones given.
func TestMultiLabel(t *testing.T) {
	_, _ = tinyModels(t)
	_, ts, _ := start(t, modelM, Options{})
	for _, c := range []struct {
		req  string
		k    int
		thr  []float64
		ndjq string
	}{
		{`{"texts": %s}`, 0, nil, ""},
		{`{"texts": %s, "top_k": 1}`, 1, nil, "top_k=1"},
		{`{"texts": %s, "threshold": 0.1}`, 0, []float64{0.1}, "threshold=0.1"},
	} {
		want := predictJSONL(t, modelM, texts, c.k, c.thr...)
		list, _ := json.Marshal(texts)
		code, got := post(t, ts.URL+"/v1/predict", "application/json", fmt.Sprintf(c.req, list))
		if w := `{"predictions":[` + strings.Join(want, ",") + "]}\n"; code != 200 || got != w {
			t.Errorf("%s: %d %s, want %s", c.req, code, got, w)
		}
		var nd strings.Builder
		for _, text := range texts {
			b, _ := json.Marshal(map[string]string{"text": text})
			nd.Write(append(b, '\n'))
		}
		code, got = post(t, ts.URL+"/v1/predict?"+c.ndjq, "application/x-ndjson", nd.String())
		if w := strings.Join(want, "\n") + "\n"; code != 200 || got != w {
			t.Errorf("ndjson %s: %d %s, want %s", c.ndjq, code, got, w)
		}
	}
}

func TestBadRequestsThenGood(t *testing.T) {
	a, _ := tinyModels(t)
	_, ts, _ := start(t, a, Options{MaxBodyBytes: 1000, MaxTexts: 3})
	cases := []struct {
		name, ct, body string
		code           int
		msg            string
	}{
		{"malformed", "application/json", `{"texts": ["a",`, 400, "cut-off JSON"},
		{"syntax", "application/json", `{"texts": [a]}`, 400, "malformed JSON"},
		{"not a list", "application/json", `{"texts": "a"}`, 400, `"texts" must be`},
		{"no texts", "application/json", `{"text": ["a"]}`, 400, `unknown field "text"`},
		{"missing", "application/json", `{}`, 400, `no "texts"`},
		{"two values", "application/json", `{"texts": []} {}`, 400, "more than one JSON value"},
		{"top_k", "application/json", `{"texts": ["a"], "top_k": 0}`, 400, "top_k must be at least 1"},
		{"threshold", "application/json", `{"texts": ["a"], "threshold": 1.5}`, 400, "threshold must be within [0, 1]"},
		{"too large", "application/json", `{"texts": ["` + strings.Repeat("a", 2000) + `"]}`, 413, "larger than the limit of 1000 bytes"},
		{"too many", "application/json", `{"texts": ["a", "b", "c", "d"]}`, 413, "limit of 3"},
		{"ndjson line", "application/x-ndjson", "{\"text\": \"a\"}\n{\"text\": 1}\n", 400, "line 2"},
		{"ndjson no text", "application/x-ndjson", "{\"id\": \"a\"}\n", 400, `line 1: no "text"`},
		{"ndjson too large", "application/x-ndjson", "{\"text\": \"" + strings.Repeat("a", 2000) + "\"}\n", 413, "larger than the limit"},
		{"ndjson too many", "application/x-ndjson", strings.Repeat("{\"text\": \"a\"}\n", 4), 413, "limit of 3"},
	}
	for _, c := range cases {
		code, body := post(t, ts.URL+"/v1/predict", c.ct, c.body)
		var e struct{ Error string }
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			t.Errorf("%s: not a JSON error: %q", c.name, body)
		}
		if code != c.code || !strings.Contains(e.Error, c.msg) {
			t.Errorf("%s: %d %q, want %d and %q", c.name, code, e.Error, c.code, c.msg)
		}
		// The server goes on answering.
		if code, body := post(t, ts.URL+"/v1/predict", "application/json", `{"texts": ["alpha"]}`); code != 200 {
			t.Fatalf("after %s: %d %s", c.name, code, body)
		}
	}
	for _, q := range []string{"top_k=x", "top_k=0", "threshold=2", "threshold=x"} {
		if code, _ := post(t, ts.URL+"/v1/predict?"+q, "application/x-ndjson", `{"text": "a"}`); code != 400 {
			t.Errorf("ndjson %s: %d", q, code)
		}
	}
	resp, err := http.Get(ts.URL + "/v1/predict")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /v1/predict: %d", resp.StatusCode)
	}
	if code, body := post(t, ts.URL+"/v2/predict", "application/json", `{}`); code != 404 || !strings.Contains(body, "no such path") {
		t.Errorf("unknown path: %d %s", code, body)
	}
	if code, body := post(t, ts.URL+"/v1/predict", "application/json", `{"texts": []}`); code != 200 || body != "{\"predictions\":[]}\n" {
		t.Errorf("no texts: %d %q", code, body)
	}
}

// metricValue is the value of one sample line of /metrics ("name{labels}").
func metricValue(t *testing.T, url, sample string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			return v
		}
	}
	return ""
}

func TestMetricsCountRequests(t *testing.T) {
	a, _ := tinyModels(t)
	_, ts, _ := start(t, a, Options{})
	for range 3 {
		post(t, ts.URL+"/v1/predict", "application/json", `{"texts": ["alpha", "gamma"]}`)
	}
	post(t, ts.URL+"/v1/predict", "application/json", `{`)
	checks := map[string]string{
		`lstmctl_requests_total{code="200",handler="predict"}`: "3",
		`lstmctl_requests_total{code="400",handler="predict"}`: "1",
		`lstmctl_request_errors_total{reason="bad_request"}`:   "1",
		`lstmctl_texts_total`: "6",
		`lstmctl_request_duration_seconds_count{handler="predict"}`: "4",
		`lstmctl_batch_size_sum`:                                    "6",
		`lstmctl_model_reloads_total{result="refused"}`:             "0",
	}
	for sample, want := range checks {
		if got := metricValue(t, ts.URL, sample); got != want {
			t.Errorf("%s = %q, want %s", sample, got, want)
		}
	}
	if got := metricValue(t, ts.URL, "process_resident_memory_bytes"); got == "" {
		t.Error("no process metrics")
	}
}

// TestBatchingMergesRequests sends concurrent one-text requests, all in
// flight (their bodies half sent) before any is complete: they run in
// fewer forward passes than requests, each with its own answer.
func TestBatchingMergesRequests(t *testing.T) {
	a, _ := tinyModels(t)
	const n = 16
	s, ts, path := start(t, a, Options{BatchWindow: 10 * time.Second, MaxBatch: 1000})
	want := predictJSONL(t, path, texts, 1)
	var wg sync.WaitGroup
	errs := make(chan string, n)
	rest := make([]*io.PipeWriter, n)
	for i := range n {
		r, w := io.Pipe()
		rest[i] = w
		wg.Go(func() {
			resp, err := http.Post(ts.URL+"/v1/predict", "application/json", r)
			if err != nil {
				errs <- err.Error()
				return
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			// Merged with others, each text still gets its own answer.
			if w := `{"predictions":[` + want[i%len(texts)] + "]}\n"; resp.StatusCode != 200 || string(got) != w {
				errs <- fmt.Sprintf("request %d: %d %s, want %s", i, resp.StatusCode, got, w)
			}
		})
		w.Write([]byte(`{"texts": `))
	}
	for deadline := time.Now().Add(30 * time.Second); s.inflight.Load() < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d requests in flight", s.inflight.Load(), n)
		}
	}
	for i, w := range rest {
		text, _ := json.Marshal([]string{texts[i%len(texts)]})
		w.Write(append(text, '}'))
		w.Close()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	passes := metricValue(t, ts.URL, "lstmctl_batch_size_count")
	if metricValue(t, ts.URL, "lstmctl_batch_size_sum") != fmt.Sprint(n) || passes == "" || passes == fmt.Sprint(n) {
		t.Errorf("%d requests ran in %s forward passes (batch sizes sum %s): not merged", n, passes, metricValue(t, ts.URL, "lstmctl_batch_size_sum"))
	}
	// A batch of one request is in the first bucket only when nothing merged.
	if got := metricValue(t, ts.URL, `lstmctl_batch_requests_bucket{le="1"}`); got == passes {
		t.Errorf("every pass held one request (%s of %s)", got, passes)
	}
}

func TestReload(t *testing.T) {
	a, b := tinyModels(t)
	s, ts, path := start(t, a, Options{})
	predictOne := func() string {
		_, got := post(t, ts.URL+"/v1/predict", "application/json", `{"texts": ["alpha gamma epsilon"], "top_k": 3}`)
		return got
	}
	before := predictOne()
	wantB := `{"predictions":[` + predictJSONL(t, b, []string{"alpha gamma epsilon"}, 3)[0] + "]}\n"
	if before == wantB {
		t.Fatal("the two test models predict the same")
	}

	// A good file: served from the next request on.
	copyFile(t, b, path)
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := predictOne(); got != wantB {
		t.Errorf("after reload: %s, want model B's %s", got, wantB)
	}
	shaB := s.model.Load().sha256

	// A refused file: the error says why, the old model goes on.
	if err := os.WriteFile(path, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(); err == nil {
		t.Fatal("a broken model file was accepted")
	}
	if got := predictOne(); got != wantB {
		t.Errorf("after a refused reload: %s, want model B's %s", got, wantB)
	}
	for sample, want := range map[string]string{
		`lstmctl_model_reloads_total{result="ok"}`:                                 "1",
		`lstmctl_model_reloads_total{result="refused"}`:                            "1",
		`lstmctl_model_info{labels="3",path="` + path + `",sha256="` + shaB + `"}`: "1",
	} {
		if got := metricValue(t, ts.URL, sample); got != want {
			t.Errorf("%s = %q, want %s", sample, got, want)
		}
	}
	resp, err := http.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	hb, _ := io.ReadAll(resp.Body)
	if !bytes.Contains(hb, []byte(shaB)) {
		t.Errorf("healthz %s does not name model B (%s)", hb, shaB)
	}
}

// TestTimeout: a request not answered within the timeout gets a 503, and
// the server answers the next one. The batcher waits for another request
// in flight, whose body never ends, up to a batch window longer than the
// timeout.
func TestTimeout(t *testing.T) {
	a, _ := tinyModels(t)
	_, ts, _ := start(t, a, Options{BatchWindow: 10 * time.Second, MaxBatch: 1000, RequestTimeout: 300 * time.Millisecond})
	slow, body := io.Pipe()
	defer body.Close()
	go func() {
		if resp, err := http.Post(ts.URL+"/v1/predict", "application/json", slow); err == nil {
			resp.Body.Close()
		}
	}()
	body.Write([]byte(`{"texts": [`))
	time.Sleep(50 * time.Millisecond) // the slow request is in flight
	code, got := post(t, ts.URL+"/v1/predict", "application/json", `{"texts": ["alpha"]}`)
	if code != http.StatusServiceUnavailable || !strings.Contains(got, "request timeout") {
		t.Errorf("%d %s, want 503", code, got)
	}
	if got := metricValue(t, ts.URL, `lstmctl_request_errors_total{reason="timeout"}`); got != "1" {
		t.Errorf("timeouts counted: %q", got)
	}
	body.Close()
	// With nothing else in flight a request runs at once, whatever the window.
	start := time.Now()
	if code, got := post(t, ts.URL+"/v1/predict", "application/json", `{"texts": ["alpha"]}`); code != 200 {
		t.Errorf("next request: %d %s", code, got)
	}
	if d := time.Since(start); d >= 10*time.Second {
		t.Errorf("a lone request waited %s, the whole batch window", d)
	}
}
