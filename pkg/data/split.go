package data

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// StratifiedSplit holds out a validation part of n = len(keys) samples,
// stratified by keys[i], the stratum of sample i (RarestLabelKeys: its
// label, or its rarest label). It shuffles 0..n-1 with seed; the
// validation part is round(frac*n) indices (at least one when frac > 0 and
// n >= 2), shared among the strata in proportion to their sizes (largest
// remainder first, ties to the stratum met first in the shuffle), and each
// stratum gives the last of its shuffled samples. A stratum of m >= 2
// samples gives at most m-1, and a stratum of one sample gives none, so
// every stratum keeps a training sample (when every stratum has one sample,
// there is no validation part). With a single stratum this is the plain
// seeded split: the last round(frac*n) of the shuffle. frac is clamped to
// [0, 1]. Both parts are sorted ascending (so a Subset keeps file order);
// val is nil when empty.
func StratifiedSplit(keys []int, frac float64, seed uint64) (train, val []int) {
	n := len(keys)
	if n == 0 {
		return nil, nil
	}
	if !(frac > 0) { // also NaN
		frac = 0
	}
	frac = min(frac, 1)
	perm := rand.New(rand.NewPCG(seed, streamSplit)).Perm(n)

	// The strata, in the order the shuffle meets them, each with its
	// samples in shuffled order.
	index := make(map[int]int)
	var members [][]int
	for _, i := range perm {
		s, ok := index[keys[i]]
		if !ok {
			s = len(members)
			index[keys[i]] = s
			members = append(members, nil)
		}
		members[s] = append(members[s], i)
	}

	nv := int(math.Round(frac * float64(n)))
	if frac > 0 && n >= 2 {
		nv = max(nv, 1)
	}
	quota := make([]int, len(members))
	rem := make([]float64, len(members))
	given := 0
	for s, m := range members {
		exact := frac * float64(len(m))
		quota[s] = min(int(exact), len(m)-1)
		rem[s] = exact - math.Floor(exact)
		given += quota[s]
	}
	order := make([]int, len(members))
	for s := range order {
		order[s] = s
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rem[b], rem[a]) })
	for given < nv {
		progress := false
		for _, s := range order {
			if given < nv && quota[s] < len(members[s])-1 {
				quota[s]++
				given++
				progress = true
			}
		}
		if !progress {
			break
		}
	}

	train = make([]int, 0, n-given)
	for s, m := range members {
		cut := len(m) - quota[s]
		train = append(train, m[:cut]...)
		val = append(val, m[cut:]...)
	}
	slices.Sort(train)
	slices.Sort(val)
	return train, val
}

// CheckTrainedClasses returns a *ParseError naming the first example of
// val with a class (of its labels) that no example of train has (read
// from trainFile): a model cannot learn a class it never sees, so it is an
// error rather than a class that is validated but never trained.
func CheckTrainedClasses(train, val []Example, trainFile string) error {
	seen := make(map[string]bool)
	for i := range train {
		for _, l := range train[i].AllLabels() {
			seen[l] = true
		}
	}
	for i := range val {
		e := &val[i]
		for _, l := range e.AllLabels() {
			if !seen[l] {
				return &ParseError{File: e.File, Line: e.Line, Err: fmt.Errorf(
					"%w: class %s is in the validation data but has no example in the training data %s; add examples of it to %s, or remove it from the validation data",
					ErrUntrainedClass, short(l), trainFile, trainFile)}
			}
		}
	}
	return nil
}
