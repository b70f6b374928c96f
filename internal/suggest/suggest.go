// Package suggest finds the valid name a user most likely meant when they
// typed an unknown one: a flag, a command, a config key or an environment
// variable. Every "did you mean" of lstmctl comes from here.
package suggest

import "strings"

// Distance is the edit distance between a and b, counting an insertion, a
// deletion, a substitution and a swap of two adjacent characters as one
// edit each (optimal string alignment), so that "trian" is one edit from
// "train".
func Distance(a, b string) int {
	s, t := []rune(a), []rune(b)
	// Three rows of the dynamic-programming table: i-2, i-1 and i.
	prev2, prev, cur := make([]int, len(t)+1), make([]int, len(t)+1), make([]int, len(t)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(s); i++ {
		cur[0] = i
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(t)]
}

// typo reports whether candidate is close enough to name to be what was
// meant: within a few edits for its length, or name is the start of it
// (--epoch for --epochs, tra for train).
func typo(name, candidate string) (int, bool) {
	d := Distance(name, candidate)
	limit := 1 + len(name)/5
	return d, d <= limit || (len(name) >= 3 && strings.HasPrefix(candidate, name))
}

// Closest returns the candidate name most likely misspells, or "" when none
// is near enough. Among several, the one fewest edits away wins, then the
// first in alphabetical order.
func Closest(name string, candidates []string) string {
	return closest(name, candidates, func(c string) string { return c }, "")
}

// ClosestKey is Closest for dotted configuration keys
// (train.optimizer.learning_rate). name is written with sep in place of the
// dots ("." in a config file, "_" in an environment variable name, where
// keys are compared in lower case). Besides a typo of the whole key, it
// finds a key whose last part ends name, or is a typo of name's last part:
// train.learning_rate and learning_rate both find
// train.optimizer.learning_rate.
func ClosestKey(name string, keys []string, sep string) string {
	if best := closest(name, keys, func(k string) string { return strings.ReplaceAll(k, ".", sep) }, ""); best != "" {
		return best
	}
	return closest(name, keys, func(k string) string { return strings.ReplaceAll(k, ".", sep) }, sep)
}

// closest returns the candidate nearest to name among those form(c) of
// which is a typo of name, or, with sep set, those whose last dotted part
// ends name or is a typo of name's last part (after its last sep).
func closest(name string, candidates []string, form func(string) string, sep string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		f := form(c)
		d, ok := typo(name, f)
		if sep != "" {
			last := c[strings.LastIndexByte(c, '.')+1:]
			nameLast := name[strings.LastIndex(name, sep)+len(sep):]
			_, lastTypo := typo(nameLast, last)
			ok = name == last || strings.HasSuffix(name, sep+last) || (lastTypo && len(nameLast) >= 4)
		}
		if ok && (bestD < 0 || d < bestD || d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	return best
}
