package simtest_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// An invariant that holds again between two spans of falses says so,
// where one span from its first false check to its last would read as
// false throughout.
func TestInvariantFalseAgainSaysItHeldBetween(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		balance := 10
		s.Invariant("the balance is never negative", func() error {
			if balance < 0 {
				return fmt.Errorf("the balance is %d", balance)
			}
			return nil
		})
		s.Go("spender", func(ctx context.Context) error {
			for _, at := range []time.Duration{time.Second, 10 * time.Second, 20 * time.Second} {
				s.Sleep(at - s.Elapsed())
				balance -= 15
				s.Sleep(time.Second)
				s.Sleep(time.Second)
				balance += 15
			}
			return nil
		})
		s.Sleep(time.Minute)
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	require.False(t, res.OK())
	assert.Contains(t, res.Report, "\n      (false in 2 checks from 1s to 2s; it held again, and was false in 4 more checks, in 2 more spans, the last at 21s: "+
		"an invariant is checked after every step, and the assertion table's FALSE counts each check)\n", res.Report)
	assert.NotContains(t, res.Report, "from 1s to 21s")
}

// A check that cannot judge the state at a step (a shard is down) says
// so with SkipCheck: the span of falses goes on across it, where nil
// would say the invariant held again. An invariant that never judged is
// a coverage gap.
func TestInvariantSkipCheckIsNeitherTrueNorFalse(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		total, down := 100, false
		s.Invariant("money is conserved", func() error {
			switch {
			case down:
				return fmt.Errorf("shard-1 is down: %w", simtest.SkipCheck)
			case total != 100:
				return fmt.Errorf("the total is %d", total)
			}
			return nil
		})
		s.Go("bank", func(ctx context.Context) error {
			s.Sleep(time.Second)
			total = 90 // a transfer half applied
			s.Sleep(time.Second)
			down = true
			s.Sleep(time.Second)
			s.Sleep(time.Second)
			down = false
			s.Sleep(time.Second)
			return nil
		})
		s.Sleep(time.Minute)
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	require.False(t, res.OK())
	assert.Contains(t, res.Report, "\n      (false in 4 checks from 1s to 1m0s: ", res.Report)
	assert.NotContains(t, res.Report, "held again")

	never := simtest.Simulate(func(s *simtest.S) {
		s.Invariant("never judged", func() error { return simtest.SkipCheck })
		s.Sleep(time.Second)
	}, simtest.Seeds(2), simtest.Chaos(chaos.Off()))
	require.False(t, never.OK(), "an invariant that never judged is a gap")
	assert.Regexp(t, `coverage gap.*\n.*Always "never judged"`, never.Report)
}

// An Eventually whose check skips (a shard is down) fails at its window's
// close with the last error of a check that judged, not the skip's words,
// and says the checks after it skipped; one whose every check skipped
// says it never judged, not that it was false.
func TestEventuallySkipCheckKeepsTheLastJudgedError(t *testing.T) {
	const skipped = "returned SkipCheck"
	for _, tc := range []struct {
		name, want  string
		down, after bool // whether the shard is down at first, and after 2s
	}{
		{"judged then skipped", `still false 5s after its window opened, when the window of 5s closed; last error: the total is 90, not 100; ` +
			`the checks after it returned SkipCheck (the last: shard-1 is down: simtest: skip this check of the invariant)`, false, true},
		{"only skipped", `not judged 5s after its window opened, when the window of 5s closed: ` +
			`each check returned SkipCheck (the last: shard-1 is down: simtest: skip this check of the invariant)`, true, true},
		{"skipped then judged", `still false 5s after its window opened, when the window of 5s closed; last error: the total is 90, not 100`, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := simtest.Simulate(func(s *simtest.S) {
				down := tc.down
				s.EventuallyAfter(0, "money adds up", 5*time.Second, func() error {
					if down {
						return fmt.Errorf("shard-1 is down: %w", simtest.SkipCheck)
					}
					return errors.New("the total is 90, not 100")
				})
				s.Sleep(2 * time.Second)
				down = tc.after
				s.Sleep(time.Minute)
			}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
			require.False(t, res.OK())
			assert.Contains(t, res.Report, tc.want, res.Report)
			if !tc.after {
				assert.NotContains(t, res.Report, skipped, "the skips came before the last check that judged")
			}
		})
	}
}

// An invariant whose every check skipped is a gap that says so, in a Run
// and in a merge of shards where only one shard's checks judged nothing.
func TestAnInvariantThatOnlySkippedIsAGapThatSaysSo(t *testing.T) {
	body := func(skip bool) func(s *simtest.S) {
		return func(s *simtest.S) {
			s.Invariant("conserved", func() error {
				if skip {
					return simtest.SkipCheck
				}
				return nil
			})
			s.Go("steps", func(context.Context) error {
				for range 5 {
					s.Sleep(time.Second)
				}
				return nil
			})
			s.Sleep(time.Minute)
		}
	}
	res := simtest.Simulate(body(true), simtest.Seeds(2), simtest.Chaos(chaos.Off()))
	require.False(t, res.OK())
	assert.Contains(t, res.Report, `Always "conserved" (invariant_again_external_test.go:`, res.Report)
	assert.Contains(t, res.Report, `registered, but judged at no step: no step ran after it, or its check returned SkipCheck at every one`, res.Report)

	dir := t.TempDir()
	for i := range 2 {
		simtest.Simulate(body(i == 0), simtest.Seeds(4), simtest.Shard(i, 2), simtest.Chaos(chaos.Off()),
			simtest.ResultsFile(filepath.Join(dir, "shards")+"/"))
	}
	merged, err := simtest.MergeResults(filepath.Join(dir, "shards"))
	require.NoError(t, err)
	require.Len(t, merged.Tests, 1)
	assert.NotContains(t, merged.Tests[0].Report, "coverage gap", "the other shard judged it: %s", merged.Tests[0].Report)
}

// skippingCheck is a workload that waits out the chaos phase and whose
// Check returns SkipCheck.
type skippingCheck struct{}

func (skippingCheck) Setup(context.Context, providers.Providers) error { return nil }
func (skippingCheck) Run(ctx context.Context, p providers.Providers) error {
	return providers.Wait(simtest.ChaosContext(ctx), p.Task)
}
func (skippingCheck) Check(context.Context, providers.Providers) error {
	return fmt.Errorf("shard-1 is down: %w", simtest.SkipCheck)
}

// A workload's Check that returns SkipCheck fails the seed, as any error
// does, and the failure says that SkipCheck is for the checks that run
// again.
func TestAWorkloadsCheckThatSkipsIsToldWhatSkipCheckIsFor(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", New: waiting})
		c.Run(simtest.Phases{Chaos: time.Second}, skippingCheck{})
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	require.Equal(t, 1, res.Failed)
	assert.Contains(t, res.Report, "check: shard-1 is down: simtest: skip this check of the invariant (SkipCheck is for an invariant's or an Eventually's check, which runs again at the next step; "+
		"a workload's Check runs once, so return nil where it cannot judge, or an error that says what it could not check)")
}
