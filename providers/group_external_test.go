package providers_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

func TestGroupReturnsTheFirstErrorAndCancelsTheOthers(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		g, gctx := providers.NewGroup(ctx, p.Task)
		boom := errors.New("boom")
		stopped := make([]error, 3)
		for i := range stopped {
			g.Go(fmt.Sprintf("waiter-%d", i), func(ctx context.Context) error {
				stopped[i] = p.Time.Sleep(ctx, time.Hour)
				return nil
			})
		}
		g.Go("failer", func(ctx context.Context) error {
			pause(ctx, p)
			return boom
		})
		require.ErrorIs(t, g.Wait(ctx), boom, "Wait returns the failing task's error")
		for i, err := range stopped {
			assert.ErrorIs(t, err, context.Canceled, "waiter %d was cancelled by the failure", i)
		}
		assert.ErrorIs(t, context.Cause(gctx), boom, "the group's context names the failure as its cause")
	})
}

func TestGroupKeepsOnlyTheFirstError(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		g, _ := providers.NewGroup(ctx, p.Task)
		first, second := errors.New("first"), errors.New("second")
		g.Go("first", func(ctx context.Context) error { return first })
		g.Go("second", func(ctx context.Context) error {
			_ = providers.Wait(ctx, p.Task)
			return second
		})
		require.ErrorIs(t, g.Wait(ctx), first)
	})
}

// Waiting on the group's own context, which the first error cancels, as
// `g, ctx := NewGroup(ctx, t); ...; return g.Wait(ctx)` does, still waits
// for every task and returns that error, not the context's.
func TestGroupWaitOnItsOwnContextReturnsTheFirstError(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		g, ctx := providers.NewGroup(ctx, p.Task)
		boom := errors.New("boom")
		var slowDone bool
		g.Go("slow", func(ctx context.Context) error {
			_ = providers.Wait(ctx, p.Task)
			pause(context.WithoutCancel(ctx), p)
			slowDone = true
			return nil
		})
		g.Go("failer", func(ctx context.Context) error {
			pause(ctx, p)
			return boom
		})
		require.ErrorIs(t, g.Wait(ctx), boom)
		assert.True(t, slowDone, "every task returned first")
	})
}

// Waiting under a context made from the group's, which the first error
// ends too, returns that error, not the context's, whether or not every
// task returned first: the same in a simulation as in production, where
// which comes first is a race.
func TestGroupWaitUnderAContextOfTheGroupsReturnsTheFirstError(t *testing.T) {
	for _, slow := range []bool{false, true} {
		t.Run(fmt.Sprintf("slow=%v", slow), func(t *testing.T) {
			both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
				g, gctx := providers.NewGroup(ctx, p.Task)
				boom := errors.New("boom")
				release := providers.NewChan[struct{}](p.Task, 0)
				g.Go("slow", func(ctx context.Context) error {
					_ = providers.Wait(ctx, p.Task)
					if slow { // still at work after the failure
						_, _, _ = release.Recv(context.WithoutCancel(ctx))
					}
					return nil
				})
				g.Go("failer", func(ctx context.Context) error {
					pause(ctx, p)
					return boom
				})
				wctx, cancel := p.Time.WithTimeout(gctx, time.Hour)
				defer cancel()
				require.ErrorIs(t, g.Wait(wctx), boom)
				release.Close()
				require.ErrorIs(t, g.Wait(ctx), boom)
			})
		})
	}
}

func TestGroupWithoutErrors(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		g, gctx := providers.NewGroup(ctx, p.Task)
		sum := make([]int, 4)
		for i := range sum {
			g.Go("adder", func(ctx context.Context) error {
				pause(ctx, p)
				sum[i] = i
				return nil
			})
		}
		require.NoError(t, g.Wait(ctx))
		assert.Equal(t, []int{0, 1, 2, 3}, sum)
		assert.ErrorIs(t, gctx.Err(), context.Canceled, "Wait ends the group's context")
	})
}

func TestGroupWaitGivesUpWithItsContext(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		g, _ := providers.NewGroup(ctx, p.Task)
		release := providers.NewChan[struct{}](p.Task, 0)
		g.Go("stuck", func(ctx context.Context) error {
			_, _, err := release.Recv(ctx)
			return err
		})
		wctx, cancel := p.Time.WithTimeout(ctx, time.Millisecond)
		defer cancel()
		require.ErrorIs(t, g.Wait(wctx), context.DeadlineExceeded)
		release.Close()
		require.NoError(t, g.Wait(ctx))
	})
}
