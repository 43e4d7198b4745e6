package providers

import "math/rand/v2"

// Random is a source of random numbers. In a simulation every draw comes from
// the run's single seeded stream, so it is reproducible; in production it is
// math/rand/v2's global generator.
//
// A Random is also a [rand.Source], so rand.New(p.Random) gives the whole
// math/rand/v2 API over the same stream.
type Random interface {
	Uint64() uint64
	// IntN returns a number in [0, n). It panics if n <= 0.
	IntN(n int) int
	// Int64N returns a number in [0, n). It panics if n <= 0.
	Int64N(n int64) int64
	// Float64 returns a number in [0.0, 1.0).
	Float64() float64
}

var _ rand.Source = Random(nil)

type realRandom struct{}

func (realRandom) Uint64() uint64       { return rand.Uint64() }
func (realRandom) IntN(n int) int       { return rand.IntN(n) }
func (realRandom) Int64N(n int64) int64 { return rand.Int64N(n) }
func (realRandom) Float64() float64     { return rand.Float64() }
