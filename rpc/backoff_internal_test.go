package rpc

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

// A backoff that wakeUp ended is over, even when something is queued
// before the peer's task resumes: the peer dials at once, and does not
// wait out the part of the wait that the queued request scales it down
// to.
func TestWakeUpThenEnqueueEndsTheBackoff(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		tr, err := NewTransport(s.Context(), p, Config{})
		require.NoError(s, err)
		defer tr.Close()
		pr := newPeer(tr, "10.0.0.9:1", "10.0.0.9")
		var took time.Duration
		h := p.Task.Go(s.Context(), "backoff", func(ctx context.Context) error {
			start := p.Time.Now()
			pr.backOff(ctx, DefaultMaxBackoff)
			took = p.Time.Now().Sub(start)
			return nil
		})
		s.Sleep(100 * time.Millisecond)
		pr.wakeUp()
		pr.mu.Lock()
		wake := pr.enqueued()
		pr.mu.Unlock()
		assert.Nil(s, wake, "nothing is left to wake")
		require.NoError(s, h.Join(s.Context()))
		assert.Equal(s, 100*time.Millisecond, took, "the backoff ended at the wakeUp")
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(5))
}
