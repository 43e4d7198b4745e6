// Package fuzzcover turns what a simulation reaches into code coverage that
// go test -fuzz can see.
//
// Go's fuzzer keeps an input when it makes some instrumented code block run
// that no earlier input ran (or ran a number of times in a new power-of-two
// bracket). A simulation's progress — an assertion coming true, a new
// interleaving — runs no new code: the same lines run with different data.
// [Hit] makes it code: it runs the i-th case of one switch of [Size] cases,
// so each signal number is a block of its own, and an input that reaches a
// new one is kept.
//
// # Instrumentation
//
// When go test runs with -fuzz, the go command compiles every package of the
// test binary with -d=libfuzzer except a fixed list (context, internal/fuzz,
// internal/godebug, internal/runtime/maps, internal/sync, reflect, runtime,
// sync, sync/atomic, syscall, testing, time: skipInstrumentation in
// cmd/go/internal/test/test.go). This package is not on it. With the flag
// the compiler puts an 8-bit counter at the start of every block, each case
// body included (orderState.edge in cmd/compile/internal/walk/order.go),
// before any optimisation could merge cases. Without -fuzz nothing is
// instrumented and Hit is a plain switch.
package fuzzcover

import "math/bits"

//go:generate go run gen.go

// Size is the number of branches.
const Size = 4096

// Hit runs branch i % Size and returns its number.
func Hit(i uint32) uint32 { return branch(i % Size) }

// Set is the branches one execution has hit. It hits each at most once: the
// fuzzer buckets hit counts by powers of two, so a branch hit a varying
// number of times would make inputs look new for no reason. The zero Set is
// empty and ready to use.
type Set struct {
	bits [Size / 64]uint64
	n    int
}

// Hit hits branch i % Size unless s already holds it, and reports whether
// it was new.
func (s *Set) Hit(i uint32) bool {
	i %= Size
	w, b := i/64, uint64(1)<<(i%64)
	if s.bits[w]&b != 0 {
		return false
	}
	s.bits[w] |= b
	s.n++
	Hit(i)
	return true
}

// Len is the number of branches s holds.
func (s *Set) Len() int { return s.n }

// Has reports whether s holds branch i % Size.
func (s *Set) Has(i uint32) bool {
	i %= Size
	return s.bits[i/64]&(1<<(i%64)) != 0
}

// Branches returns the branches s holds, in increasing order.
func (s *Set) Branches() []uint32 {
	out := make([]uint32, 0, s.n)
	for w, word := range s.bits {
		for ; word != 0; word &= word - 1 {
			out = append(out, uint32(w*64+bits.TrailingZeros64(word)))
		}
	}
	return out
}
