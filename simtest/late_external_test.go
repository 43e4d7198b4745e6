package simtest_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

// TestTestsOwnErrorfFailsItsSeed calls the test's own T from a task: the
// seed that was running is the one reported failed, with its replay line.
func TestTestsOwnErrorfFailsItsSeed(t *testing.T) {
	var failing uint64
	r := runIn("TestOwnT", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Go("checker", func(ctx context.Context) error {
				if s.Providers().Random.IntN(4) == 0 {
					failing = s.Seed()
					r.Errorf("checked through the test's T")
				}
				return nil
			})
			s.Sleep(time.Second)
		}, simtest.Seeds(20))
	})
	out := r.output()
	require.True(t, r.failed)
	require.NotZero(t, failing, "some seed of 20 fails")
	assert.Contains(t, out, "1 failed")
	assert.NotContains(t, out, "0 failed")
	assert.Contains(t, out, "simtest: seed "+strconv.FormatUint(failing, 10)+" failed: the test failed through its own testing.T")
	assert.Contains(t, out, "replay: go test -run '^TestOwnT$' ./simtest -simseed="+strconv.FormatUint(failing, 10))
	assert.Contains(t, out, "call s.Errorf on the body's *simtest.S instead")
}

// A failure through the test's own T fails the running seed, so the
// seed's S says it failed, as t.Failed would after t.Errorf; a seed
// after it, which the test's failure does not fail, has not.
func TestFailedCountsTheTestsOwnT(t *testing.T) {
	var before, after []bool
	r := runIn("TestOwnTFailed", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			before = append(before, s.Failed())
			if len(before) == 1 {
				r.Errorf("checked through the test's T")
			}
			after = append(after, s.Failed())
		}, simtest.Seeds(2), simtest.KeepGoing())
	})
	require.True(t, r.failed)
	assert.Equal(t, []bool{false, false}, before)
	assert.Equal(t, []bool{true, false}, after)
}

// TestErrorAfterTheSeedEndedFailsTheTest reports through an S whose seed is
// over, from the test's goroutine and from a goroutine that outlived the
// seed: each fails the test, naming the seed.
func TestErrorAfterTheSeedEndedFailsTheTest(t *testing.T) {
	release, done := make(chan struct{}), make(chan struct{})
	var kept *simtest.S
	r := runIn("TestLate", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			kept = s
			go func() { // a stray goroutine: it outlives the seed
				defer close(done)
				<-release
				s.Fatalf("from a goroutine that outlived the seed")
				t.Error("Fatalf returned")
			}()
		}, simtest.Seeds(1))
		require.False(t, r.Failed(), r.output())
		kept.Errorf("through a kept S")
		close(release)
		<-done
	})
	out := r.output()
	require.True(t, r.failed)
	seed := "seed " + strconv.FormatUint(kept.Seed(), 10)
	assert.Equal(t, 2, strings.Count(out, "the S of "+seed+" after the seed ended"), out)
	assert.Contains(t, out, "late_external_test.go:")
	assert.Contains(t, out, "through a kept S")
	assert.Contains(t, out, "from a goroutine that outlived the seed")
	assert.Contains(t, out, "replay: go test -run '^TestLate$' ./simtest -simseed="+strconv.FormatUint(kept.Seed(), 10))
	assert.Contains(t, out, "1 passed, 0 failed", "the seed itself passed")
}

// TestLateErrorIsNotTheRunningSeeds has the second seed report through the
// first seed's S: the failure names the first seed, and the second is not
// blamed.
func TestLateErrorIsNotTheRunningSeeds(t *testing.T) {
	var prev *simtest.S
	r := runIn("TestLateOther", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			if prev != nil {
				prev.Errorf("an old S")
			}
			prev = s
		}, simtest.Seeds(2))
	})
	out := r.output()
	require.True(t, r.failed)
	assert.Contains(t, out, "2 seeds, 2 passed, 0 failed")
	assert.Regexp(t, `an error was reported to the S of seed \d+ after the seed ended`, out)
}

// TestLateErrorAfterTheTestEndedPanics reports through an S after its
// test has ended: nothing can be failed then, so the call panics, as
// testing's does, naming the test, the seed and the error; a log line
// goes to the test above it, which still runs, as a t.Log's does.
func TestLateErrorAfterTheTestEndedPanics(t *testing.T) {
	var kept *simtest.S
	t.Run("inner", func(t *testing.T) {
		simtest.Run(t, func(s *simtest.S) { kept = s }, simtest.Seeds(1))
	})
	require.NotNil(t, kept)
	var said any
	func() {
		defer func() { said = recover() }()
		kept.Errorf("after the test")
	}()
	msg, ok := said.(string)
	require.True(t, ok, "Errorf after the test panics with a message, not %v", said)
	seed := strconv.FormatUint(kept.Seed(), 10)
	assert.Contains(t, msg, "simtest: an error was reported to the S of seed "+seed+" after the seed ended")
	assert.Contains(t, msg, "and after the test "+t.Name()+"/inner ended:")
	assert.NotContains(t, msg, "so it fails the test instead of the seed")
	assert.Contains(t, msg, "late_external_test.go:")
	assert.Contains(t, msg, "after the test")
	assert.Contains(t, msg, "The test "+t.Name()+"/inner had ended, so it could not be failed: an S was kept past its test")
	assert.NotPanics(t, func() { kept.Logf("after the test") })
}

// TestLateGoroutineInAChild leaves a goroutine behind that reports an
// error through its seed's S once the test has ended, in the child
// process of TestLateGoroutineFailsTheBinary.
func TestLateGoroutineInAChild(t *testing.T) {
	if os.Getenv("SIMTEST_LATE_GOROUTINE_CHILD") == "" {
		t.Skip("run by TestLateGoroutineFailsTheBinary")
	}
	release, done := make(chan struct{}), make(chan struct{})
	// Registered before the Run's own cleanups, this one runs after them:
	// the goroutine speaks once the test can no longer be failed.
	t.Cleanup(func() {
		close(release)
		<-done
	})
	simtest.Run(t, func(s *simtest.S) {
		go func() {
			defer close(done)
			<-release
			s.Errorf("a late error")
		}()
	}, simtest.Seeds(1))
}

// TestLateUseInAChild keeps an S past its Run and uses it, in the child
// process of TestLateUseNamesTheTestsLine.
func TestLateUseInAChild(t *testing.T) {
	if os.Getenv("SIMTEST_LATE_CHILD") == "" {
		t.Skip("run by TestLateUseNamesTheTestsLine")
	}
	var kept *simtest.S
	simtest.Run(t, func(s *simtest.S) { kept = s }, simtest.Seeds(1))
	kept.Errorf("through a kept S")
	kept.Logf("a line from a kept S")
	t.Log("seed=" + strconv.FormatUint(kept.Seed(), 10))
}

// TestLateLogInAChild leaves a goroutine behind that logs through its
// seed's S once the test has returned: with SIMTEST_LATE_LOG_CHILD=parent,
// in a subtest whose parent still runs, which takes the line; with
// =cleanup, while the test's own cleanups run.
func TestLateLogInAChild(t *testing.T) {
	mode := os.Getenv("SIMTEST_LATE_LOG_CHILD")
	if mode == "" {
		t.Skip("run by TestLateLogGoesToTheParentOrStopsTheBinary")
	}
	release, done := make(chan struct{}), make(chan struct{})
	inner := func(t *testing.T) {
		simtest.Run(t, func(s *simtest.S) {
			go func() {
				defer close(done)
				<-release
				s.Logf("a late line")
			}()
		}, simtest.Seeds(1))
	}
	if mode == "cleanup" {
		// Registered before the Run's own cleanups, this one runs after
		// them: the goroutine logs once the test has ended.
		t.Cleanup(func() {
			close(release)
			<-done
		})
		inner(t)
		return
	}
	t.Run("inner", inner)
	close(release)
	<-done
}
