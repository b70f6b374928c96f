package data

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
)

// MultiLabel reports whether any example has several labels.
func MultiLabel(ex []Example) bool {
	for i := range ex {
		if len(ex[i].Labels) > 1 {
			return true
		}
	}
	return false
}

// RarestLabelKeys returns the stratum key of every example for
// StratifiedSplit: the label of the example that the fewest examples
// carry (ties go to the smaller name), as an index into the sorted label
// names. A single-label example's key is its label.
func RarestLabelKeys(ex []Example) []int {
	count := map[string]int{}
	for i := range ex {
		for _, l := range ex[i].AllLabels() {
			count[l]++
		}
	}
	names := make([]string, 0, len(count))
	for l := range count {
		names = append(names, l)
	}
	slices.Sort(names)
	index := make(map[string]int, len(names))
	for i, l := range names {
		index[l] = i
	}
	keys := make([]int, len(ex))
	for i := range ex {
		best := ""
		for _, l := range ex[i].AllLabels() {
			if best == "" || count[l] < count[best] || (count[l] == count[best] && l < best) {
				best = l
			}
		}
		keys[i] = index[best]
	}
	return keys
}

// StratifiedSplit is Split with the validation part drawn from every
// stratum (samples of equal key) in proportion: the same number of
// validation samples as Split takes, allotted to the strata by the largest
// remainder of frac·(stratum size) (ties to the smaller key), and within
// each stratum the first samples of the same seeded permutation as Split.
// Both parts are sorted ascending.
func StratifiedSplit(keys []int, frac float64, seed uint64) (train, val []int) {
	n := len(keys)
	if n <= 0 {
		return nil, nil
	}
	if !(frac > 0) {
		frac = 0
	}
	frac = min(frac, 1)
	nv := int(math.Round(frac * float64(n)))
	if frac > 0 && n >= 2 {
		nv = min(max(nv, 1), n-1)
	} else if nv >= n {
		nv = 0
	}
	perm := rand.New(rand.NewPCG(seed, streamSplit)).Perm(n)
	strata := map[int][]int{}
	var order []int // the keys, ascending
	for _, i := range perm {
		k := keys[i]
		if _, ok := strata[k]; !ok {
			order = append(order, k)
		}
		strata[k] = append(strata[k], i)
	}
	slices.Sort(order)
	type quota struct {
		key, take int
		rem       float64
	}
	qs := make([]quota, len(order))
	left := nv
	for j, k := range order {
		exact := frac * float64(len(strata[k]))
		take := min(int(math.Floor(exact)), left)
		qs[j] = quota{key: k, take: take, rem: exact - math.Floor(exact)}
		left -= take
	}
	byRem := slices.Clone(qs)
	slices.SortStableFunc(byRem, func(a, b quota) int { return cmp.Compare(b.rem, a.rem) })
	give := map[int]int{}
	for left > 0 { // nv < n, so some stratum has room
		for j := 0; left > 0 && j < len(byRem); j++ {
			if k := byRem[j].key; byRem[j].take+give[k] < len(strata[k]) {
				give[k]++
				left--
			}
		}
	}
	for _, q := range qs {
		s := strata[q.key]
		t := q.take + give[q.key]
		val = append(val, s[:t]...)
		train = append(train, s[t:]...)
	}
	slices.Sort(train)
	slices.Sort(val)
	if len(val) == 0 {
		val = nil
	}
	return train, val
}
