package simtest_test

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

// cryptoTimers starts tasks that each sleep for a time read from
// crypto/rand, as a library that draws its timeouts there does, so that
// the order in which they wake follows what crypto/rand gave.
func cryptoTimers(s *simtest.S) {
	p := s.Providers()
	for range 8 {
		s.Go("timer", func(ctx context.Context) error {
			var b [8]byte
			_, _ = rand.Read(b[:])
			return p.Time.Sleep(ctx, time.Duration(binary.LittleEndian.Uint64(b[:])%1_000_000)*time.Microsecond)
		})
	}
	s.Sleep(2 * time.Second)
}

// Where crypto/rand cannot be pinned (here, a Run given a testing.TB that
// is not a *testing.T), a divergence found by the determinism check
// names crypto/rand, why it is outside the seed, and the way out.
func TestCryptoRandOutsideTheSeedIsNamed(t *testing.T) {
	r := runIn("TestCryptoTimers", func(r *recorder) {
		simtest.Run(r, cryptoTimers, simtest.Seeds(1), simtest.CheckDeterminism())
	})
	require.True(t, r.failed)
	out := r.output()
	assert.Contains(t, out, "the run is not deterministic")
	assert.Contains(t, out, "crypto/rand is outside the seed in this Run: ")
	assert.Contains(t, out, "in a test that is not parallel, built with Go 1.26 or later")
}
