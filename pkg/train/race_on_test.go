//go:build race

package train

// raceEnabled: the race detector adds allocations, so allocation counts are
// not asserted under -race.
const raceEnabled = true
