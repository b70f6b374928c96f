package data

import (
	"fmt"
	"slices"
	"testing"
)

// sameKeys is n samples of one stratum.
func sameKeys(n int) []int { return make([]int, n) }

func TestStratifiedSplitSizes(t *testing.T) {
	for _, tt := range []struct {
		n         int
		frac      float64
		wantVal   int
		wantTrain int
	}{
		{100, 0.1, 10, 90},
		{10662, 0.1, 1066, 9596},
		{5, 0.1, 1, 4},  // at least one validation sample
		{2, 0.9, 1, 1},  // at least one training sample
		{1, 0.5, 0, 1},  // nothing to split
		{10, 0, 0, 10},  //
		{10, 1.5, 9, 1}, // clamped
		{10, -1, 0, 10}, //
		{0, 0.1, 0, 0},  //
		{7, 0.5, 4, 3},  // round half away from zero
	} {
		train, val := StratifiedSplit(sameKeys(tt.n), tt.frac, 1)
		if len(train) != tt.wantTrain || len(val) != tt.wantVal {
			t.Errorf("StratifiedSplit(%d, %v) sizes %d/%d, want %d/%d", tt.n, tt.frac, len(train), len(val), tt.wantTrain, tt.wantVal)
			continue
		}
		checkPartition(t, tt.n, train, val)
	}
	a, b := StratifiedSplit(sameKeys(1000), 0.2, 7)
	c, d := StratifiedSplit(sameKeys(1000), 0.2, 7)
	if !slices.Equal(a, c) || !slices.Equal(b, d) {
		t.Error("StratifiedSplit is not deterministic")
	}
	_, e := StratifiedSplit(sameKeys(1000), 0.2, 8)
	if slices.Equal(b, e) {
		t.Error("StratifiedSplit ignores the seed")
	}
	// Data sorted by label (MR): the tail is not what we validate on.
	_, val := StratifiedSplit(sameKeys(1000), 0.1, 1)
	low := 0
	for _, i := range val {
		if i < 500 {
			low++
		}
	}
	if low < 25 || low > 75 {
		t.Errorf("validation split draws %d of 100 from the first half", low)
	}
}

func checkPartition(t *testing.T, n int, train, val []int) {
	t.Helper()
	all := append(slices.Clone(train), val...)
	slices.Sort(all)
	if len(all) != n {
		t.Fatalf("%d indices, want %d", len(all), n)
	}
	for i, x := range all {
		if x != i {
			t.Fatalf("not a partition of 0..%d", n-1)
		}
	}
	if !slices.IsSorted(train) || !slices.IsSorted(val) {
		t.Error("parts are not sorted")
	}
}

// countKeys counts the strata of the indices idx.
func countKeys(keys []int, idx []int) map[int]int {
	c := make(map[int]int)
	for _, i := range idx {
		c[keys[i]]++
	}
	return c
}

func TestStratifiedSplitShares(t *testing.T) {
	// 900 of stratum 0, 90 of 1, 10 of 2, interleaved as a file might
	// hold them.
	var keys []int
	for i := range 1000 {
		switch {
		case i%100 < 9:
			keys = append(keys, 1)
		case i%100 == 99:
			keys = append(keys, 2)
		default:
			keys = append(keys, 0)
		}
	}
	for seed := uint64(1); seed <= 20; seed++ {
		train, val := StratifiedSplit(keys, 0.1, seed)
		checkPartition(t, len(keys), train, val)
		got := countKeys(keys, val)
		if want := map[int]int{0: 90, 1: 9, 2: 1}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("seed %d: validation classes %v, want %v", seed, got, want)
		}
	}
}

func TestStratifiedSplitKeepsATrainingSampleOfEveryClass(t *testing.T) {
	// Rare classes: one (stratum 1) and two samples (stratum 2) among 38
	// others (stratum 0).
	keys := []int{1, 2, 2}
	for range 38 {
		keys = append(keys, 0)
	}
	for _, frac := range []float64{0.1, 0.5, 0.9} {
		for seed := uint64(1); seed <= 50; seed++ {
			train, val := StratifiedSplit(keys, frac, seed)
			checkPartition(t, len(keys), train, val)
			tc := countKeys(keys, train)
			if tc[1] != 1 || tc[2] < 1 || tc[0] < 1 {
				t.Fatalf("frac %v seed %d: training classes %v", frac, seed, tc)
			}
		}
	}
	// Nothing can be held out when every class has a single sample.
	if train, val := StratifiedSplit([]int{0, 1, 2}, 0.5, 1); len(train) != 3 || val != nil {
		t.Errorf("StratifiedSplit of singletons = %v, %v", train, val)
	}
	// Remainders: 3 classes of 5 at 0.1 give round(1.5) = 2 validation
	// samples, from two different classes.
	keys = slices.Concat(slices.Repeat([]int{0}, 5), slices.Repeat([]int{1}, 5), slices.Repeat([]int{2}, 5))
	for seed := uint64(1); seed <= 10; seed++ {
		_, val := StratifiedSplit(keys, 0.1, seed)
		if c := countKeys(keys, val); len(val) != 2 || len(c) != 2 {
			t.Fatalf("seed %d: validation %v (%v)", seed, val, c)
		}
	}
}
