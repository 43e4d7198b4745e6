package simtest_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

var _ testing.TB = (*simtest.S)(nil)

// checkBalance is a helper: an error it raises names its caller's line.
func checkBalance(s *simtest.S, got, want int) {
	s.Helper()
	if got != want {
		s.Errorf("balance is %d, want %d", got, want)
	}
}

// requireBalance is a helper over testify's require.
func requireBalance(s *simtest.S, got, want int) {
	s.Helper()
	require.Equal(s, want, got, "balance")
}

// line is the line of its caller, plus delta.
func line(delta int) string {
	_, file, l, _ := runtime.Caller(1)
	return fmt.Sprintf("%s:%d", filepath.Base(file), l+delta)
}

func TestHelperFramesAreSkipped(t *testing.T) {
	var direct, inTask, viaRequire string
	res := simtest.Simulate(func(s *simtest.S) {
		direct = line(1)
		checkBalance(s, 1, 2)
		h := s.Go("auditor", func(ctx context.Context) error {
			inTask = line(1)
			checkBalance(s, 3, 4) // Helper called from a task
			return nil
		})
		_ = h.Join(s.Context())
		viaRequire = line(1)
		requireBalance(s, 5, 6)
	}, simtest.Seeds(1))
	require.False(t, res.OK())
	assert.Contains(t, res.Report, "driver: "+direct+": balance is 1, want 2")
	assert.Contains(t, res.Report, "auditor: "+inTask+": balance is 3, want 4")
	assert.Contains(t, res.Report, "driver: "+viaRequire+": ")
	assert.NotContains(t, res.Report, "s_tb_external_test.go:24:", "no error names the helper's own line")
}

// A function that is not marked is reported at its own line.
func TestUnmarkedFunctionIsReportedAtItsLine(t *testing.T) {
	var at string
	res := simtest.Simulate(func(s *simtest.S) {
		func() {
			at = line(1)
			s.Errorf("here")
		}()
	}, simtest.Seeds(1))
	assert.Contains(t, res.Report, at+": here")
}

func TestContextIsCancelledBeforeCleanups(t *testing.T) {
	var inCleanup error
	var taskSaw time.Duration = -1
	var slept time.Duration
	res := simtest.Simulate(func(s *simtest.S) {
		s.Go("watcher", func(ctx context.Context) error {
			// A task started with the seed's context sees it end.
			if err := s.Providers().Time.Sleep(ctx, time.Hour); err != nil {
				taskSaw = s.Elapsed()
			}
			return nil
		})
		s.Cleanup(func() {
			inCleanup = s.Context().Err()
			start := s.Elapsed()
			s.Sleep(time.Second) // a cleanup may still wait
			slept = s.Elapsed() - start
		})
		s.Sleep(time.Second)
	}, simtest.Seeds(1))
	require.True(t, res.OK(), res.Report)
	assert.ErrorIs(t, inCleanup, context.Canceled, "the context ends before the cleanups run, as testing.T's")
	assert.Equal(t, time.Second, slept)
	assert.Equal(t, time.Second, taskSaw, "the task saw the end while the cleanup ran")
}

func TestSDoesNotExportTheTestsTB(t *testing.T) {
	_, ok := reflect.TypeOf(simtest.S{}).FieldByName("TB")
	assert.False(t, ok, "s.TB.Errorf would go around the seed")
}
