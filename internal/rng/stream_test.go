package rng

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

func TestFromBytesReadsInputFirst(t *testing.T) {
	s := FromBytes([]byte{1, 0, 0, 0, 0, 0, 0, 0, 2})
	assert.Equal(t, uint64(1), s.Uint64())
	assert.Equal(t, uint64(2), s.Uint64(), "a short last group is zero-padded")
	assert.Equal(t, uint64(2), s.Draws())
}

func TestOneByteChangesOneEarlyDraw(t *testing.T) {
	a := make([]byte, 64)
	b := make([]byte, 64)
	b[17] = 9
	da, db := draw(FromBytes(a), 8), draw(FromBytes(b), 8)
	for i := range da {
		if i == 2 {
			assert.NotEqual(t, da[i], db[i])
		} else {
			assert.Equal(t, da[i], db[i], "draw %d", i)
		}
	}
}

func TestEmptyInputIsSeedZero(t *testing.T) {
	assert.Equal(t, draw(New(0), 10), draw(FromBytes(nil), 10))
}

func TestHugeInputIsTruncated(t *testing.T) {
	big := make([]byte, MaxInput+100)
	big[MaxInput+50] = 1
	assert.Equal(t, draw(FromBytes(big), MaxInput/8+5), draw(FromBytes(big[:MaxInput]), MaxInput/8+5))
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
