package simtest

import (
	"hash/fnv"
	"math/rand/v2"
)

// baseSeedFor derives a test's default base seed from its name, so that a
// plain `go test` runs the same seeds every time.
func baseSeedFor(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// freshSeed draws a base seed from math/rand/v2's generator, which the
// runtime seeds: crypto/rand may be pinned for the test (cryptorand.go).
func freshSeed() uint64 { return rand.Uint64() }

// seedAt returns the i-th seed after base: splitmix64, so neighbouring
// indices give unrelated seeds.
func seedAt(base uint64, i int) uint64 {
	z := base + uint64(i+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
