package rng

import (
	"encoding/binary"
	"hash/fnv"
	"math/bits"
	"math/rand/v2"
)

// MaxInput is how many bytes of a decision stream are read; the rest of a
// longer input is ignored.
const MaxInput = 64 << 10

// Stream is a counted random stream. It is not safe for concurrent use; a
// simulation draws from it one task at a time.
type Stream struct {
	src   *rand.ChaCha8
	input []byte // decision bytes not yet consumed
	draws uint64
}

// New returns a stream keyed by seed.
func New(seed uint64) *Stream {
	return &Stream{src: rand.NewChaCha8(key(seed, 0))}
}

// FromBytes returns a stream whose first draws read data, eight bytes to a
// draw (a short last group is zero-padded), then continue from ChaCha8 keyed
// by a hash of data. An empty data gives the same stream as New(0).
func FromBytes(data []byte) *Stream {
	if len(data) > MaxInput {
		data = data[:MaxInput]
	}
	if len(data) == 0 {
		return New(0)
	}
	h := fnv.New64a()
	h.Write(data)
	s := &Stream{src: rand.NewChaCha8(key(h.Sum64(), 1))}
	s.input = data
	return s
}

func key(seed, domain uint64) [32]byte {
	var k [32]byte
	binary.LittleEndian.PutUint64(k[0:], seed)
	binary.LittleEndian.PutUint64(k[8:], domain)
	binary.LittleEndian.PutUint64(k[16:], 0x6d6f6f6e706f6f6c) // "moonpool"
	return k
}

// Draws is how many 64-bit values the stream has produced.
func (s *Stream) Draws() uint64 { return s.draws }

// Uint64 returns the next value of the stream.
func (s *Stream) Uint64() uint64 {
	s.draws++
	if len(s.input) > 0 {
		var b [8]byte
		n := copy(b[:], s.input)
		s.input = s.input[n:]
		return binary.LittleEndian.Uint64(b[:])
	}
	return s.src.Uint64()
}

// IntN returns a value in [0, n). It panics if n <= 0.
func (s *Stream) IntN(n int) int {
	if n <= 0 {
		panic("rng: IntN called with n <= 0")
	}
	return int(s.Uint64N(uint64(n)))
}

// Int64N returns a value in [0, n). It panics if n <= 0.
func (s *Stream) Int64N(n int64) int64 {
	if n <= 0 {
		panic("rng: Int64N called with n <= 0")
	}
	return int64(s.Uint64N(uint64(n)))
}

// Uint64N returns a value in [0, n) with one draw: the high half of a 128-bit
// product. The bias is below n/2^64, negligible for the ranges a simulation
// uses, and one draw per decision keeps draw counts easy to reason about.
func (s *Stream) Uint64N(n uint64) uint64 {
	hi, _ := bits.Mul64(s.Uint64(), n)
	return hi
}

// Float64 returns a value in [0, 1).
func (s *Stream) Float64() float64 {
	return float64(s.Uint64()>>11) / (1 << 53)
}

// Bool reports true with probability p.
func (s *Stream) Bool(p float64) bool {
	switch {
	case p <= 0:
		return false
	case p >= 1:
		return true
	}
	return s.Float64() < p
}
