package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ContentTypeNDJSON selects JSON lines in and out on POST /v1/predict.
const ContentTypeNDJSON = "application/x-ndjson"

// predictRequest is the body of POST /v1/predict in JSON.
type predictRequest struct {
	Texts     *[]string `json:"texts"`
	TopK      *int      `json:"top_k"`
	Threshold *float64  `json:"threshold"`
}

// rankOptions are predict's --top-k and --threshold of a request: 0 and
// nil when not given (Model.NewRanker's defaults).
type rankOptions struct {
	topK      int
	threshold *float64
}

// predictResponse is its answer.
type predictResponse struct {
	Predictions []any `json:"predictions"` // pipeline.Ranker's records
}

// ndjsonRecord is one line of a JSON lines body.
type ndjsonRecord struct {
	Text *string `json:"text"`
	ID   *string `json:"id"`
}

// errorResponse is the body of every error.
type errorResponse struct {
	Error string `json:"error"`
}

// httpError is a request refused with a status and a reason for the
// errors metric.
type httpError struct {
	status int
	reason string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) *httpError {
	return &httpError{http.StatusBadRequest, "bad_request", fmt.Sprintf(format, args...)}
}

// Handler returns the HTTP API: POST /v1/predict, GET /healthz, GET
// /metrics.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/predict", s.instrument("predict", http.MethodPost, http.HandlerFunc(s.servePredict)))
	mux.Handle("/healthz", s.instrument("healthz", http.MethodGet, http.HandlerFunc(s.serveHealth)))
	mux.Handle("/metrics", s.instrument("metrics", http.MethodGet, promhttp.HandlerFor(s.met.reg, promhttp.HandlerOpts{})))
	mux.Handle("/", s.instrument("other", "", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, &httpError{http.StatusNotFound, "not_found", fmt.Sprintf("no such path %s (the API has POST /v1/predict, GET /healthz, GET /metrics)", r.URL.Path)})
	})))
	return mux
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// instrument counts and times a handler's requests, refuses other methods
// than method (when set) and turns a panic into a 500.
func (s *Server) instrument(name, method string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.opts.Log.Error("handler panic", "path", r.URL.Path, "panic", v)
				if sw.code == 0 {
					s.fail(sw, &httpError{http.StatusInternalServerError, "internal", "internal error"})
				}
			}
			s.met.requests.WithLabelValues(name, strconv.Itoa(sw.code)).Inc()
			s.met.latency.WithLabelValues(name).Observe(time.Since(start).Seconds())
		}()
		if method != "" && r.Method != method {
			sw.Header().Set("Allow", method)
			s.fail(sw, &httpError{http.StatusMethodNotAllowed, "method", fmt.Sprintf("%s %s: use %s", r.Method, r.URL.Path, method)})
			return
		}
		h.ServeHTTP(sw, r)
	})
}

// fail writes e as a JSON error and counts it.
func (s *Server) fail(w http.ResponseWriter, e *httpError) {
	s.met.errors.WithLabelValues(e.reason).Inc()
	writeJSON(w, e.status, errorResponse{Error: e.msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func (s *Server) serveHealth(w http.ResponseWriter, _ *http.Request) {
	l := s.model.Load()
	writeJSON(w, http.StatusOK, map[string]any{
		"status": "ok",
		"model": map[string]any{
			"path": l.path, "sha256": l.sha256, "labels": len(l.labels),
			"loaded": l.at.UTC().Format(time.RFC3339),
		},
	})
}

func (s *Server) servePredict(w http.ResponseWriter, r *http.Request) {
	s.inflight.Add(1)
	left := false
	leave := func() { // once the answer is in, or there will be none
		if !left {
			left = true
			s.inflight.Add(-1)
			select { // the batcher may be waiting for this request
			case s.idle <- struct{}{}:
			default:
			}
		}
	}
	defer leave()
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
	defer cancel()
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	ndjson := ct == ContentTypeNDJSON
	var (
		texts []string
		ids   []*string
		rank  rankOptions
	)
	// The body is read whole (it is bounded) before it is parsed, so that
	// a body over the limit is told apart from a malformed one.
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		s.fail(w, asHTTPError(err, s.opts.MaxBodyBytes))
		return
	}
	if ndjson {
		texts, ids, err = s.readNDJSON(raw)
		if err == nil {
			rank, err = queryRank(r)
		}
	} else {
		texts, rank, err = readJSON(raw)
	}
	if err != nil {
		s.fail(w, asHTTPError(err, s.opts.MaxBodyBytes))
		return
	}
	if len(texts) > s.opts.MaxTexts {
		s.fail(w, &httpError{http.StatusRequestEntityTooLarge, "too_many_texts", fmt.Sprintf("%d texts, more than the limit of %d per request; split the request", len(texts), s.opts.MaxTexts)})
		return
	}
	res, herr := s.run(ctx, r.Context(), texts)
	leave()
	if herr != nil {
		s.fail(w, herr)
		return
	}
	s.met.texts.Add(float64(len(texts)))
	ranker := res.model.model.NewRanker(rank.topK, rank.threshold)
	if !ndjson {
		preds := make([]any, len(res.probs))
		for i, p := range res.probs {
			preds[i] = ranker.Record(nil, p)
		}
		writeJSON(w, http.StatusOK, predictResponse{Predictions: preds})
		return
	}
	w.Header().Set("Content-Type", ContentTypeNDJSON)
	bw := bufio.NewWriterSize(w, 64<<10)
	for i, p := range res.probs {
		b, _ := ranker.AppendJSON(nil, ids[i], p)
		bw.Write(b)
	}
	bw.Flush()
}

// run hands texts to the batcher and waits for their probabilities.
// ctx carries the request timeout, client the request's own context.
func (s *Server) run(ctx, client context.Context, texts []string) (result, *httpError) {
	if len(texts) == 0 {
		return result{model: s.model.Load()}, nil
	}
	j := &job{ctx: ctx, texts: texts, done: make(chan result, 1)}
	var res result
	select {
	case s.jobs <- j:
		select {
		case res = <-j.done:
		case <-ctx.Done():
			res.err = ctx.Err()
		}
	case <-ctx.Done():
		res.err = ctx.Err()
	case <-s.stopped:
		res.err = ErrClosed
	}
	switch {
	case res.err == nil:
		return res, nil
	case client.Err() != nil:
		return res, &httpError{499, "canceled", "the client closed the request"}
	case errors.Is(res.err, context.DeadlineExceeded):
		return res, &httpError{http.StatusServiceUnavailable, "timeout", fmt.Sprintf("no answer within the request timeout of %s; retry, or send fewer texts", s.opts.RequestTimeout)}
	case errors.Is(res.err, ErrClosed):
		return res, &httpError{http.StatusServiceUnavailable, "closed", "the server is shutting down"}
	}
	s.opts.Log.Error("predict failed", "err", res.err)
	return res, &httpError{http.StatusInternalServerError, "internal", "prediction failed: " + res.err.Error()}
}

// asHTTPError maps a body's read error to its answer.
func asHTTPError(err error, limit int64) *httpError {
	if he, ok := errors.AsType[*httpError](err); ok {
		return he
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return &httpError{http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request body larger than the limit of %d bytes; split the request", limit)}
	}
	return badRequest("reading the request body: %v", err)
}

// readJSON reads {"texts": [...], "top_k": K, "threshold": T}.
func readJSON(body []byte) ([]string, rankOptions, error) {
	var ro rankOptions
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req predictRequest
	if err := dec.Decode(&req); err != nil {
		return nil, ro, jsonError("request body", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, ro, badRequest("request body: more than one JSON value; send one object {\"texts\": [...]}")
	}
	if req.Texts == nil {
		return nil, ro, badRequest(`request body: no "texts"; send {"texts": ["some text", ...], "top_k": 1}`)
	}
	if req.TopK != nil {
		if *req.TopK < 1 {
			return nil, ro, badRequest("top_k must be at least 1, got %d", *req.TopK)
		}
		ro.topK = *req.TopK
	}
	if req.Threshold != nil {
		if t := *req.Threshold; !(t >= 0 && t <= 1) {
			return nil, ro, badRequest("threshold must be within [0, 1], got %g", t)
		}
		ro.threshold = req.Threshold
	}
	return *req.Texts, ro, nil
}

// readNDJSON reads one {"text": ..., "id": ...} object per line; blank
// lines are skipped.
func (s *Server) readNDJSON(body []byte) ([]string, []*string, error) {
	var (
		texts []string
		ids   []*string
	)
	n := 0
	for line := range bytes.Lines(body) {
		n++
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if len(texts) == s.opts.MaxTexts {
			return nil, nil, &httpError{http.StatusRequestEntityTooLarge, "too_many_texts", fmt.Sprintf("more than the limit of %d texts per request; split the request", s.opts.MaxTexts)}
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		var rec ndjsonRecord
		if err := dec.Decode(&rec); err != nil {
			return nil, nil, jsonError(fmt.Sprintf("line %d", n), err)
		}
		if dec.More() {
			return nil, nil, badRequest("line %d: more than one JSON value; send one object per line", n)
		}
		if rec.Text == nil {
			return nil, nil, badRequest(`line %d: no "text"; send one {"text": "...", "id": "..."} per line`, n)
		}
		texts = append(texts, *rec.Text)
		ids = append(ids, rec.ID)
	}
	return texts, ids, nil
}

// jsonError says what is wrong with a JSON value, and where.
func jsonError(where string, err error) error {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return badRequest("%s: malformed JSON at byte %d: %v", where, se.Offset, err)
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return badRequest("%s: %q must be %s, not JSON %s", where, te.Field, te.Type, te.Value)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return badRequest("%s: empty or cut-off JSON", where)
	}
	return badRequest("%s: %v", where, err)
}

// queryRank reads ?top_k=K&threshold=T, each optional.
func queryRank(r *http.Request) (rankOptions, error) {
	var ro rankOptions
	q := r.URL.Query()
	if v := q.Get("top_k"); v != "" {
		k, err := strconv.Atoi(v)
		if err != nil || k < 1 {
			return ro, badRequest("top_k must be an integer of at least 1, got %q", v)
		}
		ro.topK = k
	}
	if v := q.Get("threshold"); v != "" {
		t, err := strconv.ParseFloat(v, 64)
		if err != nil || !(t >= 0 && t <= 1) {
			return ro, badRequest("threshold must be a number within [0, 1], got %q", v)
		}
		ro.threshold = &t
	}
	return ro, nil
}
