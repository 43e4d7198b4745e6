package simtest_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// diary is a process that notes each boot and, on its disk, one synced and
// one unsynced line, then waits to be stopped.
type diary struct {
	boots *[]string
}

func (d diary) Run(ctx context.Context, p providers.Providers) error {
	*d.boots = append(*d.boots, p.Cluster.Self().Name+": "+p.Cluster.Boot().String())
	if f, err := p.Storage.Create("synced"); err == nil {
		_, _ = f.Write([]byte("kept"))
		_ = f.Sync()
		_ = f.Close()
	}
	if f, err := p.Storage.Create("unsynced"); err == nil {
		_, _ = f.Write([]byte("maybe"))
		_ = f.Close()
	}
	_ = p.Time.Sleep(ctx, 365*24*time.Hour) // until stopped
	return ctx.Err()
}

func readFile(s *simtest.S, addr, name string) string {
	f, err := s.Disk(addr).Storage().Open(name)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	return string(b)
}

func TestRebootsTellTheProcessHowItWasRestarted(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		var boots []string
		c := s.Boot(simtest.Processes{Name: "node", Count: 2, New: func() simtest.Process { return diary{&boots} }})
		require.Equal(s, []providers.Peer{{Name: "node-0", Host: "node-0"}, {Name: "node-1", Host: "node-1"}}, c.Peers())
		s.Sleep(time.Second)

		c.Stop("node-0", simtest.Graceful, simtest.Grace(time.Second))
		assert.Equal(s, "kept", readFile(s, "node-0", "synced"))
		assert.Equal(s, "maybe", readFile(s, "node-0", "unsynced"), "a graceful stop keeps what was written")
		c.Start("node-0")
		s.Sleep(time.Second)

		c.Stop("node-1", simtest.Crash)
		assert.False(s, c.Alive("node-1"))
		assert.Equal(s, "kept", readFile(s, "node-1", "synced"), "a crash keeps what was synced")
		c.Start("node-1")

		c.Reboot("node-0", simtest.Wipe, simtest.DownFor(time.Second))
		s.Sleep(time.Second)
		assert.Equal(s, 3, c.Boots("node-0"))
		require.Len(s, boots, 5)
		assert.ElementsMatch(s, []string{"node-0: first boot", "node-1: first boot"}, boots[:2])
		assert.Equal(s, []string{
			"node-0: after a graceful stop",
			"node-1: after a crash",
			"node-0: after a wipe",
		}, boots[2:])
	}, simtest.Seeds(5), simtest.Chaos(chaos.Off()))
}

func TestCrashStopsTheProcessAtTheCrashInstant(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		var ticks []time.Duration
		c := s.Boot(simtest.Processes{Name: "ticker", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				p.Task.Go(ctx, "helper", func(ctx context.Context) error {
					for {
						if err := p.Time.Sleep(ctx, 100*time.Millisecond); err != nil {
							return err
						}
						ticks = append(ticks, s.Elapsed())
					}
				})
				return p.Time.Sleep(ctx, time.Hour)
			})
		}})
		s.Sleep(1050 * time.Millisecond)
		c.Stop("ticker-0", simtest.Crash)
		s.Sleep(time.Second)
		require.Len(s, ticks, 10, "no tick after the crash")
		assert.Equal(s, time.Second, ticks[len(ticks)-1])
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
}

// counter is a workload that checks how many processes are down, often.
type counter struct {
	c       *simtest.Cluster
	maxDown int
	checked bool
}

func (w *counter) Name() string                                           { return "counter" }
func (w *counter) Setup(ctx context.Context, p providers.Providers) error { return nil }
func (w *counter) Run(ctx context.Context, p providers.Providers) error {
	for range 600 {
		down := 0
		for _, peer := range w.c.Peers() {
			if !w.c.Alive(peer.Name) {
				down++
			}
		}
		w.maxDown = max(w.maxDown, down)
		if err := p.Time.Sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}
func (w *counter) Check(ctx context.Context, p providers.Providers) error {
	w.checked = true
	return nil
}

func TestAttritionRebootsWithinMaxDead(t *testing.T) {
	total := 0
	simtest.Run(t, func(s *simtest.S) {
		var boots []string
		c := s.Boot(simtest.Processes{Name: "node", Count: 4, New: func() simtest.Process { return diary{&boots} }})
		w := &counter{c: c}
		c.Run(simtest.Phases{Chaos: time.Minute}, w)
		assert.True(s, w.checked)
		assert.LessOrEqual(s, w.maxDown, 2)
		for _, p := range c.Peers() {
			assert.True(s, c.Alive(p.Name), "every process is back after quiesce")
		}
		total += len(boots) - 4
	}, simtest.Seeds(5), simtest.Chaos(func() chaos.Config {
		cfg := chaos.Off()
		cfg.Attrition = chaos.DefaultAttrition()
		cfg.Attrition.MaxDead = 2
		return cfg
	}()))
	assert.Greater(t, total, 10, "attrition rebooted processes")
}

func TestClusterBadInput(t *testing.T) {
	noop := func() simtest.Process {
		return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error { return nil })
	}
	cases := []struct {
		name string
		body func(s *simtest.S)
		opts []simtest.Option
		want string
	}{
		{"duplicate names", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", New: noop}, simtest.Processes{Name: "a", New: noop})
		}, nil, `two groups of processes are named "a"`},
		{"no factory", func(s *simtest.S) { s.Boot(simtest.Processes{Name: "a"}) }, nil, `Processes "a" has no New`},
		{"shared host", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", Count: 2, New: noop, Hosts: []string{"h", "h"}})
		}, nil, `processes a-0 and a-1 share the host "h"`},
		{"MaxDead above the cluster", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", Count: 2, New: noop}).Run(simtest.Phases{})
		}, []simtest.Option{simtest.Chaos(func() chaos.Config {
			c := chaos.Off()
			c.Attrition = chaos.DefaultAttrition()
			c.Attrition.MaxDead = 3
			return c
		}())}, "Attrition.MaxDead is 3 but the cluster has 2 processes"},
		{"zero weights", func(s *simtest.S) {}, []simtest.Option{simtest.Chaos(func() chaos.Config {
			c := chaos.Defaults()
			c.Attrition.Graceful, c.Attrition.Crash, c.Attrition.Wipe, c.Attrition.PowerLoss = 0, 0, 0, 0
			return c
		}())}, "Attrition weights are all zero"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runIn("TestCluster", func(r *recorder) { simtest.Run(r, c.body, append(c.opts, simtest.Seeds(1))...) })
			assert.True(t, r.failed)
			assert.Contains(t, r.output(), c.want)
			if c.name != "zero weights" { // an Option's mistake fails before any seed
				assert.Contains(t, r.output(), "simtest: configuration error: ")
				assert.Regexp(t, `\n\s+at cluster_external_test.go:\d+\n`, r.output(), "the line of the mistake")
			}
		})
	}
}

// stuck is a workload whose Run never returns.
type stuck struct{}

func (stuck) Setup(context.Context, providers.Providers) error { return nil }
func (stuck) Run(ctx context.Context, p providers.Providers) error {
	for {
		if err := p.Time.Sleep(ctx, time.Second); err != nil {
			return err
		}
	}
}
func (stuck) Check(context.Context, providers.Providers) error { return nil }

func TestWorkloadThatNeverReturnsIsNamedByTheBudget(t *testing.T) {
	r := runIn("TestStuck", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Boot().Run(simtest.Phases{Chaos: time.Second}, stuck{})
		}, simtest.Seeds(1), simtest.TimeBudget(time.Minute), simtest.Chaos(chaos.Off()))
	})
	assert.True(t, r.failed)
	assert.Contains(t, r.output(), `task "workload workload-0" waits on sleep`)
	assert.Contains(t, r.output(), "time budget exceeded")
}

func TestProcessErrorFailsTheSeed(t *testing.T) {
	r := runIn("TestProcessError", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "bad", New: func() simtest.Process {
				return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
					return io.ErrUnexpectedEOF
				})
			}})
			s.Sleep(time.Second)
		}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	})
	assert.True(t, r.failed)
	assert.Contains(t, r.output(), "process bad-0 failed: unexpected EOF")
}

func TestRebootTimingsAreTheOnesNamed(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		var boots []string
		c := s.Boot(simtest.Processes{Name: "node", New: func() simtest.Process { return diary{&boots} }})
		s.Sleep(time.Second)

		start := s.Elapsed()
		c.Reboot("node-0", simtest.Crash)
		assert.Equal(s, start, s.Elapsed(), "without DownFor the process comes back at once")

		start = s.Elapsed()
		c.Reboot("node-0", simtest.PowerLoss, simtest.DownFor(3*time.Second), simtest.Grace(time.Hour))
		assert.Equal(s, 3*time.Second, s.Elapsed()-start, "down for DownFor; a power loss ignores Grace")

		start = s.Elapsed()
		c.Reboot("node-0", simtest.Graceful, simtest.DownFor(2*time.Second), simtest.Grace(5*time.Second))
		took := s.Elapsed() - start
		assert.True(s, took >= 2*time.Second && took < 7*time.Second, "the stop ends when diary returns, within its Grace, then DownFor passes; took %v", took)
		assert.True(s, c.Alive("node-0"))
		assert.Equal(s, 4, c.Boots("node-0"))
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
}

// A graceful stop given no Grace waits DefaultGrace, the longest grace the
// default attrition draws; Grace overrides it, and a unit's reboot takes
// the same default.
func TestAGracefulStopWithoutGraceWaitsTheDefaultGrace(t *testing.T) {
	assert.Equal(t, chaos.DefaultAttrition().Grace.Max, simtest.DefaultGrace)
	simtest.Run(t, func(s *simtest.S) {
		deaf := func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				_ = p.Time.Sleep(context.WithoutCancel(ctx), 365*24*time.Hour) // deaf to the stop
				return nil
			})
		}
		c := s.Boot(simtest.Processes{Name: "p", New: deaf})
		ends := s.Watch("grace over")
		for _, stop := range []struct {
			name string
			do   func()
			want time.Duration
		}{
			{"Stop", func() { c.Stop("p-0", simtest.Graceful); c.Start("p-0") }, simtest.DefaultGrace},
			{"Reboot", func() { c.Reboot("p-0", simtest.Graceful) }, simtest.DefaultGrace},
			{"RebootUnit", func() { c.RebootUnit(chaos.Process, "p-0", simtest.Graceful) }, simtest.DefaultGrace},
			{"Reboot with Grace", func() { c.Reboot("p-0", simtest.Graceful, simtest.Grace(time.Second)) }, time.Second},
		} {
			start := s.Elapsed()
			stop.do()
			assert.Equal(s, stop.want, s.Elapsed()-start, stop.name)
			got := ends.Next()
			if assert.Len(s, got, 1, stop.name) {
				assert.Equal(s, fmt.Sprintf("grace over: p-0 did not stop within %v; killed", stop.want), got[0].Msg, stop.name)
			}
		}
		assert.Equal(s, 5, c.Boots("p-0"))
	}, simtest.Seeds(2), simtest.Chaos(chaos.Off()))
}

// Boot takes its declarations as they are when it is called: a slice of
// them the test goes on to change does not change the factory a later
// boot calls.
func TestBootKeepsItsOwnCopyOfTheDeclarations(t *testing.T) {
	var made []string
	factory := func(tag string) func() simtest.Process {
		return func() simtest.Process { made = append(made, tag); return waitForStop() }
	}
	simtest.Run(t, func(s *simtest.S) {
		made = nil
		groups := []simtest.Processes{{Name: "n", New: factory("declared")}}
		c := s.Boot(groups...)
		groups[0].New = factory("changed afterwards")
		groups[0].SoleCopy = true
		c.Reboot("n-0", simtest.Crash)
		assert.Equal(s, []string{"declared", "declared"}, made)
	}, simtest.Chaos(chaos.Off()), simtest.Replay(1))
}

func TestStopWaitsForAProcessThatARebootTookDown(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		var boots []string
		c := s.Boot(simtest.Processes{Name: "node", New: func() simtest.Process { return diary{&boots} }})
		rebooted := s.Go("reboot", func(ctx context.Context) error {
			_ = s.Providers().Time.Sleep(ctx, time.Second) // node-0 boots first
			c.Reboot("node-0", simtest.Crash, simtest.DownFor(5*time.Second))
			return nil
		})
		s.Sleep(2 * time.Second)
		require.False(s, c.Alive("node-0"), "the other task's reboot has it down")
		from := s.Now()
		c.Stop("node-0", simtest.Crash)
		assert.GreaterOrEqual(s, s.Now().Sub(from), 4*time.Second, "Stop waited for the reboot to end")
		assert.False(s, c.Alive("node-0"))
		assert.Equal(s, 2, c.Boots("node-0"), "booted by the reboot, then stopped")
		c.Start("node-0")
		assert.Equal(s, 3, c.Boots("node-0"))
		require.NoError(s, rebooted.Join(s.Context()))
		s.Sleep(time.Second)
		assert.Equal(s, "node-0: after a crash", boots[len(boots)-1])
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
}

func TestStartOfAProcessARebootTookDownWaitsForIt(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		var boots []string
		c := s.Boot(simtest.Processes{Name: "node", New: func() simtest.Process { return diary{&boots} }})
		rebooted := s.Go("reboot", func(ctx context.Context) error {
			_ = s.Providers().Time.Sleep(ctx, time.Second)
			c.Reboot("node-0", simtest.Graceful, simtest.Grace(time.Second), simtest.DownFor(5*time.Second))
			return nil
		})
		s.Sleep(time.Second + time.Millisecond) // the graceful stop is under way
		c.Start("node-0")
		assert.True(s, c.Alive("node-0"))
		assert.Equal(s, 2, c.Boots("node-0"), "the reboot booted it, and Start did not boot it twice")
		require.NoError(s, rebooted.Join(s.Context()))
		s.Sleep(time.Second)
		assert.Equal(s, 2, c.Boots("node-0"))
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
}

func TestStopOfAStoppedProcessFailsTheTest(t *testing.T) {
	r := runIn("TestStopTwice", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "node", New: waitForStop})
			c.Stop("node-0", simtest.Crash)
			c.Reboot("node-0", simtest.Crash)
		}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	})
	assert.True(t, r.failed)
	assert.Contains(t, r.output(), `Reboot("node-0") on a process that Stop took down; Start it first`)
}

// handRebooter reboots a process by hand, again and again, while attrition
// reboots the cluster's processes too.
type handRebooter struct{ rebooted *int }

func (handRebooter) Setup(context.Context, providers.Providers) error { return nil }
func (w handRebooter) Run(ctx context.Context, p providers.Providers) error {
	c := simtest.ClusterOf(p)
	for range 20 {
		c.Reboot("node-0", simtest.Crash, simtest.DownFor(time.Second))
		*w.rebooted++
		if err := p.Time.Sleep(ctx, 500*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}
func (handRebooter) Check(context.Context, providers.Providers) error { return nil }

func TestRebootsByHandRaceAttritionWithoutFailing(t *testing.T) {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.MaxDead = 2
	cfg.Attrition.Interval = chaos.Range{Min: 100 * time.Millisecond, Max: time.Second}
	rebooted := 0
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "node", Count: 3, New: waitForStop})
		c.Run(simtest.Phases{Chaos: time.Minute}, handRebooter{&rebooted})
	}, simtest.Chaos(cfg), simtest.Seeds(10))
	assert.Equal(t, 10*20, rebooted)
}

// waitsUnderItsOwnDeadline is a process whose task waits under a deadline
// of its host's clock, and never returns.
type waitsUnderItsOwnDeadline struct{}

func (waitsUnderItsOwnDeadline) Run(ctx context.Context, p providers.Providers) error {
	ctx, cancel := p.Time.WithTimeout(ctx, 1000*time.Hour)
	defer cancel()
	if err := p.Time.Sleep(ctx, time.Second); err != nil {
		return err
	}
	// The first deadline is still the one, on the host's clock; in
	// simulated time a host's clock that runs fast makes this one's
	// instant come sooner.
	later, cancelLater := p.Time.WithTimeout(ctx, 1000*time.Hour)
	defer cancelLater()
	p.Task.Go(later, "later", func(ctx context.Context) error {
		return providers.Wait(ctx, p.Task)
	})
	h := p.Task.Go(ctx, "waiter", func(ctx context.Context) error {
		return providers.Wait(ctx, p.Task)
	})
	return h.Join(ctx)
}

// A deadline made by a process's Time provider is on its host's clock,
// which the simulation keeps: a task waiting under it does not wait for
// the wall clock, and the budget's report must not say it does.
func TestAProcessDeadlineIsNotTakenForTheWallClock(t *testing.T) {
	r := runIn("TestHostDeadline", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "p", New: func() simtest.Process { return waitsUnderItsOwnDeadline{} }}).
				Run(simtest.Phases{Chaos: time.Second}, stuck{})
		}, simtest.Seeds(8), simtest.KeepGoing(), simtest.TimeBudget(time.Minute))
	})
	assert.True(t, r.failed)
	assert.Contains(t, r.output(), "time budget exceeded")
	assert.Contains(t, r.output(), `task "p-0/waiter" waits on context`)
	assert.Contains(t, r.output(), `task "p-0/later" waits on context`)
	assert.NotContains(t, r.output(), "wall-clock")
	assert.NotContains(t, r.output(), "wall clock")
}

// failsAfter is a workload whose Run fails after a while.
type failsAfter struct {
	name  string
	after time.Duration
}

func (w failsAfter) Name() string                                   { return w.name }
func (failsAfter) Setup(context.Context, providers.Providers) error { return nil }
func (w failsAfter) Run(ctx context.Context, p providers.Providers) error {
	if err := p.Time.Sleep(ctx, w.after); err != nil {
		return err
	}
	return fmt.Errorf("%s went wrong", w.name)
}
func (failsAfter) Check(context.Context, providers.Providers) error { return nil }

// A workload's Run that fails is reported when it returns, by its task,
// not when the last workload is done: the report's time, and the
// timeline it shows around the first failure, are where the failure is.
func TestAWorkloadsRunFailsWhenItReturns(t *testing.T) {
	r := runIn("TestEarlyFailure", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Boot().Run(simtest.Phases{Chaos: time.Minute},
				failsAfter{name: "early", after: time.Second}, failsAfter{name: "late", after: 20 * time.Second})
		}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	})
	assert.True(t, r.failed)
	out := r.output()
	assert.Contains(t, out, "  1s workload early: ")
	assert.Contains(t, out, "workload early: run: early went wrong")
	assert.Contains(t, out, "  20s workload late: ")
	assert.Contains(t, out, "timeline around the first failure, at 1s ")
	assert.Regexp(t, `1s workload early: cluster_external_test\.go:\d+: workload early: run`, out)
}

// A seed that failed and then got stuck says, in its first line, what
// failed first: the stuck tasks' dump that follows is long, and the
// first error is usually why they are stuck.
func TestAStuckSeedNamesItsFirstErrorFirst(t *testing.T) {
	r := runIn("TestFailedThenStuck", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Boot().Run(simtest.Phases{Chaos: time.Second}, failsAfter{name: "early", after: time.Second}, stuck{})
		}, simtest.Seeds(1), simtest.TimeBudget(time.Minute), simtest.Chaos(chaos.Off()))
	})
	assert.True(t, r.failed)
	first, _, _ := strings.Cut(r.output(), "\n")
	assert.Contains(t, first, "failed: first at 1s workload early: ")
	assert.Contains(t, first, "workload early: run: early went wrong; then: workload workload-1 is still running 59s after the chaos phase ended "+
		"(Phases.Chaos 1s; settle, 5s, and the checks wait for it); then: time budget exceeded")
}

// A Stop's entry in the timeline says stop, for the process stays down
// until a Start; a Reboot's says reboot. Both count as reboots in the
// faults line.
func TestAStopIsToldAsAStop(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		waits := func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				return providers.Wait(ctx, p.Task)
			})
		}
		c := s.Boot(simtest.Processes{Name: "p", New: waits})
		downs := s.Watch("stop", "reboot")
		s.Logf("stop: a line of the test's own, no fault")
		c.Stop("p-0", simtest.Crash)
		c.Start("p-0")
		c.Reboot("p-0", simtest.Crash)
		var msgs []string
		for _, e := range downs.Next() {
			msgs = append(msgs, e.Msg)
		}
		assert.Equal(s, []string{"stop: a line of the test's own, no fault", "stop: p-0 (crash)", "reboot: p-0 (crash)"}, msgs)
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	require.Empty(t, res.Failing(), res.Report)
	assert.Contains(t, res.Report, "faults seen: 2 reboots")
}

// A reboot that a process started ends though that process is crashed
// before its peer is back, and a process can reboot or stop itself: the
// reboot or stop runs to its end, as one by the driver does.
func TestARebootOutlivesTheProcessThatAsked(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target string // whom a-0 reboots, from its first boot
		stop   bool   // Stop rather than Reboot
		crash  bool   // the test crashes a-0 a second in
	}{
		{name: "pauser crashed", target: "srv-0", crash: true},
		{name: "itself", target: "a-0"},
		{name: "stops itself", target: "a-0", stop: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := simtest.Simulate(func(s *simtest.S) {
				tl := s.Timeline()
				c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return &pausable{} }},
					simtest.Processes{Name: "a", New: func() simtest.Process {
						return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
							if p.Cluster.Boot() == providers.FirstBoot {
								c := simtest.ClusterOf(p)
								if tc.stop {
									c.Stop(tc.target, simtest.Graceful, simtest.Grace(time.Second))
								} else {
									c.Reboot(tc.target, simtest.Crash, simtest.DownFor(3*time.Second))
								}
							}
							return p.Time.Sleep(ctx, time.Hour)
						})
					}})
				s.Sleep(time.Second)
				if tc.crash {
					c.Stop("a-0", simtest.Crash)
				}
				s.Sleep(5 * time.Second)
				want := []string{"down: " + tc.target + " (crash)", "boot: " + tc.target + " (after a crash)"}
				if tc.stop {
					want = []string{"down: a-0 (graceful)"}
				} else {
					assert.True(s, c.Alive(tc.target), "the process rebooted is back")
				}
				if tc.crash {
					want = []string{"down: srv-0 (crash)", "down: a-0 (crash)", "boot: srv-0 (after a crash)"}
				}
				assert.Equal(s, want, messages(tl, "down:", "boot: "+tc.target+" (after"))
			}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
			require.True(t, res.OK(), res.Report)
		})
	}
}
