package simtest

import (
	"encoding/binary"
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

// baseFor is the base seed of the sequence of the test called name, given
// a base seed by -simbase or drawn fresh: one base for every test of a
// go test would give table subtests of one body, and tests alike across
// packages, the same seeds, spending a sweep on identical runs, so the
// test's name is mixed in, as it is into the default base (baseSeedFor).
// Every shard of one test still draws one sequence.
func baseFor(base uint64, name string) uint64 {
	h := fnv.New64a()
	h.Write(binary.LittleEndian.AppendUint64(nil, base))
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
