package simtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// looper is a workload whose Run goes on while its context lasts, which
// the chaos phase does not end, or, given ops, for that many operations
// of 100ms each.
type looper struct {
	ops     int // zero: until ctx ends
	checked *bool
}

func (looper) Name() string                                     { return "looper" }
func (looper) Setup(context.Context, providers.Providers) error { return nil }
func (w looper) Check(context.Context, providers.Providers) error {
	if w.checked != nil {
		*w.checked = true
	}
	return nil
}

func (w looper) Run(ctx context.Context, p providers.Providers) error {
	for i := 0; ctx.Err() == nil && (w.ops == 0 || i < w.ops); i++ {
		if err := p.Time.Sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

// ticking is a process that wakes every 100ms, as a server's heartbeat
// does, so that simulated time moves on while the driver waits.
func ticking() simtest.Process {
	return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
		for p.Time.Sleep(ctx, 100*time.Millisecond) == nil {
		}
		return nil
	})
}

// A workload whose Run never returns fails its seed once Phases.Finish
// has passed after the faults healed, at that simulated time, not at the
// end of the time budget: the report names the workload, how long it ran
// on, and the fix.
func TestAWorkloadThatNeverReturnsFailsAtFinish(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ph     simtest.Phases
		at     string // simulated time of the failure
		ranOn  string
		finish string
	}{
		{"default", simtest.Phases{Chaos: 10 * time.Second}, "1m10s", "1m0s", "1m0s"},
		{"chaos longer than the default", simtest.Phases{Chaos: 2 * time.Minute, Settle: time.Second}, "4m0s", "2m0s", "2m0s"},
		{"set", simtest.Phases{Chaos: 10 * time.Second, Finish: 2 * time.Second}, "12s", "2s", "2s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runIn("TestLooper", func(r *recorder) {
				simtest.Run(r, func(s *simtest.S) {
					s.Boot(simtest.Processes{Name: "r", New: ticking}).Run(tc.ph, looper{})
				}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.KeepFailures(false))
			})
			require.True(t, r.failed)
			out := r.output()
			assert.Contains(t, out, "failed: limit reached at "+tc.at+": workload looper is still running "+tc.ranOn+
				" after the chaos phase ended (Phases.Chaos "+tc.ph.Chaos.String()+"; settle, ")
			assert.Contains(t, out, "past Phases.Finish ("+tc.finish+"): a workload's context does not end with the chaos phase, "+
				"so its Run must return on its own: loop while simtest.ChaosContext(ctx).Err() == nil (that context ends with the phase), "+
				"or stop after a set number of operations")
			assert.Contains(t, out, `task "workload looper"`, "the stuck tasks are listed")
		})
	}
}

// A workload that finishes in quiet, within Phases.Finish, passes, and
// its Check runs.
func TestAWorkloadThatFinishesInQuietPasses(t *testing.T) {
	checked := false
	r := runIn("TestFinisher", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			checked = false
			// 300 operations of 100ms: 20s past a 10s chaos phase.
			s.Boot(simtest.Processes{Name: "r", New: ticking}).Run(simtest.Phases{Chaos: 10 * time.Second}, looper{ops: 300, checked: &checked})
		}, simtest.Seeds(2), simtest.Chaos(chaos.Off()), simtest.KeepFailures(false))
	})
	assert.False(t, r.failed, r.output())
	assert.True(t, checked)
}

// A seed that fails otherwise while Cluster.Run waits for a workload past
// its chaos phase (here its time budget runs out first) names the
// workload in its headline, and says how to fix it.
func TestAFailureWhileAWorkloadRunsOnNamesIt(t *testing.T) {
	r := runIn("TestBudget", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "r", New: ticking}).Run(simtest.Phases{Chaos: 10 * time.Second}, looper{})
		}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.TimeBudget(30*time.Second), simtest.KeepFailures(false))
	})
	require.True(t, r.failed)
	out := r.output()
	assert.Contains(t, out, "failed: workload looper is still running 20s after the chaos phase ended (Phases.Chaos 10s; settle, 5s, "+
		"and the checks wait for it); then: time budget exceeded at 30s")
	assert.Contains(t, out, "a workload's context does not end with the chaos phase, so its Run must return on its own")
}

func TestPhasesFinishIsNotNegative(t *testing.T) {
	r := runIn("TestNegative", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "r", New: ticking}).Run(simtest.Phases{Finish: -time.Second}, looper{ops: 1})
		}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.KeepFailures(false))
	})
	require.True(t, r.failed)
	assert.Contains(t, r.output(), "configuration error: Phases.Finish is -1s; a phase lasts zero (the default) or more")
}
