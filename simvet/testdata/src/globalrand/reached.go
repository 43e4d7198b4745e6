package globalrand

import (
	mrand "math/rand"
	. "math/rand/v2"
)

func DotImport(xs []int) int {
	Shuffle(len(xs), func(i, j int) {}) // want `math/rand/v2.Shuffle draws`
	return IntN(3)                      // want `math/rand/v2.IntN draws`
}

func Generic() int {
	return N(10) // want `math/rand/v2.N draws`
}

func Value() func(int) int {
	return mrand.Intn // want `math/rand.Intn draws`
}

// A generator of one's own, seeded, is fine.
func Seeded() (int, int) {
	return New(NewPCG(1, 2)).IntN(3), mrand.New(mrand.NewSource(1)).Intn(3)
}
