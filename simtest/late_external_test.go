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
		require.Contains(t, r.output(), "no goroutine may outlive a simulation, and the test fails: 1 goroutine", "the goroutine outlives the Run, which says so")
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
// test has ended, from the test above it: nothing of the S's test can be
// failed then, and the test that used the S is another, so the call
// panics there, naming the S's test, the seed and the line; a log line
// does too.
func TestLateErrorAfterTheTestEndedPanics(t *testing.T) {
	var kept *simtest.S
	t.Run("inner", func(t *testing.T) {
		simtest.Run(t, func(s *simtest.S) { kept = s }, simtest.Seeds(1))
	})
	require.NotNil(t, kept)
	seed := strconv.FormatUint(kept.Seed(), 10)
	for _, use := range []func(){func() { kept.Errorf("after the test") }, func() { kept.Logf("after the test") }} {
		var said any
		func() {
			defer func() { said = recover() }()
			use()
		}()
		msg, ok := said.(string)
		require.True(t, ok, "a use after the test panics with a message, not %v", said)
		assert.Regexp(t, `^simtest: S\.(Error|Log) was called at late_external_test.go:\d+, on the goroutine of another test, on the S of seed `+seed+
			` of the test `+t.Name()+`/inner; `, msg)
		assert.Contains(t, msg, "The test "+t.Name()+"/inner is left as it was;")
		assert.NotContains(t, msg, "t.Run around simtest.Run", "the seed had ended: no subtest of its body")
	}
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
			<-release
			s.Errorf("a late error")
			// Not reached while Errorf panics: done stays open, and the
			// cleanup waits while the panic stops the binary. Closed by a
			// defer, it would let the cleanup go on while the panic ran
			// its defers, and on a loaded machine the test binary exited
			// at its end before the panic's message was out.
			close(done)
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

// logsLate logs through s once release is closed, then closes done: a
// goroutine that outlives its Run on purpose, which the Run lets be.
func logsLate(s *simtest.S, release <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	<-release
	s.Logf("a late line")
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
			go logsLate(s, release, done)
		}, simtest.Seeds(1), simtest.AllowWallClock("github.com/moonpool-go/moonpool/simtest_test.logsLate"))
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

// TestAnSUsedByAnotherTestFailsThatTest keeps a test's S where a second
// test, here a subtest the first one runs after its Run, reaches it: each
// use of it there panics in the second test, naming the S's test and
// seed, and the first test, which did nothing wrong, is left as it was.
func TestAnSUsedByAnotherTestFailsThatTest(t *testing.T) {
	uses := []struct {
		what string
		use  func(s *simtest.S)
	}{
		{"S.Error", func(s *simtest.S) { s.Errorf("through another test's S") }},
		{"S.Log", func(s *simtest.S) { s.Logf("through another test's S") }},
		{"S.Go", func(s *simtest.S) { s.Go("task", func(context.Context) error { return nil }) }},
		{"S.FailNow", func(s *simtest.S) { s.FailNow() }},
	}
	for _, u := range uses {
		t.Run(u.what, func(t *testing.T) {
			var kept *simtest.S
			var said any
			ownerFailed := true
			t.Run("owner", func(owner *testing.T) {
				simtest.Run(owner, func(s *simtest.S) { kept = s }, simtest.Seeds(1))
				owner.Run("user", func(*testing.T) {
					defer func() { said = recover() }()
					u.use(kept)
				})
				ownerFailed = owner.Failed()
			})
			assert.False(t, ownerFailed, "the S's own test is failed for another's use of its S")
			msg, ok := said.(string)
			require.True(t, ok, "another test's use of the S panics with a message, not %v", said)
			assert.Contains(t, msg, "simtest: "+u.what+" was called at late_external_test.go:")
			assert.Contains(t, msg, ", on the goroutine of another test, on the S of seed "+strconv.FormatUint(kept.Seed(), 10)+" of the test "+t.Name()+"/owner; "+
				"an S belongs to its seed, in its own test's Run: keep it inside the body, and report through the calling test's own t. "+
				"The test "+t.Name()+"/owner is left as it was;")
		})
	}
}

// A subtest started inside a body runs on a test's goroutine of its own:
// its use of the seed's S panics there with the fix (t.Run around
// simtest.Run), and does not fail the seed, which did nothing wrong.
func TestAnSUsedByASubtestOfItsBodyNamesTheFix(t *testing.T) {
	var said any
	simtest.Run(t, func(s *simtest.S) {
		t.Run("sub", func(*testing.T) {
			defer func() { said = recover() }()
			s.Logf("from a subtest")
		})
	}, simtest.Seeds(1))
	msg, ok := said.(string)
	require.True(t, ok, "a subtest's use of the S panics with a message, not %v", said)
	assert.Contains(t, msg, "simtest: S.Log was called at late_external_test.go:")
	assert.Contains(t, msg, "put t.Run around simtest.Run instead, a Run for each subtest")
}
