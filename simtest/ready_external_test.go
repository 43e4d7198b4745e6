package simtest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// catchingUp is a process that, on every boot but the first, is not
// ready for its first catchUp of simulated time.
func catchingUp(catchUp time.Duration) simtest.Process {
	return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
		if p.Cluster.Boot() != providers.FirstBoot {
			providers.SetNotReady(p.Cluster, "catching up")
			if err := p.Time.Sleep(ctx, catchUp); err != nil {
				return nil
			}
			providers.SetReady(p.Cluster)
		}
		return providers.Wait(ctx, p.Task)
	})
}

func TestAttritionCountsProcessesThatAreNotReadyAsDown(t *testing.T) {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition() // MaxDead 1
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "replica", Count: 3, New: func() simtest.Process { return catchingUp(20 * time.Second) }})
		worst := 0
		s.Invariant("at most one replica is down or not ready", func() error {
			n := 0
			for _, p := range c.Peers() {
				if ready, _ := c.Ready(p.Name); !ready {
					n++
				}
			}
			worst = max(worst, n)
			if n > 1 {
				return fmt.Errorf("%d replicas are down or not ready", n)
			}
			return nil
		})
		c.Run(simtest.Phases{Chaos: 2 * time.Minute, Settle: 30 * time.Second})
		assert.Equal(s, 1, worst, "attrition took replicas down")
	}, simtest.Chaos(cfg), simtest.Seeds(10))
	assert.Zero(t, res.Failed, res.Report)
}

func TestANotReadyFlagNeverSetBackIsNamed(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "stuck", Count: 2, New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				if p.Cluster.Self().Name == "stuck-1" {
					providers.SetNotReady(p.Cluster, "waiting for a snapshot")
				}
				return providers.Wait(ctx, p.Task)
			})
		}})
		c.Run(simtest.Phases{Chaos: time.Second, Settle: time.Second})
		ready, why := c.Ready("stuck-1")
		assert.False(s, ready)
		assert.Equal(s, "waiting for a snapshot", why)
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1))
	require.Equal(t, 1, res.Failed)
	assert.Contains(t, res.Report, "process stuck-1 said it was not ready (waiting for a snapshot) at 0s and was still not ready after 1s of quiet settling")
	assert.Contains(t, res.Report, "Call providers.SetReady(p.Cluster) once it serves again")
	assert.NotContains(t, res.Report, "process stuck-0 said", "only the one never ready again")
	assert.Contains(t, res.Report, "not ready: waiting for a snapshot", "the timeline has it")
}

func TestAGroupNotReadyAllAtOnceIsToldItMayWaitOnItself(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "jq", Count: 3, New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				providers.SetNotReady(p.Cluster, "catching up from a peer")
				return providers.Wait(ctx, p.Task)
			})
		}})
		c.Run(simtest.Phases{Chaos: time.Second, Settle: time.Second})
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1))
	require.Equal(t, 1, res.Failed)
	for _, name := range []string{"jq-0", "jq-1", "jq-2"} {
		assert.Contains(t, res.Report, "process "+name+" said it was not ready (catching up from a peer) at 0s and was still not ready after 1s of quiet settling, "+
			"as were all 3 processes of jq at once: each may be waiting on another to be ready")
	}
	assert.NotContains(t, res.Report, "lengthen Phases.Settle", "a longer settle does not end a wait on each other")
}

func TestReadinessIsPerBoot(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		var first providers.Cluster
		c := s.Boot(simtest.Processes{Name: "p", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				if first == nil {
					first = p.Cluster
					providers.SetNotReady(p.Cluster, "booting")
				}
				return providers.Wait(ctx, p.Task)
			})
		}})
		s.Sleep(time.Second)
		ready, _ := providers.Ready(first)
		assert.False(s, ready)
		c.Reboot("p-0", simtest.Crash, simtest.DownFor(time.Second))
		ready, _ = c.Ready("p-0")
		assert.True(s, ready, "a new boot starts ready")
		providers.SetNotReady(first, "a dead instance")
		ready, _ = c.Ready("p-0")
		assert.True(s, ready, "an older boot's view changes nothing")
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1))
	assert.Zero(t, res.Failed, res.Report)
}

func TestUnitAttritionCountsAUnitWithAProcessNotReadyAsDown(t *testing.T) {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition() // MaxDead 1
	cfg.Attrition.Unit = chaos.Zone
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "replica", Count: 3, Topology: simtest.Topology{Zones: 3},
			New: func() simtest.Process { return catchingUp(20 * time.Second) }})
		worst := 0
		s.Invariant("at most one zone has a replica down or not ready", func() error {
			zones := map[string]bool{}
			for _, p := range c.Peers() {
				if ready, _ := c.Ready(p.Name); !ready {
					zones[p.Locality.Zone] = true
				}
			}
			worst = max(worst, len(zones))
			if len(zones) > 1 {
				return fmt.Errorf("%d zones have a replica down or not ready", len(zones))
			}
			return nil
		})
		c.Run(simtest.Phases{Chaos: 2 * time.Minute, Settle: 30 * time.Second})
		assert.Equal(s, 1, worst, "attrition took zones down")
	}, simtest.Chaos(cfg), simtest.Seeds(10))
	assert.Zero(t, res.Failed, res.Report)
}

// TestWaitReadyKeepsARollingRestartWithinOneDown checks that a rolling
// restart that waits for the whole group to be ready before each reboot
// never has two replicas down or not ready at once, while attrition takes
// one down now and then, and that the same restart without the wait does.
func TestWaitReadyKeepsARollingRestartWithinOneDown(t *testing.T) {
	run := func(wait bool) simtest.Result {
		cfg := chaos.Off()
		cfg.Attrition = chaos.DefaultAttrition() // MaxDead 1
		return simtest.Simulate(func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "replica", Count: 3, New: func() simtest.Process { return catchingUp(5 * time.Second) }})
			s.Invariant("at most one replica is down or not ready", func() error {
				n := 0
				for _, p := range c.Peers() {
					if ready, _ := c.Ready(p.Name); !ready {
						n++
					}
				}
				if n > 1 {
					return fmt.Errorf("%d replicas are down or not ready", n)
				}
				return nil
			})
			c.Inject(simtest.Injector{Name: "rolling restart", Hold: true, Run: func(ctx context.Context, f *simtest.Faults) error {
				for round := 0; round < 4; round++ {
					for _, name := range f.Cluster().Group("replica") {
						if wait {
							if err := f.Cluster().WaitReady(ctx); err != nil {
								return nil
							}
						}
						f.Cluster().Reboot(name, simtest.Graceful, simtest.DownFor(time.Second))
					}
				}
				return nil
			}})
			c.Run(simtest.Phases{Chaos: 2 * time.Minute, Settle: 10 * time.Second})
		}, simtest.Chaos(cfg), simtest.Seeds(20), simtest.KeepGoing())
	}
	res := run(true)
	assert.Zero(t, res.Failed, res.Report)
	res = run(false)
	assert.NotZero(t, res.Failed, "without the wait, a reboot while another replica catches up takes two down: %s", res.Report)
}

// A paused process is up and ready, but serves nothing until it resumes:
// WaitReady waits for the resume, as attrition counts it down meanwhile.
func TestWaitReadyWaitsForAPausedProcessToResume(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 2, New: func() simtest.Process { return catchingUp(0) }})
		s.Sleep(time.Second)
		paused := s.Go("pause", func(ctx context.Context) error {
			c.Pause("p-1", 3*time.Second)
			return nil
		})
		s.Sleep(time.Millisecond)
		start := s.Elapsed()
		require.NoError(s, c.WaitReady(s.Context()))
		assert.GreaterOrEqual(s, s.Elapsed()-start, 2*time.Second, "waited for p-1's resume")
		require.NoError(s, paused.Join(s.Context()))
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1))
	assert.Zero(t, res.Failed, res.Report)
}

func TestWaitReadyEndsWithItsContext(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 2, New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error { return providers.Wait(ctx, p.Task) })
		}})
		assert.NoError(s, c.WaitReady(s.Context()), "all up and ready")
		c.Stop("p-1", simtest.Graceful)
		ctx, cancel := s.Providers().Time.WithTimeout(s.Context(), time.Second)
		defer cancel()
		start := s.Now()
		assert.ErrorIs(s, c.WaitReady(ctx, "p-0", "p-1"), context.DeadlineExceeded, "p-1 is stopped until its Start")
		assert.Equal(s, time.Second, s.Now().Sub(start))
		assert.NoError(s, c.WaitReady(s.Context(), "p-0"), "p-0 alone is up")
		c.Start("p-1")
		assert.NoError(s, c.WaitReady(s.Context()))
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1))
	assert.Zero(t, res.Failed, res.Report)
}

// loaded is a process whose Run builds the state an invariant reads: at
// once, or, slow, over a wait it is not ready for.
type loaded struct {
	slow  bool
	total int
}

func (l *loaded) Run(ctx context.Context, p providers.Providers) error {
	if l.slow {
		providers.SetNotReady(p.Cluster, "loading")
		if err := p.Time.Sleep(ctx, 10*time.Millisecond); err != nil {
			return nil
		}
	}
	l.total = 600
	providers.SetReady(p.Cluster)
	return providers.Wait(ctx, p.Task)
}

// An invariant is not judged between a process's boot and the first step
// of its Run, where the instance is the empty one its factory just made:
// guarded by Alive, when Run builds its state before it first waits, or
// by Ready, which Run's first line sets false while it loads, it never
// reads that instance, at the first boot or at attrition's reboots.
func TestInvariantsWaitForABootsRunToBegin(t *testing.T) {
	for name, tc := range map[string]struct {
		slow  bool
		guard func(c *simtest.Cluster) bool
	}{
		"Alive": {false, func(c *simtest.Cluster) bool { return c.Alive("shard-0") }},
		"Ready": {true, func(c *simtest.Cluster) bool { ready, _ := c.Ready("shard-0"); return ready }},
	} {
		guard := tc.guard
		cfg := chaos.Off()
		cfg.Attrition = chaos.DefaultAttrition()
		judged := 0
		res := simtest.Simulate(func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "shard", New: func() simtest.Process { return &loaded{slow: tc.slow} }})
			s.Invariant("money is conserved", func() error {
				if !guard(c) {
					return simtest.SkipCheck
				}
				judged++
				if got := simtest.InstanceOf[*loaded](c, "shard-0").total; got != 600 {
					return fmt.Errorf("the accounts hold %d, not 600", got)
				}
				return nil
			})
			c.Run(simtest.Phases{Chaos: 30 * time.Second, Settle: time.Second})
		}, simtest.Chaos(cfg), simtest.Seeds(5), simtest.KeepGoing(), simtest.KeepFailures(false))
		assert.Zero(t, res.Failed, "guarded by %s: %s", name, res.Report)
		assert.NotZero(t, judged, name)
	}
}
