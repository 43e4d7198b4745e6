package simtest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// untilQuiet is a workload whose Run makes an operation every 300ms
// until the chaos phase ends, and notes what it saw.
type untilQuiet struct {
	ops           int
	ran           time.Duration // from the Run's start to its return
	err           error         // of the Run's own ctx, as it returned
	same          bool          // a second call gave the same context
	checkPhaseErr error         // ChaosContext's in Check
}

func (*untilQuiet) Name() string                                     { return "until-quiet" }
func (*untilQuiet) Setup(context.Context, providers.Providers) error { return nil }

func (w *untilQuiet) Run(ctx context.Context, p providers.Providers) error {
	start := p.Time.Now()
	phase := simtest.ChaosContext(ctx)
	w.same = simtest.ChaosContext(ctx) == phase
	for phase.Err() == nil {
		w.ops++
		_ = p.Time.Sleep(phase, 300*time.Millisecond)
	}
	w.ran, w.err = p.Time.Now().Sub(start), ctx.Err()
	return nil
}

func (w *untilQuiet) Check(ctx context.Context, p providers.Providers) error {
	w.checkPhaseErr = simtest.ChaosContext(ctx).Err()
	return nil
}

// A workload that loops until ChaosContext ends returns as Phases.Chaos
// elapses, in simulated time, under the faults of the defaults too, and
// its seed passes: no Phases.Finish failure, the checks run.
func TestAWorkloadLoopingOnChaosContextReturnsAtPhasesChaos(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, cfg := range []chaos.Config{chaos.Off(), chaos.Defaults()} {
		var seen []untilQuiet
		r := runIn("TestUntilQuiet", func(r *recorder) {
			simtest.Run(r, func(s *simtest.S) {
				w := &untilQuiet{}
				s.Boot(simtest.Processes{Name: "r", Count: 3, New: ticking}).Run(simtest.Phases{Chaos: 10 * time.Second}, w)
				seen = append(seen, *w)
			}, simtest.Seeds(5), simtest.Chaos(cfg), simtest.KeepFailures(false))
		})
		require.False(t, r.failed, r.output())
		require.Len(t, seen, 5)
		for _, w := range seen {
			assert.Equal(t, 10*time.Second, w.ran, "the Run returns as the phase ends")
			assert.Equal(t, 34, w.ops, "an operation every 300ms for 10s")
			assert.NoError(t, w.err, "the Run's own ctx does not end with the phase")
			assert.True(t, w.same, "a second call with the same ctx gives the same context")
			assert.ErrorIs(t, w.checkPhaseErr, context.Canceled, "in Check, the phase is over")
		}
	}
}

// early is a workload whose Setup starts a task that waits for the chaos
// phase's end, and whose Run returns after a second.
type early struct {
	start   time.Time     // of the Run
	saw     time.Duration // when the task saw the phase end, since start
	sawErr  error
	sawDone bool
}

func (*early) Name() string { return "early" }
func (w *early) Setup(ctx context.Context, p providers.Providers) error {
	phase := simtest.ChaosContext(ctx)
	p.Task.Go(ctx, "watch", func(context.Context) error {
		w.sawErr = providers.Wait(phase, p.Task)
		w.saw, w.sawDone = p.Time.Now().Sub(w.start), true
		return nil
	})
	return nil
}

func (w *early) Run(ctx context.Context, p providers.Providers) error {
	w.start = p.Time.Now()
	return p.Time.Sleep(ctx, time.Second)
}

func (*early) Check(context.Context, providers.Providers) error { return nil }

// The phase that ends early, as every Run has returned, ends ChaosContext
// with it: a task started in Setup that waits on one sees it end then. An
// injector that holds the phase keeps it open, and the context with it,
// until the injector returns.
func TestChaosContextEndsWhenThePhaseEndsEarly(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inject []simtest.Injector
		want   time.Duration
	}{
		{"as every Run returned", nil, time.Second},
		{"as a holding injector returned", []simtest.Injector{{Name: "script", Hold: true, Run: func(ctx context.Context, f *simtest.Faults) error {
			return f.Providers().Time.Sleep(ctx, 4*time.Second)
		}}}, 4 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var seen []early
			r := runIn("TestEarly", func(r *recorder) {
				simtest.Run(r, func(s *simtest.S) {
					w := &early{}
					c := s.Boot(simtest.Processes{Name: "r", New: ticking})
					c.Inject(tc.inject...)
					c.Run(simtest.Phases{Chaos: 30 * time.Second}, w)
					seen = append(seen, *w)
				}, simtest.Seeds(3), simtest.Chaos(chaos.Off()), simtest.KeepFailures(false))
			})
			require.False(t, r.failed, r.output())
			require.Len(t, seen, 3)
			for _, w := range seen {
				require.True(t, w.sawDone, "the task saw the phase end")
				assert.ErrorIs(t, w.sawErr, context.Canceled)
				assert.Equal(t, tc.want, w.saw, "when the task saw the phase end, after the Run began")
			}
		})
	}
}

type valueKey struct{}

// Outside a simulation, and outside a Cluster.Run, ChaosContext returns
// ctx itself: there is no chaos phase to end. Once the phase is over it
// returns a context already done, which carries ctx's values.
func TestChaosContextOutsideTheChaosPhase(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	bg := context.Background()
	assert.True(t, simtest.ChaosContext(bg) == bg, "outside a simulation")
	cctx, cancel := context.WithCancel(bg)
	assert.True(t, simtest.ChaosContext(cctx) == cctx, "outside a simulation")
	cancel()

	var before, after, inCheck bool
	var checkErr error
	var value any
	r := runIn("TestOutside", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			ctx := s.Context()
			before = simtest.ChaosContext(ctx) == ctx
			c := s.Boot(simtest.Processes{Name: "r", New: ticking})
			c.Run(simtest.Phases{Chaos: time.Second}, checkOnly(func(ctx context.Context) {
				vctx := context.WithValue(ctx, valueKey{}, "kept")
				phase := simtest.ChaosContext(vctx)
				inCheck = phase != vctx
				checkErr, value = phase.Err(), phase.Value(valueKey{})
			}))
			after = simtest.ChaosContext(ctx) == ctx
		}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.KeepFailures(false))
	})
	require.False(t, r.failed, r.output())
	assert.True(t, before, "in the body, before Cluster.Run")
	assert.True(t, after, "in the body, after Cluster.Run")
	assert.True(t, inCheck, "in Check, a context of its own")
	assert.ErrorIs(t, checkErr, context.Canceled, "in Check, already done")
	assert.Equal(t, "kept", value, "with ctx's values")
}

// checkOnly is a workload whose Run returns at once and whose Check is fn.
type checkOnly func(ctx context.Context)

func (checkOnly) Setup(context.Context, providers.Providers) error { return nil }
func (checkOnly) Run(context.Context, providers.Providers) error   { return nil }
func (f checkOnly) Check(ctx context.Context, p providers.Providers) error {
	f(ctx)
	return nil
}

// A test that uses ChaosContext gives the same trace seed after seed, on
// one worker or two, and each seed twice (CheckDeterminism).
func TestChaosContextIsDeterministic(t *testing.T) {
	run := func(workers int) string {
		r := runIn("TestSameTrace", func(r *recorder) {
			simtest.Run(r, func(s *simtest.S) {
				w := &untilQuiet{}
				s.Boot(simtest.Processes{Name: "r", Count: 3, New: ticking}).Run(simtest.Phases{Chaos: 5 * time.Second}, w, &early{})
			}, simtest.Seeds(20), simtest.Chaos(chaos.Defaults()), simtest.Workers(workers), simtest.CheckDeterminism(),
				simtest.Verbose(), simtest.KeepFailures(false))
		})
		require.False(t, r.failed, r.output())
		return strings.Join(seedTraces(r.output()), "\n")
	}
	one := run(1)
	require.Len(t, strings.Split(one, "\n"), 20)
	assert.Equal(t, one, run(1), "the same traces run after run")
	assert.Equal(t, one, run(2), "the same traces on two workers")
}

// waitsForQuiet is a workload whose Run waits for the chaos phase's end
// and returns: the phase's whole length, and no deadlock.
type waitsForQuiet struct{ ran time.Duration }

func (*waitsForQuiet) Setup(context.Context, providers.Providers) error { return nil }
func (*waitsForQuiet) Check(context.Context, providers.Providers) error { return nil }
func (w *waitsForQuiet) Run(ctx context.Context, p providers.Providers) error {
	start := p.Time.Now()
	err := providers.Wait(simtest.ChaosContext(ctx), p.Task)
	w.ran = p.Time.Now().Sub(start)
	if !errors.Is(err, context.Canceled) {
		return fmt.Errorf("the wait ended with %v, not the phase's end", err)
	}
	return nil
}

// A Run that waits on ChaosContext, to hold the chaos phase open, returns
// as Phases.Chaos elapses, where one that waits on its own ctx deadlocks
// (TestAWorkloadWaitingOnItsContextIsToldWhy).
func TestAWorkloadWaitingOnChaosContextHoldsThePhase(t *testing.T) {
	var ran []time.Duration
	r := runIn("TestHolds", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			w := &waitsForQuiet{}
			s.Boot(simtest.Processes{Name: "p", New: waiting}).Run(simtest.Phases{Chaos: 7 * time.Second}, w)
			ran = append(ran, w.ran)
		}, simtest.Seeds(3), simtest.KeepFailures(false))
	})
	require.False(t, r.failed, r.output())
	assert.Equal(t, []time.Duration{7 * time.Second, 7 * time.Second, 7 * time.Second}, ran)
}
