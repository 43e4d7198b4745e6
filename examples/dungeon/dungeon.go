package dungeon

import (
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/simtest"
)

// The dungeon's shape.
const (
	Floors = 8  // floors down to the bug
	Odds   = 16 // a floor's stairs are found one time in Odds
)

// Descend runs one descent: on each floor the hero searches for the
// stairs, finds them one time in Odds, and goes down with twice the gold.
// The gold is a numeric Sometimes, so every new floor reached beats its
// watermark. Reaching the last floor is the bug, reported on s.
func Descend(s *simtest.S) {
	ctx, rnd := s.Context(), s.Providers().Random
	gold := 1.0
	for range Floors {
		s.Sleep(time.Minute)
		if rnd.IntN(Odds) != 0 {
			return
		}
		gold *= 2
		assertions.SometimesGreaterThan(ctx, gold, 0, "the hero carries gold")
	}
	s.Errorf("the hero reached floor %d with %v gold", Floors, gold)
}
