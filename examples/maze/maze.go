package maze

import (
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/simtest"
)

// The maze's shape.
const (
	Locks = 4  // locks in a row
	Gates = 5  // gates before each lock
	Odds  = 20 // a gate opens one time in Odds
)

// Walk walks the maze once: through each gate in turn, each opening with
// a chance of 1 in Odds, until a gate stays shut. Every gate passed is a
// bucket of a SometimesEach, the progress exploration follows. Passing
// every gate of every lock is the bug, reported on s.
func Walk(s *simtest.S) {
	ctx, rnd := s.Context(), s.Providers().Random
	for lock := range Locks {
		for gate := range Gates {
			s.Sleep(time.Millisecond) // the walk takes time, as a workload would
			if rnd.IntN(Odds) != 0 {
				return
			}
			assertions.SometimesEach(ctx, "a gate opened", "lock", lock, "gate", gate)
		}
	}
	s.Errorf("all %d locks are open", Locks)
}
