package globalrand

import (
	"hash/maphash"
	mrand "math/rand"
	"math/rand/v2"
	"time"
)

var (
	shared = mrand.New(mrand.NewSource(1))
	pcg    = rand.New(rand.NewPCG(1, 2))
)

// Generators at package level: one stream for every seed.
func Shared() int {
	return shared.Intn(10) + pcg.IntN(3) // want `shared.Intn draws from a generator at package level, which every seed and every parallel Run in the test binary share` `pcg.IntN draws from a generator at package level`
}

// A generator seeded from the clock (time.Now is the wallclock rule's).
func Clocked() (*mrand.Rand, *rand.Rand) {
	a := mrand.New(mrand.NewSource(time.Now().UnixNano()))       // want `math/rand.NewSource seeded from the wall clock gives every run another stream`
	b := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0)) // want `math/rand/v2.NewPCG seeded from the wall clock`
	_ = mrand.New(mrand.NewSource(int64(time.Second)))           // a fixed seed: fine
	return a, b
}

// hash/maphash seeds itself at random.
func Hashes(s string) uint64 {
	seed := maphash.MakeSeed() // want `hash/maphash.MakeSeed seeds itself from the runtime's randomness, which no seed replays`
	var h maphash.Hash         // want `hash/maphash.Hash seeds itself`
	h.WriteString(s)
	return maphash.String(seed, s) ^ h.Sum64()
}
