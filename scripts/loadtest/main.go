// Command loadtest measures lstmctl serve under load: it builds lstmctl,
// starts `lstmctl serve` on 127.0.0.1 (a free port), and sends
// predictions from 1, 8 and 64 concurrent clients, each step bounded in
// time and in requests; then a sustained run that samples the server's
// resident memory (VmRSS in /proc) every second. It prints a Markdown
// table and exits 1 if any request failed. It is a development tool, not
// part of lstmctl; it sends traffic to the loopback address only.
//
//	go run ./scripts/loadtest -model trec.safetensors -texts trec/test.txt
//
// Without -model it trains the shipped example (examples/topics) first.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	model := flag.String("model", "", "model file (default: train the shipped example)")
	textsFile := flag.String("texts", "examples/topics/test.txt", "texts to send, one a line (a fastText label prefix is dropped)")
	clients := flag.String("clients", "1,8,64", "concurrent clients of each step")
	perRequest := flag.Int("batch", 1, "texts per request")
	step := flag.Duration("step", 10*time.Second, "length of each step")
	maxRequests := flag.Int("max-requests", 200_000, "most requests of a step")
	soak := flag.Duration("soak", 60*time.Second, "length of the sustained run (0: none)")
	soakClients := flag.Int("soak-clients", 8, "clients of the sustained run")
	window := flag.String("batch-window", "2ms", "serve --batch-window")
	threads := flag.Int("threads", 0, "serve --threads (0: all cores)")
	flag.Parse()
	if err := run(*model, *textsFile, *clients, *perRequest, *step, *maxRequests, *soak, *soakClients, *window, *threads); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(model, textsFile, clientList string, perRequest int, step time.Duration, maxRequests int, soak time.Duration, soakClients int, window string, threads int) error {
	tmp, err := os.MkdirTemp("", "loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "lstmctl")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/lstmctl").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	if model == "" {
		model = filepath.Join(tmp, "m.safetensors")
		if out, err := exec.Command(bin, "train", "--train", "examples/topics/train.txt", "--model", model, "-q").CombinedOutput(); err != nil {
			return fmt.Errorf("train: %v\n%s", err, out)
		}
	}
	texts, err := readTexts(textsFile)
	if err != nil {
		return err
	}
	bodies := make([][]byte, 0, len(texts))
	for i := range texts {
		batch := make([]string, perRequest)
		for j := range batch {
			batch[j] = texts[(i+j)%len(texts)]
		}
		b, _ := json.Marshal(map[string]any{"texts": batch})
		bodies = append(bodies, b)
	}

	srv := exec.Command(bin, "serve", "--model", model, "--addr", "127.0.0.1:0", "--batch-window", window, "--threads", strconv.Itoa(threads))
	stderr, err := srv.StderrPipe()
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() {
		srv.Process.Signal(syscall.SIGTERM)
		srv.Wait()
	}()
	url, err := boundAddress(stderr)
	if err != nil {
		return err
	}
	go io.Copy(io.Discard, stderr)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 30 * time.Second}
	fmt.Printf("model %s, %d texts per request, batch window %s, server threads %d, GOMAXPROCS %d\n\n", filepath.Base(model), perRequest, window, threads, runtime.GOMAXPROCS(0))
	fmt.Println("| clients | requests | errors | requests/s | texts/s | p50 ms | p99 ms | mean batch |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	failed := 0
	for _, f := range strings.Split(clientList, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || c < 1 {
			return fmt.Errorf("-clients: %q", f)
		}
		before := batchStats(client, url)
		r := load(client, url, bodies, c, step, maxRequests, nil)
		after := batchStats(client, url)
		failed += r.errors
		meanBatch := 0.0
		if n := after[1] - before[1]; n > 0 {
			meanBatch = (after[0] - before[0]) / n
		}
		fmt.Printf("| %d | %d | %d | %.0f | %.0f | %.2f | %.2f | %.1f |\n", c, r.requests, r.errors,
			float64(r.requests)/r.elapsed.Seconds(), float64(r.requests*perRequest)/r.elapsed.Seconds(),
			ms(r.quantile(0.5)), ms(r.quantile(0.99)), meanBatch)
	}
	if soak > 0 {
		var rss []int64
		sample := func() {
			if v, err := vmRSS(srv.Process.Pid); err == nil {
				rss = append(rss, v)
			}
		}
		sample()
		r := load(client, url, bodies, soakClients, soak, 1<<62, sample)
		sample()
		failed += r.errors
		fmt.Printf("\nsustained: %d clients for %s: %d requests, %d errors, %.0f requests/s, p50 %.2f ms, p99 %.2f ms\n",
			soakClients, r.elapsed.Round(time.Second), r.requests, r.errors, float64(r.requests)/r.elapsed.Seconds(), ms(r.quantile(0.5)), ms(r.quantile(0.99)))
		if len(rss) > 0 {
			tenth := rss[min(len(rss)-1, len(rss)/10)]
			fmt.Printf("server RSS (MB), %d samples: start %.1f, after 10%% %.1f, max %.1f, end %.1f\n",
				len(rss), mb(rss[0]), mb(tenth), mb(slices.Max(rss)), mb(rss[len(rss)-1]))
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d requests failed", failed)
	}
	return nil
}

// result is one step's requests.
type result struct {
	requests, errors int
	elapsed          time.Duration
	latencies        []time.Duration
}

func (r *result) quantile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	slices.Sort(r.latencies)
	return r.latencies[min(len(r.latencies)-1, int(q*float64(len(r.latencies))))]
}

// load runs clients goroutines that post bodies in turn until d has
// passed or max requests were sent; tick, when set, is called every second.
func load(client *http.Client, url string, bodies [][]byte, clients int, d time.Duration, max int, tick func()) *result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var (
		sent   atomic.Int64
		mu     sync.Mutex
		res    = &result{}
		wg     sync.WaitGroup
		start  = time.Now()
		ticker = time.NewTicker(time.Second)
	)
	defer ticker.Stop()
	if tick != nil {
		go func() {
			for {
				select {
				case <-ticker.C:
					tick()
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	for c := range clients {
		wg.Go(func() {
			var lat []time.Duration
			errs := 0
			for i := c; ctx.Err() == nil && sent.Add(1) <= int64(max); i++ {
				t0 := time.Now()
				ok := post(client, url, bodies[i%len(bodies)])
				if ctx.Err() != nil && !ok {
					break // the step's end cut the request
				}
				lat = append(lat, time.Since(t0))
				if !ok {
					errs++
				}
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			res.errors += errs
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.requests = len(res.latencies)
	return res
}

func post(client *http.Client, url string, body []byte) bool {
	resp, err := client.Post(url+"/v1/predict", "application/json", bytes.NewReader(body))
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}

// batchStats returns lstmctl_batch_size's sum and count.
func batchStats(client *http.Client, url string) [2]float64 {
	var out [2]float64
	resp, err := client.Get(url + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		for i, name := range []string{"lstmctl_batch_size_sum ", "lstmctl_batch_size_count "} {
			if v, ok := strings.CutPrefix(sc.Text(), name); ok {
				out[i], _ = strconv.ParseFloat(v, 64)
			}
		}
	}
	return out
}

// boundAddress reads serve's stderr up to the address it listens on.
func boundAddress(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "lstmctl serve: listening on "); ok {
			if !strings.HasPrefix(a, "http://127.0.0.1:") {
				return "", fmt.Errorf("serve listens on %s, not the loopback address", a)
			}
			return a, nil
		}
	}
	return "", fmt.Errorf("serve exited before listening")
}

// readTexts reads one text a line, without a leading __label__ word.
func readTexts(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var texts []string
	for _, l := range strings.Split(string(b), "\n") {
		for strings.HasPrefix(l, "__label__") {
			_, l, _ = strings.Cut(l, " ")
		}
		if l = strings.TrimSpace(l); l != "" {
			texts = append(texts, l)
		}
	}
	if len(texts) == 0 {
		return nil, fmt.Errorf("%s: no texts", path)
	}
	return texts, nil
}

// vmRSS reads a process's resident set size in bytes from /proc.
func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
func mb(b int64) float64         { return float64(b) / (1 << 20) }
