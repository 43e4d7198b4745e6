package rng

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func draw(s *Stream, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = s.Uint64()
	}
	return out
}

func TestSameSeedSameStream(t *testing.T) {
	assert.Equal(t, draw(New(42), 100), draw(New(42), 100))
	assert.NotEqual(t, draw(New(42), 100), draw(New(43), 100))
}

func TestDrawsAreCounted(t *testing.T) {
	s := New(1)
	s.Uint64()
	s.IntN(10)
	s.Float64()
	s.Bool(0.5)
	assert.Equal(t, uint64(4), s.Draws())
	s.Bool(0) // certain outcomes draw nothing
	s.Bool(1)
	assert.Equal(t, uint64(4), s.Draws())
}

func TestDecidedSetsTopBytes(t *testing.T) {
	s, base, zero := Decided(7, []byte{0xab, 0x01}), draw(New(7), 4), draw(New(0), 4)
	got := draw(s, 4)
	assert.Equal(t, uint64(0xab)<<56|base[0]&(1<<56-1), got[0], "a decision is the top byte of the base seed's draw")
	assert.Equal(t, uint64(0x01)<<56|base[1]&(1<<56-1), got[1])
	assert.Equal(t, zero[2:], got[2:], "past the decisions, seed 0's draws at the same places")
	assert.Equal(t, uint64(4), s.Draws())
}

func TestOneByteChangesOneDraw(t *testing.T) {
	a := make([]byte, 64)
	b := make([]byte, 64)
	b[17] = 9
	da, db := draw(Decided(3, a), 80), draw(Decided(3, b), 80)
	for i := range da {
		if i == 17 {
			assert.NotEqual(t, da[i], db[i])
		} else {
			assert.Equal(t, da[i], db[i], "draw %d", i)
		}
	}
}

func TestCutDecisionsGiveSeedZerosDraws(t *testing.T) {
	long := draw(Decided(3, []byte{1, 2, 3, 4, 5}), 10)
	short := draw(Decided(3, []byte{1, 2}), 10)
	assert.Equal(t, long[:2], short[:2])
	assert.Equal(t, draw(New(0), 10)[2:], short[2:])
}

func TestNoDecisionsIsSeedZero(t *testing.T) {
	assert.Equal(t, draw(New(0), 10), draw(Decided(5, nil), 10))
	assert.Equal(t, draw(New(0), 10), draw(Decided(5, []byte{}), 10))
}

func TestHugeDecisionsAreTruncated(t *testing.T) {
	big := make([]byte, MaxDecisions+100)
	big[MaxDecisions+50] = 1
	assert.Equal(t, draw(Decided(1, big), MaxDecisions+60), draw(Decided(1, big[:MaxDecisions]), MaxDecisions+60))
}

func TestDecidedDoesNotKeepTheCallersBytes(t *testing.T) {
	top := []byte{1, 2, 3}
	s := Decided(1, top)
	top[0] = 200
	assert.Equal(t, uint64(1), s.Uint64()>>56)
}

// IntN's path for a plain stream gives the value and the draw count of
// its general path, which every other stream takes: the scheduler's
// picks, and so every trace hash, do not depend on which one ran.
func TestIntNPlainPathIsTheGeneralOne(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		plain, general := New(seed), New(seed)
		for i, n := range rapid.SliceOf(rapid.IntRange(1, math.MaxInt)).Draw(t, "n") {
			if got, want := plain.IntN(n), general.intN(n); got != want {
				t.Fatalf("draw %d of IntN(%d) is %d, the general path's %d", i, n, got, want)
			}
		}
		if plain.Draws() != general.Draws() {
			t.Fatalf("IntN made %d draws, the general path %d", plain.Draws(), general.Draws())
		}
	})
}

// Bool's path for a plain stream gives the outcome and the draw count of
// its general path, as IntN's does.
func TestBoolPlainPathIsTheGeneralOne(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		plain, general := New(seed), New(seed)
		general.plain = false
		for i, p := range rapid.SliceOf(rapid.Float64Range(-0.5, 1.5)).Draw(t, "p") {
			if got, want := plain.Bool(p), general.Bool(p); got != want {
				t.Fatalf("draw %d of Bool(%v) is %v, the general path's %v", i, p, got, want)
			}
		}
		if plain.Draws() != general.Draws() {
			t.Fatalf("Bool made %d draws, the general path %d", plain.Draws(), general.Draws())
		}
	})
}

func TestIntNRange(t *testing.T) {
	s := New(7)
	seen := make([]bool, 5)
	for range 1000 {
		v := s.IntN(5)
		require.GreaterOrEqual(t, v, 0)
		require.Less(t, v, 5)
		seen[v] = true
	}
	assert.Equal(t, []bool{true, true, true, true, true}, seen)
	assert.Panics(t, func() { s.IntN(0) })
}

func TestValuesHashSeesWhatTheDrawsCountMisses(t *testing.T) {
	hashed := func(f func(s *Stream)) *Stream {
		s := New(5)
		s.HashValues()
		f(s)
		return s
	}
	a := hashed(func(s *Stream) { s.IntN(1000); s.Float64() })
	b := hashed(func(s *Stream) { s.IntN(1000); s.Float64() })
	c := hashed(func(s *Stream) { s.IntN(1000000); s.Float64() })
	assert.Equal(t, a.Values(), b.Values(), "the same draws hash the same")
	assert.Equal(t, a.Draws(), c.Draws())
	assert.NotEqual(t, a.Values(), c.Values(), "another bound, another hash")

	plain := New(5)
	plain.IntN(1000)
	assert.Zero(t, plain.Values(), "a stream hashes nothing unless asked")
	plain.Float64()
	assert.Equal(t, draw(New(5), 3)[2], draw(a, 1)[0], "hashing changes no value")
}
