package data

import "slices"

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
// StratifiedSplit, the one place that decides a record's stratum: the label of the example that the fewest examples
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
