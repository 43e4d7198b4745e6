package simtest_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// alwaysFails is a workload whose Run fails an assertion where the state
// changes, and whose Check then finds the state wrong.
type alwaysFails struct{ checkFails }

func (alwaysFails) Run(ctx context.Context, _ providers.Providers) error {
	assertions.Always(ctx, false, "a deposit is applied at most once")
	return nil
}

// checkFailsAt is a workload whose Check's error names when the state
// went wrong, as a history's does.
type checkFailsAt struct{ checkFails }

func (checkFailsAt) Check(_ context.Context, p providers.Providers) error {
	return staleRead{at: p.Time.Now().Add(-500 * time.Millisecond)}
}

// checkFailsThroughS is a workload whose Check reports through the seed's
// S, with testify's require, rather than by its return.
type checkFailsThroughS struct {
	checkFails
	s *simtest.S
}

func (w checkFailsThroughS) Check(context.Context, providers.Providers) error {
	require.NoError(w.s, errors.New("key a: want 1, got 2"))
	return nil
}

// checkHint is the start of the report's line for a seed that only a
// final check failed.
const checkHint = "only the final check failed: it found the state wrong"

// A seed that only its workload's Check failed is reported with a hint:
// the check found the state wrong then, the cause may lie anywhere
// before, and an assertion where the state changes would move the window
// there. A seed that failed otherwise too, or whose check's error names
// its time, has no such line.
func TestReportHintsAtAssertingWhereAFinalCheckFailed(t *testing.T) {
	for _, tc := range []struct {
		name string
		body func(s *simtest.S)
		hint bool
	}{
		{"the check alone", func(s *simtest.S) {
			s.Boot().Run(simtest.Phases{Chaos: time.Second, Settle: time.Second}, checkFails{})
		}, true},
		{"the check, through S", func(s *simtest.S) {
			s.Boot().Run(simtest.Phases{Chaos: time.Second, Settle: time.Second}, checkFailsThroughS{s: s})
		}, true},
		{"an assertion before the check", func(s *simtest.S) {
			s.Boot().Run(simtest.Phases{Chaos: time.Second, Settle: time.Second}, alwaysFails{})
		}, false},
		{"the run before the check", func(s *simtest.S) {
			s.Boot().Run(simtest.Phases{Chaos: time.Second, Settle: time.Second}, &runFails{}, checkFails{})
		}, false},
		{"the body after the check", func(s *simtest.S) {
			s.Boot().Run(simtest.Phases{Chaos: time.Second, Settle: time.Second}, checkFails{})
			s.Errorf("the journal holds a deposit twice")
		}, false},
		{"the body, with no check", func(s *simtest.S) {
			s.Boot().Run(simtest.Phases{Chaos: time.Second, Settle: time.Second})
			s.Errorf("the journal holds a deposit twice")
		}, false},
		{"a check whose error names its time", func(s *simtest.S) {
			s.Boot().Run(simtest.Phases{Chaos: time.Second, Settle: time.Second}, checkFailsAt{})
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := simtest.Simulate(tc.body, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
			require.Equal(t, 1, res.Failed, res.Report)
			if !tc.hint {
				assert.NotContains(t, res.Report, checkHint)
				return
			}
			assert.Contains(t, res.Report, "  errors:\n    1s driver: ")
			assert.Contains(t, res.Report, "\n  "+checkHint+" at 1s, and the cause may lie anywhere before it, not only in the window below; "+
				"an assertions.Always where the state changes fails at the cause and moves the report's window there "+
				"(docs/debugging.md#a-final-check-failed-finding-when-it-went-wrong)\n")
		})
	}
}

// The hint's link goes to a section of docs/debugging.md.
func TestCheckHintsSectionExists(t *testing.T) {
	doc, err := os.ReadFile("../docs/debugging.md")
	require.NoError(t, err)
	assert.Contains(t, string(doc), "\n## A final check failed: finding when it went wrong\n",
		"the report's hint links to #a-final-check-failed-finding-when-it-went-wrong")
}
