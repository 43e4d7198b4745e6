package simtest

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/moonpool-go/moonpool/internal/rng"
	"github.com/moonpool-go/moonpool/internal/sim"
)

// crypto/rand reads the operating system's randomness, which no seed
// replays, and libraries read it on their own (etcd/raft draws its
// election timeouts from it). From Go 1.26, testing/cryptotest can pin it
// for a test: a Run under a *testing.T that is not parallel makes itself
// crypto/rand's Reader for the rest of the test (cryptorand_pin.go), and
// answers each read made on a seed's turn from a stream of that seed's
// own. The crypto packages' own randomness (key generation, signatures)
// does not go through the Reader: cryptotest sets one stream for it, which
// the Run resets at every seed when it runs its seeds one at a time, and
// once for the Run when they run on several workers.
//
// An exploration's timeline ([Explore]) branches crypto/rand with its
// other draws: a read made after the run passed a branch point comes
// from a stream keyed by that branch's seed, and a read before it from
// the parent's, so a child keeps its parent's prefix and reads afresh from
// there, as it draws afresh. Without it, every child of a root would read
// the root's bytes, and a choice that code makes from crypto/rand (a raft
// election timeout) would never vary within an exploration. The crypto
// packages' own randomness is cryptotest's stream, keyed by the seed: it
// does not branch.

// cryptoRand is a Run's hold on crypto/rand.
type cryptoRand struct {
	// why says why crypto/rand is outside the seed; "" when it is pinned.
	why string
	// shared reports that the crypto packages' own randomness is one
	// stream for the Run (several workers), not one per seed.
	shared bool
	mu     sync.Mutex
	worlds map[*sim.World]*cryptoStream // the seeds running now
	// other is what answers a read made on no seed's turn: the stream
	// cryptotest set.
	other io.Reader
}

// cryptoStream is one seed's crypto/rand.
type cryptoStream struct {
	src   *rand.ChaCha8
	reads int
	// branches are the timeline's branch points the run has not passed
	// yet; draws is its count of draws, which passes them.
	branches []rng.Branch
	draws    func() uint64
}

// read reads the seed's stream, first moving it onto the source of each
// branch point the run has passed: the draw At was made, and drew from
// the branch's source.
func (s *cryptoStream) read(b []byte) (int, error) {
	for len(s.branches) > 0 && s.draws() > s.branches[0].At {
		s.src = rand.NewChaCha8(cryptoKey(cryptoSeed(s.branches[0].Seed ^ cryptoBranchSalt)))
		s.branches = s.branches[1:]
	}
	s.reads++
	return s.src.Read(b)
}

// cryptoBranchSalt keeps a branch's crypto/rand apart from a root seed's
// of the same number.
const cryptoBranchSalt = 0x6272616e63680a01

// Read answers a read of crypto/rand: from the stream of the seed whose
// turn it is, or from other.
func (c *cryptoRand) Read(b []byte) (int, error) {
	c.mu.Lock()
	for w, s := range c.worlds {
		if w.OnTurn() {
			n, err := s.read(b)
			c.mu.Unlock()
			return n, err
		}
	}
	c.mu.Unlock()
	return c.other.Read(b)
}

// cryptoSeed is the seed of seed's crypto/rand stream.
func cryptoSeed(seed uint64) uint64 { return seedAt(seed^0x63727970746f7261, 0) }

// pinCrypto pins crypto/rand for the seed about to run, or for the whole
// Run when its seeds run on several workers (from run, before any seed).
func (r *runner) pinCrypto(seed uint64, shared bool) {
	if r.crypto == nil {
		r.crypto = &cryptoRand{worlds: make(map[*sim.World]*cryptoStream)}
	}
	c := r.crypto
	if c.why != "" {
		return // what refused the Run's first seed refuses the others
	}
	c.shared = shared
	if r.outside {
		c.why = "the Run is outside go test (simtest.Simulate)"
		return
	}
	c.why = c.pin(r.t, cryptoSeed(seed))
}

// beginCrypto gives w its stream, when crypto/rand is pinned; branches
// are the branch points of the timeline w runs, if any.
func (r *runner) beginCrypto(w *sim.World, branches []rng.Branch) {
	c := r.crypto
	if c == nil || c.why != "" {
		return
	}
	c.mu.Lock()
	c.worlds[w] = &cryptoStream{src: rand.NewChaCha8(cryptoKey(cryptoSeed(w.Seed()))), branches: branches, draws: w.Rand().Draws}
	c.mu.Unlock()
}

// cryptoKey is the ChaCha8 key of the crypto/rand stream of seed.
func cryptoKey(seed uint64) [32]byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	return key
}

// endCrypto drops w's stream and returns how many times the seed read
// crypto/rand, or -1 when that is not known.
func (r *runner) endCrypto(w *sim.World) int {
	c := r.crypto
	if c == nil || c.why != "" {
		return -1
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.worlds[w]
	delete(c.worlds, w)
	return s.reads
}

// cryptoNote says, for a seed whose two runs differed, what the Run knows
// of crypto/rand in it: reads is what endCrypto returned for its first
// run.
func (r *runner) cryptoNote(reads int) string {
	c := r.crypto
	switch {
	case c == nil:
		return ""
	case c.why != "":
		return "\n  crypto/rand is outside the seed in this Run: " + c.why + ". " +
			"Code that reads it (crypto/rand.Read, rand.Reader, rand.Int, or a library such as etcd/raft, " +
			"which draws its election timeouts from it) runs differently every time; " +
			"draw from p.Random in your own code, and run a library that reads crypto/rand " +
			"in a test that is not parallel, built with Go 1.26 or later, where a Run pins crypto/rand to each seed"
	}
	note := fmt.Sprintf("\n  crypto/rand: read %d times in this seed through crypto/rand.Read or rand.Reader, pinned to the seed", reads)
	if reads <= 0 {
		note = "\n  crypto/rand: not read in this seed through crypto/rand.Read or rand.Reader"
	}
	cause := true
	if c.shared {
		cause = false
		note += "; the crypto packages' own randomness (key generation, signatures), which no count here sees, is one stream for the whole Run " +
			"while its seeds run on several workers, so it depends on how they interleave: if the code generates keys or signs, " +
			"-simworkers=1 pins it to each seed too (and hides state the seeds share, which several workers show)"
	}
	// The crypto packages read the rand.Reader they are given through
	// it, so a seed that never read it gave them none.
	if customRand() && reads > 0 {
		cause = false
		note += "; with GODEBUG cryptocustomrand=1 (the default for a module whose go line is before 1.26) " +
			"the crypto packages read the rand.Reader they are given and, at random, one byte more: " +
			"add the line //go:debug cryptocustomrand=0 above the package clause of one of the package's _test.go files"
	}
	if cause {
		note += " (not the cause)"
	}
	return note
}

// customRand reports whether the crypto packages use the rand.Reader
// they are given (GODEBUG cryptocustomrand=1), reading a byte more from
// it half the time (crypto/internal/randutil.MaybeReadByte), which no
// seed decides.
func customRand() bool {
	v := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "DefaultGODEBUG" {
				v = godebugValue(v, s.Value)
			}
		}
	}
	return godebugValue(v, os.Getenv("GODEBUG")) == "1"
}

// godebugValue is v after the settings of list, a GODEBUG value.
func godebugValue(v, list string) string {
	for kv := range strings.SplitSeq(list, ",") {
		if val, ok := strings.CutPrefix(strings.TrimSpace(kv), "cryptocustomrand="); ok {
			v = val
		}
	}
	return v
}
