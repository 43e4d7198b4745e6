package globalrand

import (
	crand "crypto/rand"
	rand1 "math/rand"
	"math/rand/v2"

	"github.com/moonpool-go/moonpool/providers"
)

func Draw(p providers.Providers, xs []int) {
	_ = rand.IntN(10)                        // want `math/rand/v2.IntN draws from the global generator, not the run's stream; use p.Random`
	_ = rand.Int64N(10)                      // want `math/rand/v2.Int64N draws`
	_ = rand.Uint64()                        // want `math/rand/v2.Uint64 draws`
	_ = rand.Float64()                       // want `math/rand/v2.Float64 draws`
	rand.Shuffle(len(xs), func(i, j int) {}) // want `math/rand/v2.Shuffle draws`
	_ = rand1.Intn(10)                       // want `math/rand.Intn draws`
	_ = rand1.Int63n(10)                     // want `math/rand.Int63n draws`
	_ = rand1.Perm(3)                        // want `math/rand.Perm draws`
	var b [8]byte
	crand.Read(b[:]) // want `crypto/rand.Read reads the operating system's randomness`
	_ = crand.Reader // want `crypto/rand.Reader reads`
}

// A generator of one's own over the run's stream is fine.
func Own(p providers.Providers) int {
	r := rand.New(p.Random)
	s := rand.New(rand.NewPCG(1, 2))
	return r.IntN(10) + s.IntN(3) + p.Random.IntN(4)
}
