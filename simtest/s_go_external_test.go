package simtest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// An error that a task S.Go started returns reaches only Join: it fails
// nothing, but the timeline's line of the task's end names it, and a seed
// that fails for another reason lists it when nobody joined the task.
func TestAnUnjoinedTasksErrorIsToldInAFailingSeedsReport(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		s.Go("lost", func(ctx context.Context) error { return errors.New("the lease expired") })
		heard := s.Go("heard", func(ctx context.Context) error { return errors.New("joined, so heard") })
		s.Sleep(time.Second)
		_ = heard.Join(s.Context())
		s.Errorf("the store lost a write")
	}, simtest.Seeds(1))
	require.False(t, res.OK())
	assert.Contains(t, res.Report, "\n  a task that S.Go started returned an error that no Join heard "+
		"(an error reaches only Join; call s.Error in the task to fail the seed):\n    0s lost: the lease expired\n")
	assert.Regexp(t, `\n +0s  lost +task finished: returned an error: the lease expired\n`, res.Report, "the timeline's window shows it")
	assert.NotContains(t, res.Report, "0s heard: joined, so heard", "a joined task's error was heard")
}

// A task that returns the error of its own context, once that context has
// ended, stops as it was asked to: a failing seed's report does not list
// it among the errors no Join heard, nor does the timeline, where many
// such lines crowded a seed's end. Another error after the end is listed.
func TestATaskStoppedByItsContextIsNoUnjoinedError(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		for _, name := range []string{"poller-0", "poller-1", "poller-2"} {
			s.Go(name, func(ctx context.Context) error {
				for {
					if err := s.Providers().Time.Sleep(ctx, 10*time.Millisecond); err != nil {
						return fmt.Errorf("poll: %w", err)
					}
				}
			})
		}
		s.Go("flusher", func(ctx context.Context) error {
			_ = providers.Wait(ctx, s.Providers().Task)
			return errors.New("the last flush failed")
		})
		s.Cleanup(func() { s.Sleep(time.Second) }) // the tasks' turn to stop
		s.Sleep(time.Second)
		s.Errorf("the store lost a write")
	}, simtest.Seeds(1))
	require.False(t, res.OK())
	assert.Contains(t, res.Report, "\n  a task that S.Go started returned an error that no Join heard "+
		"(an error reaches only Join; call s.Error in the task to fail the seed):\n    1s flusher: the last flush failed\n")
	assert.NotContains(t, res.Report, "context canceled")
}

// A seed that fails nothing else passes, whatever its tasks return.
func TestAnUnjoinedTasksErrorFailsNothing(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		s.Go("lost", func(ctx context.Context) error { return errors.New("the lease expired") })
		s.Sleep(time.Second)
	}, simtest.Seeds(3))
	assert.True(t, res.OK(), res.Report)
}
