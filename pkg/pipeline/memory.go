package pipeline

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
	"github.com/lstmctl/lstmctl/pkg/train"
)

// MemoryLimitEnv names the environment variable that sets the memory a
// run may be estimated to need (train.Memory): a size such as 6GiB, 500MB
// or a number of bytes, or 0 (or off) for no check. Without it the limit
// is 3/4 of the machine's memory (or of the cgroup's limit, when lower).
const MemoryLimitEnv = "LSTMCTL_MEMORY_LIMIT"

// memoryLimit returns the limit and how it was set; 0 means no check (off,
// or the machine's memory cannot be read).
func memoryLimit() (int64, string, error) {
	if v, ok := os.LookupEnv(MemoryLimitEnv); ok && v != "" {
		n, err := ParseSize(v)
		if err != nil {
			return 0, "", &ConfigError{fmt.Errorf("%s=%s: %w", MemoryLimitEnv, v, err)}
		}
		return n, MemoryLimitEnv + "=" + v, nil
	}
	total := physicalMemory()
	if total <= 0 {
		return 0, "", nil
	}
	return total / 4 * 3, "3/4 of the " + FormatSize(total) + " of memory", nil
}

// physicalMemory returns MemTotal of /proc/meminfo, or the cgroup's
// memory.max when it is lower; 0 when neither can be read.
func physicalMemory() int64 {
	var total int64
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				if kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64); err == nil {
					total = kb * 1024
				}
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
			total = n
		}
	}
	return total
}

// ParseSize reads a size in bytes: a number, optionally followed by
// k/K, KB, KiB, M, MB, MiB, G, GB, GiB, T, TB or TiB (decimal units for
// KB, MB, GB and TB; binary for the others), or "off" for 0.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "off") {
		return 0, nil
	}
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("not a size (write e.g. 8GiB, 500MB, 1000000, or 0 for no limit)")
	}
	mult := map[string]float64{"": 1, "b": 1,
		"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
		"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
		"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
		"t": 1 << 40, "tib": 1 << 40, "tb": 1e12}[unit]
	if mult == 0 || f*mult > 1<<62 {
		return 0, fmt.Errorf("not a size (write e.g. 8GiB, 500MB, 1000000, or 0 for no limit)")
	}
	return int64(f * mult), nil
}

// FormatSize writes n bytes in binary units, e.g. 1.5 GiB.
func FormatSize(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, u := float64(n), 0
	for f >= unit && u < 4 {
		f /= unit
		u++
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + [...]string{"", "KiB", "MiB", "GiB", "TiB"}[u]
}

// checkMemory refuses a run of what whose estimate m exceeds the limit,
// with the numbers and the settings that lower them; subwords: the
// subword rows (text.subwords.buckets) outnumber the vocabulary's.
func checkMemory(what string, m train.Memory, training, subwords bool) error {
	limit, how, err := memoryLimit()
	if err != nil || limit == 0 || m.Total() <= limit {
		return err
	}
	parts := []string{}
	add := func(name string, n int64) {
		if n > 0 {
			parts = append(parts, name+" "+FormatSize(n))
		}
	}
	if m.Activations > 0 {
		add(fmt.Sprintf("activations for batches of %d texts × %d steps", m.B, m.T), m.Activations)
	}
	add("weights", m.Weights)
	add("gradients", m.Gradients)
	add("optimizer state", m.Optimizer)
	add("data", m.Data)
	var fix string
	batch := "train.batch_size (LSTMCTL_TRAIN_BATCH_SIZE)"
	if training {
		batch = "train.batch_size (--batch-size)"
	}
	if m.Activations >= m.Weights+m.Gradients+m.Optimizer {
		fix = "lower " + batch + " or text.sequence_length"
		if training {
			fix += " (--sequence-length), or set model.mask_padding true"
		}
	} else {
		fix = "lower text.max_tokens (--max-tokens), model.embedding_dim or model.lstm"
		if subwords {
			fix = "lower text.subwords.buckets, model.embedding_dim or model.lstm"
		}
		if training {
			fix += ", or " + batch
		}
	}
	return &ConfigError{fmt.Errorf("%s would need about %s of memory (%s), more than the limit of %s (%s): %s; or set %s to another size (0: no limit)",
		what, FormatSize(m.Total()), strings.Join(parts, ", "), FormatSize(limit), how, fix, MemoryLimitEnv)}
}

// tableRows returns the rows of a model's embedding and subword tables
// (vocab tokens, text.subwords.buckets): the memory estimates count the
// subword table as more embedding rows, which it is in shape, gradients
// and optimizer state.
func tableRows(c *Config, vocab int) int { return vocab + c.Text.Subwords.Buckets }

// subwordHeavy reports whether the subword rows outnumber the vocabulary's.
func subwordHeavy(c *Config, vocab int) bool { return c.Text.Subwords.Buckets > vocab }

// checkInference checks the memory of predicting or evaluating with m:
// on ds, or, when ds is nil, on batches of the longest texts the model
// reads.
func (m *Model) checkInference(what string, ds *data.Dataset) error {
	c := &m.Config
	est := train.InferenceMemoryFor(c.Model.Config, tableRows(c, m.Vocab.Len()), m.Labels.Len(), c.Train.BatchSize, c.Threads(), c.Text.Layout(), ds, data.MaxSequenceLength)
	return checkMemory(what, est, false, subwordHeavy(c, m.Vocab.Len()))
}

// listBudget is model.ListBudget, lowered by tests.
var listBudget int64 = model.ListBudget

// checkHeader refuses, before training, a vocabulary and labels that the
// model file's header could not hold, so that a trained model is never
// lost to a save that cannot work. With text.max_tokens at most 50,000
// it cannot happen (tokens are cut to data.MaxTokenBytes).
func checkHeader(vocab *data.Vocab, labels *data.Labels) error {
	lb := model.ListHeaderBytes(labels.Names())
	tokens := vocab.Tokens()
	vb := model.ListHeaderBytes(tokens)
	if vb+lb <= listBudget {
		return nil
	}
	if lb > listBudget/2 {
		return &ConfigError{fmt.Errorf("train: the %d labels would take %s of the model file's header, which holds at most %s: is the label column (--label-column) the right one?",
			labels.Len(), FormatSize(lb), FormatSize(listBudget))}
	}
	fit, used := 0, int64(2)
	for _, tok := range tokens {
		if used += model.ListHeaderBytes([]string{tok}) - 1; used+lb > listBudget {
			break
		}
		fit++
	}
	return &ConfigError{fmt.Errorf("train: the vocabulary of %d tokens would take %s of the model file's header, which holds at most %s with the labels: set text.max_tokens (--max-tokens) to %d or fewer",
		len(tokens), FormatSize(vb), FormatSize(listBudget), fit)}
}
