package simtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCryptoNote(t *testing.T) {
	t.Setenv("GODEBUG", "cryptocustomrand=0")
	r := &runner{}
	assert.Empty(t, r.cryptoNote(-1), "a Run that ran no seed says nothing")

	r.crypto = &cryptoRand{why: "the test is parallel"}
	assert.Contains(t, r.cryptoNote(-1), "crypto/rand is outside the seed in this Run: the test is parallel. ")

	r.crypto = &cryptoRand{}
	assert.Equal(t, "\n  crypto/rand: read 3 times in this seed through crypto/rand.Read or rand.Reader, pinned to the seed (not the cause)",
		r.cryptoNote(3))

	assert.Equal(t, "\n  crypto/rand: not read in this seed through crypto/rand.Read or rand.Reader (not the cause)",
		r.cryptoNote(0))
	t.Setenv("GODEBUG", "cryptocustomrand=1")
	assert.Contains(t, r.cryptoNote(3), "add the line //go:debug cryptocustomrand=0")
	assert.Equal(t, "\n  crypto/rand: not read in this seed through crypto/rand.Read or rand.Reader (not the cause)",
		r.cryptoNote(0), "no reader was read, so none was given to the crypto packages")

	r.crypto = &cryptoRand{shared: true}
	note := r.cryptoNote(2)
	assert.Contains(t, note, "read 2 times in this seed")
	assert.Contains(t, note, "one stream for the whole Run while its seeds run on several workers")
	assert.Contains(t, note, "if the code generates keys or signs, -simworkers=1 pins it to each seed too (and hides state the seeds share")
	assert.NotContains(t, note, "not the cause")
	// On several workers, a seed that read no crypto/rand may still have
	// drawn the crypto packages' own randomness, which no read counts: the
	// note stays, and says one worker would hide what seeds share.
	for _, reads := range []int{0, -1} {
		assert.Contains(t, r.cryptoNote(reads), "the crypto packages' own randomness (key generation, signatures), which no count here sees")
		assert.NotContains(t, r.cryptoNote(reads), "not the cause")
	}
}

func TestGodebugValue(t *testing.T) {
	assert.Equal(t, "1", godebugValue("", "panicnil=1,cryptocustomrand=1,x509sha1=0"))
	assert.Equal(t, "0", godebugValue("1", "cryptocustomrand=0"), "a later setting wins")
	assert.Equal(t, "1", godebugValue("1", "panicnil=0"), "a list without it keeps the value")
	assert.Empty(t, godebugValue("", ""))
}
