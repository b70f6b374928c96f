package data

import (
	"reflect"
	"testing"
)

// The stratum of a record is its rarest label (ties to the smaller name).
func TestRarestLabelKeys(t *testing.T) {
	ex := []Example{
		{Label: "a"}, {Label: "a"}, {Label: "a"},
		{Label: "b", Labels: []string{"b", "a"}}, // b: 2 records, a: 4
		{Label: "b"},
		{Label: "a", Labels: []string{"a", "c"}}, // c: 1
		{Label: "d", Labels: []string{"d", "e"}}, // d and e: 1 each, d first
	}
	// sorted names: a b c d e
	if got, want := RarestLabelKeys(ex), []int{0, 0, 0, 1, 1, 2, 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("keys %v, want %v", got, want)
	}
}

// Every stratum gives its share of the validation set, the total is
// round(frac*n), and the split is a function of the seed.
func TestStratifiedSplit(t *testing.T) {
	var keys []int
	for k, n := range []int{50, 30, 10, 7, 3} {
		for range n {
			keys = append(keys, k)
		}
	}
	tr, val := StratifiedSplit(keys, 0.2, 1)
	if len(val) != 20 || len(tr)+len(val) != len(keys) {
		t.Fatalf("%d train + %d validation, want 20 validation of %d", len(tr), len(val), len(keys))
	}
	per := map[int]int{}
	for _, i := range val {
		per[keys[i]]++
	}
	// 0.2 of 50, 30, 10, 7, 3 = 10, 6, 2, 1.4, 0.6: floors 19, one more by
	// the largest remainder (0.6, key 4).
	if want := map[int]int{0: 10, 1: 6, 2: 2, 3: 1, 4: 1}; !reflect.DeepEqual(per, want) {
		t.Errorf("validation per stratum %v, want %v", per, want)
	}
	seen := map[int]bool{}
	for _, i := range append(append([]int(nil), tr...), val...) {
		if seen[i] {
			t.Fatalf("index %d in both parts", i)
		}
		seen[i] = true
	}
	tr2, val2 := StratifiedSplit(keys, 0.2, 1)
	if !reflect.DeepEqual(tr, tr2) || !reflect.DeepEqual(val, val2) {
		t.Error("same seed, another split")
	}
	if _, val3 := StratifiedSplit(keys, 0.2, 2); reflect.DeepEqual(val, val3) {
		t.Error("another seed, the same split")
	}
	if tr, val := StratifiedSplit([]int{0, 0}, 0.01, 1); len(tr) != 1 || len(val) != 1 {
		t.Errorf("two samples: %v %v, want one each", tr, val)
	}
}
