package rng

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// MaxDecisions is how many draws a decision stream can set; the rest of a
// longer one is ignored.
const MaxDecisions = 64 << 10

// Stream is a counted random stream. It is not safe for concurrent use; a
// simulation draws from it one task at a time.
type Stream struct {
	src   *rand.ChaCha8
	dec   *decided // nil unless the stream was made by Decided
	draws uint64
	// hashing is set by HashValues; values is then the hash of every value
	// drawn. plain is set while neither dec, hashing nor branches is: a
	// draw tests it alone.
	hashing bool
	plain   bool
	values  uint64

	branches []Branch // the branch points not reached yet (Branched)
	switched func()   // runs as the stream switches source (OnSwitch)
}

// decided is what Decided adds to a stream: the base seed's draws, whose
// top bytes the decisions replace.
type decided struct {
	base *rand.ChaCha8
	top  []byte // the decisions, then a zero that is never chosen
	n    uint64 // how many decisions there are
}

// New returns a stream keyed by seed.
func New(seed uint64) *Stream {
	return &Stream{src: rand.NewChaCha8(key(seed)), plain: true}
}

// Decided returns a stream whose first len(top) draws are seed's draws, each
// with its top byte replaced by the decision at its place in top, and whose
// later draws are seed 0's draws at the same places. Changing one byte of
// top changes one draw; cutting top short gives the cut draws back to seed
// 0. Decided(seed, nil) is New(0). Only the first MaxDecisions bytes of top
// are read.
//
// Go's fuzzer instruments this code too and counts how often each block
// runs, so no block runs a number of times that depends on len(top): a
// draw computes both candidates and picks one without a branch.
func Decided(seed uint64, top []byte) *Stream {
	top = top[:min(len(top), MaxDecisions)]
	if len(top) == 0 {
		return New(0)
	}
	d := &decided{base: rand.NewChaCha8(key(seed)), n: uint64(len(top))}
	d.top = append(make([]byte, 0, len(top)+1), top...)
	d.top = append(d.top, 0)
	return &Stream{src: rand.NewChaCha8(key(0)), dec: d}
}

func key(seed uint64) [32]byte {
	var k [32]byte
	binary.LittleEndian.PutUint64(k[0:], seed)
	binary.LittleEndian.PutUint64(k[16:], 0x6d6f6f6e706f6f6c) // "moonpool"
	return k
}

// Draws is how many 64-bit values the stream has produced.
func (s *Stream) Draws() uint64 { return s.draws }

// HashValues makes the stream fold every value it returns into Values.
// The draw count alone misses a draw whose use changed but not its number,
// such as IntN(3) where another run called IntN(4); a determinism check
// wants both. A stream that does not hash pays one test of a flag a draw.
func (s *Stream) HashValues() { s.hashing, s.plain = true, false }

// Values is the hash of the values drawn since HashValues was called: each
// draw, with the bound a bounded method reduced it to.
func (s *Stream) Values() uint64 { return s.values }

// fold folds v into Values. Each fold is a bijection of the hash, so two
// runs whose values part at one draw keep different hashes.
func (s *Stream) fold(v uint64) { s.values = (s.values ^ v) * 0xbf58476d1ce4e5b9 }

// Uint64 returns the next value of the stream.
func (s *Stream) Uint64() uint64 { return s.next(0) }

// next returns the next value of the stream, to be reduced to [0, n) (n is
// 0 when it is not).
func (s *Stream) next(n uint64) uint64 {
	i := s.draws
	s.draws++
	if s.plain {
		return s.src.Uint64()
	}
	if s.branches != nil {
		s.switchSource(i)
	}
	v := s.src.Uint64()
	if s.dec != nil {
		v = s.dec.pick(i, v)
	}
	if s.hashing {
		s.fold(v ^ n) // n changes the value a draw gives, not the draw
	}
	return v
}

// pick returns draw i: the base seed's draw with decision i as its top byte
// if there is a decision i, rest if not.
func (d *decided) pick(i, rest uint64) uint64 {
	mine := -((i - d.n) >> 63) // all ones while i < n
	own := d.base.Uint64()&(1<<56-1) | uint64(d.top[min(i, d.n)])<<56
	return rest&^mine | own&mine
}

// IntN returns a value in [0, n). It panics if n <= 0.
//
// The scheduler draws with it at every step: the plain stream's path
// calls the source directly, one call where the general path makes three.
func (s *Stream) IntN(n int) int {
	if s.plain && n > 0 {
		s.draws++
		hi, _ := bits.Mul64(s.src.Uint64(), uint64(n))
		return int(hi)
	}
	return s.intN(n)
}

// intN is IntN's general path: decided, branched or hashing streams, and
// the panic.
func (s *Stream) intN(n int) int {
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
	hi, _ := bits.Mul64(s.next(n), n)
	return hi
}

// Float64 returns a value in [0, 1).
func (s *Stream) Float64() float64 {
	return unit(s.Uint64())
}

// unit maps a draw to [0, 1).
func unit(v uint64) float64 { return float64(v>>11) / (1 << 53) }

// Bool reports true with probability p.
//
// The network and the disks toss a coin at nearly every operation: the
// plain stream's path calls the source directly, as IntN's does.
func (s *Stream) Bool(p float64) bool {
	switch {
	case p <= 0:
		return false
	case p >= 1:
		return true
	case s.plain:
		s.draws++
		return unit(s.src.Uint64()) < p
	}
	return s.Float64() < p
}
