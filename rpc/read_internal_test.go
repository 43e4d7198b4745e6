package rpc

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// A call settled by another task while its caller reads for the reply
// (here by hand; in the transport by a failure or a shutdown) wakes the
// caller at once, and the connection reads on.
func TestCallSettledElsewhereWakesItsReadingCaller(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		ctx := s.Context()
		task := s.Providers().Task
		server, err := NewTransport(ctx, s.HostProviders("10.0.0.1"), Config{Listen: ":4500"})
		require.NoError(s, err)
		client, err := NewTransport(ctx, s.HostProviders("10.0.0.2"), Config{})
		require.NoError(s, err)
		block, err := Serve(server, WellKnown(1), func(ctx context.Context, _ int) (int, error) {
			return 0, providers.Wait(ctx, task)
		})
		require.NoError(s, err)
		echo, err := Serve(server, WellKnown(2), func(_ context.Context, n int) (int, error) { return n, nil })
		require.NoError(s, err)

		done := providers.NewChan[error](task, 1)
		s.Go("caller", func(ctx context.Context) error {
			if _, err := echo.GetReply(ctx, client, 1); err != nil { // the reading is lent to this task
				return err
			}
			_, err := block.GetReply(ctx, client, 0)
			done.TrySend(err)
			return nil
		})
		s.Sleep(10 * time.Millisecond)
		var x *call
		for _, c := range client.calls {
			if c != nil {
				x = c
			}
		}
		require.NotNil(s, x, "the blocked call waits")
		require.Equal(s, readByCaller, x.peer.cur.rstate, "its caller reads for the reply")
		settled := errors.New("settled elsewhere")
		at := s.Providers().Time.Now()
		require.True(s, x.complete(x.tok, nil, settled))
		err, _, _ = done.Recv(ctx)
		require.ErrorIs(s, err, settled)
		assert.Equal(s, at, s.Providers().Time.Now(), "the caller woke at once, not at the next ping")

		n, err := echo.GetReply(ctx, client, 2)
		require.NoError(s, err)
		assert.Equal(s, 2, n)
		assert.Zero(s, client.Stats().Disconnects)
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(3))
}
