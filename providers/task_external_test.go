package providers_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// A finished task's error is there to take, so Join gives it even with a
// done context, as a Chan gives a buffered value: in production a select
// between the two would pick either at random.
func TestJoinOfAFinishedTaskIgnoresADoneContext(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		boom := errors.New("boom")
		h := p.Task.Go(ctx, "failing", func(context.Context) error { return boom })
		require.ErrorIs(t, h.Join(ctx), boom)
		done := cancelled(ctx)
		for range 200 {
			require.ErrorIs(t, h.Join(done), boom, "Join of a finished task with a done context")
		}
		h.Cancel() // after the end: does nothing
		require.ErrorIs(t, h.Join(ctx), boom, "Join after Cancel of a finished task")
	})
}
