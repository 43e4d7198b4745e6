package providers_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// ending is how a replica's wait ended.
type ending struct {
	i   int
	err error
}

// replica answers its number after a delay of its number's tens of
// milliseconds, or fails with down; it sends how its wait ended to ended.
func replica(p providers.Providers, i int, down error, ended *providers.Chan[ending]) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		err := p.Time.Sleep(ctx, time.Duration(i)*20*time.Millisecond)
		ended.TrySend(ending{i, err})
		switch {
		case err != nil:
			return 0, err
		case down != nil:
			return 0, down
		}
		return i, nil
	}
}

// late is replica i that answers only after an hour: on the wall clock,
// a loaded machine's late wake-ups cannot let it in before the others or
// before a deadline of milliseconds.
func late(p providers.Providers, i int, ended *providers.Chan[ending]) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		err := p.Time.Sleep(ctx, time.Hour)
		ended.TrySend(ending{i, err})
		return i, err
	}
}

func TestQuorumTakesTheFirstAnswersAndCancelsTheRest(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		ended := providers.NewChan[ending](p.Task, 5)
		var calls []func(context.Context) (int, error)
		for i := range 3 {
			calls = append(calls, replica(p, i, nil, ended))
		}
		calls = append(calls, late(p, 3, ended), late(p, 4, ended))
		got, err := providers.Quorum(ctx, p.Task, 3, calls...)
		require.NoError(t, err)
		if strings.HasSuffix(t.Name(), "/real") {
			// On the wall clock a loaded machine may wake the sleeps of
			// 20 and 40 ms in either order: the first three, in some.
			assert.ElementsMatch(t, []int{0, 1, 2}, got, "the first three")
		} else {
			assert.Equal(t, []int{0, 1, 2}, got, "the first three, in the order they answered")
		}
		for range 5 {
			e, _, err := ended.Recv(ctx)
			require.NoError(t, err)
			if e.i < 3 {
				assert.NoError(t, e.err, "call %d answered", e.i)
			} else {
				assert.ErrorIs(t, e.err, context.Canceled, "call %d was cancelled", e.i)
			}
		}
	})
}

func TestQuorumOutOfReachJoinsTheFailures(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		down := errors.New("the replica is down")
		ended := providers.NewChan[ending](p.Task, 3)
		_, err := providers.Quorum(ctx, p.Task, 2,
			replica(p, 0, down, ended), replica(p, 1, nil, ended), replica(p, 2, down, ended))
		require.Error(t, err)
		assert.ErrorIs(t, err, down)
		assert.Contains(t, err.Error(), "a quorum of 2 among 3 calls is out of reach, 2 of them failed: the replica is down; the replica is down")
		assert.NotContains(t, err.Error(), "\n", "the message is one line, as a log line's attribute")
	})
}

func TestQuorumGivesUpWithItsContext(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		ended := providers.NewChan[ending](p.Task, 3)
		ctx, cancel := p.Time.WithTimeout(ctx, 30*time.Millisecond)
		defer cancel()
		_, err := providers.Quorum(ctx, p.Task, 3, replica(p, 0, nil, ended), replica(p, 1, nil, ended), late(p, 2, ended))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

func TestQuorumOfAnImpossibleCountPanics(t *testing.T) {
	p := providers.Real()
	call := func(context.Context) (int, error) { return 0, nil }
	for _, k := range []int{0, -1, 3} {
		assert.PanicsWithValue(t, fmt.Sprintf("providers: Quorum of %d among 2 calls; ask for between 1 and the number of calls", k), func() {
			_, _ = providers.Quorum(context.Background(), p.Task, k, call, call)
		})
	}
}

// In a simulation a quorum's calls are named after the task that makes
// them, within its process, so that two tasks' quorums tell apart in a
// timeline.
func TestQuorumCallsAreNamedAfterTheirCaller(t *testing.T) {
	var started []string
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		quorum := func(ctx context.Context, p providers.Providers) error {
			call := func(context.Context) (int, error) { return 1, nil }
			_, err := providers.Quorum(ctx, p.Task, 1, call, call)
			return err
		}
		c := s.Boot(simtest.Processes{Name: "node", New: func() simtest.Process { return simtest.ProcessFunc(quorum) }})
		reader := s.Go("reader", func(ctx context.Context) error { return quorum(ctx, s.Providers()) })
		require.NoError(s, reader.Join(s.Context()))
		require.NoError(s, c.Join(s.Context(), "node-0"))
		for _, e := range tl.Snapshot() {
			if e.Name == "task started" && strings.Contains(e.Task, "quorum") {
				started = append(started, e.Task)
			}
		}
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1))
	require.Zero(t, res.Failed, res.Report)
	assert.ElementsMatch(t, []string{"reader/quorum call 0", "reader/quorum call 1", "node-0/main/quorum call 0", "node-0/main/quorum call 1"}, started)
}
