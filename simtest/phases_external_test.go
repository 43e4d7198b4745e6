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

// dialer is a workload that dials a process in Setup and in Run, and keeps
// what each dial gave.
type dialer struct{ setupErr, runErr *error }

func (d dialer) Setup(ctx context.Context, p providers.Providers) error {
	*d.setupErr = dial(ctx, p)
	return nil
}

func (d dialer) Run(ctx context.Context, p providers.Providers) error {
	*d.runErr = dial(ctx, p)
	return nil
}

func (dialer) Check(context.Context, providers.Providers) error { return nil }

func dial(ctx context.Context, p providers.Providers) error {
	ctx, cancel := p.Time.WithTimeout(ctx, time.Second)
	defer cancel()
	c, err := p.Network.Dial(ctx, "server-0:80")
	if err == nil {
		c.Close()
	}
	return err
}

// listener is a process that accepts connections until it is stopped.
func listener() simtest.Process {
	return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
		l, err := p.Network.Listen(ctx, ":80")
		if err != nil {
			return err
		}
		defer l.Close()
		p.Task.Go(ctx, "closer", func(ctx context.Context) error {
			_ = providers.Wait(ctx, p.Task)
			return l.Close()
		})
		for {
			c, err := l.Accept()
			if err != nil {
				return nil
			}
			c.Close()
		}
	})
}

func TestSetupRunsWithoutFaults(t *testing.T) {
	net := chaos.NoNetworkFaults()
	net.ConnectFailProb = 1 // every dial fails, while faults are on
	cfg := chaos.Off()
	cfg.Network = net
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "server", New: listener})
		var setupErr, runErr error
		c.Run(simtest.Phases{Chaos: time.Second, Settle: time.Millisecond}, dialer{&setupErr, &runErr})
		assert.NoError(s, setupErr, "Setup's dial sees no fault")
		assert.Error(s, runErr, "Run's dial sees the faults")
	}, simtest.Chaos(cfg), simtest.Seeds(5))
}

func TestClusterRunWithoutWorkloadsKeepsChaosForThePhase(t *testing.T) {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.Enabled = true
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "server", New: listener})
		start := s.Elapsed()
		c.Run(simtest.Phases{Chaos: time.Minute, Settle: time.Second})
		assert.GreaterOrEqual(s, s.Elapsed()-start, time.Minute+time.Second, "the chaos phase lasts its length")
		assert.Greater(s, c.Boots("server-0"), 1, "attrition rebooted the server during the phase")
	}, simtest.Chaos(cfg), simtest.Seeds(5))
}

func TestClusterJoinWaitsForAProcessToEnd(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(
			simtest.Processes{Name: "batch", New: func() simtest.Process {
				return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
					return p.Time.Sleep(ctx, 3*time.Second) // then done, by design
				})
			}},
			simtest.Processes{Name: "server", New: listener},
		)
		require.NoError(s, c.Join(s.Context(), "batch-0"), "Join gives the error Run returned")
		assert.Equal(s, 3*time.Second, s.Elapsed())

		s.Go("crasher", func(ctx context.Context) error {
			s.Sleep(time.Second)
			c.Stop("server-0", simtest.Crash)
			return nil
		})
		assert.ErrorIs(s, c.Join(s.Context(), "server-0"), simtest.ErrKilled)
		assert.NoError(s, c.Join(s.Context(), "server-0"), "a process that is down has nothing to wait for")

		c.Start("server-0")
		s.Go("stopper", func(ctx context.Context) error {
			s.Sleep(time.Second)
			c.Stop("server-0", simtest.Graceful, simtest.Grace(time.Second))
			return nil
		})
		assert.NoError(s, c.Join(s.Context(), "server-0"), "a graceful stop that returns in time is a return")
	}, simtest.Chaos(chaos.Off()), simtest.Replay(1))
}

func TestNetworkAndStorageOptionsOverrideChaosInAnyOrder(t *testing.T) {
	net := chaos.NoNetworkFaults()
	net.ClogProb, net.ClogDuration.Min, net.ClogDuration.Max = 0.5, time.Millisecond, time.Second
	store := chaos.NoStorageFaults()
	store.SyncFailureProb = 0.25
	configs := map[string]chaos.Config{}
	for name, opts := range map[string][]simtest.Option{
		"chaos first": {simtest.Chaos(chaos.Off()), simtest.Network(net), simtest.Storage(store)},
		"chaos last":  {simtest.Network(net), simtest.Storage(store), simtest.Chaos(chaos.Off())},
	} {
		simtest.Run(t, func(s *simtest.S) { configs[name] = s.ChaosConfig() }, append(opts, simtest.Replay(1))...)
	}
	require.Len(t, configs, 2)
	assert.Equal(t, configs["chaos first"], configs["chaos last"])
	assert.Equal(t, 0.5, configs["chaos last"].Network.ClogProb)
	assert.Equal(t, 0.25, configs["chaos last"].Storage.SyncFailureProb)
	assert.False(t, configs["chaos last"].Attrition.Enabled, "the rest is chaos.Off's")
}

func TestASecondBootAddsToTheCluster(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "server", New: listener})
		s.Sleep(time.Second)
		var dialed error = assert.AnError
		c2 := s.Boot(simtest.Processes{Name: "client", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				dialed = dial(ctx, p)
				return p.Time.Sleep(ctx, time.Hour)
			})
		}})
		assert.Same(s, c, c2, "one cluster")
		assert.Len(s, c.Peers(), 2)
		s.Sleep(time.Second)
		assert.NoError(s, dialed, "the client booted later reached the server booted first")
		assert.Equal(s, 1, c.Boots("server-0"), "the first group was not booted again")
	}, simtest.Chaos(chaos.Off()), simtest.Replay(1))
}

// counterProc counts its boots' seconds; an invariant reads it.
type counterProc struct{ ticks int }

func (c *counterProc) Run(ctx context.Context, p providers.Providers) error {
	for p.Time.Sleep(ctx, time.Second) == nil {
		c.ticks++
	}
	return nil
}

func TestClusterInstanceReachesTheRunningProcess(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "n", Count: 2, New: func() simtest.Process { return &counterProc{} }})
		s.Invariant("a process never counts past the time it has run", func() error {
			if n := simtest.InstanceOf[*counterProc](c, "n-1").ticks; time.Duration(n)*time.Second > s.Elapsed() {
				return fmt.Errorf("%d ticks at %v", n, s.Elapsed())
			}
			return nil
		})
		s.Sleep(3500 * time.Millisecond)
		assert.Equal(s, 3, c.Instance("n-0").(*counterProc).ticks)
		first := c.Instance("n-0")
		c.Reboot("n-0", simtest.Crash, simtest.DownFor(time.Second))
		assert.NotSame(s, first, c.Instance("n-0"), "a reboot makes a new instance")
		assert.Same(s, c.Instance("n-0"), simtest.InstanceOf[*counterProc](c, "n-0"))
	}, simtest.Chaos(chaos.Off()), simtest.Replay(1))
}

// InstanceOf of a process whose instance is of another type is a
// configuration error that names both types.
func TestInstanceOfAnotherTypeIsAConfigurationError(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "n", New: func() simtest.Process { return &counterProc{} }})
		_ = simtest.InstanceOf[*diary](c, "n-0")
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	require.False(t, res.OK())
	assert.Contains(t, res.Report, `configuration error: InstanceOf[*simtest_test.diary](c, "n-0"): the process's instance is a *simtest_test.counterProc; ask for that type`)

	// One whose New returned nil is told so, as its boot would tell it.
	res = simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "n", New: func() simtest.Process { return nil }})
		_ = simtest.InstanceOf[*diary](c, "n-0")
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	require.False(t, res.OK())
	assert.Contains(t, res.Report, `configuration error: InstanceOf[*simtest_test.diary](c, "n-0"): New returned nil for it; return a Process`)
}

func TestNewForIsToldWhichProcessItMakes(t *testing.T) {
	var made []simtest.ProcessID
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "db", Count: 2, Hosts: []string{"10.0.0.1", "10.0.0.2"},
			NewFor: func(id simtest.ProcessID) simtest.Process {
				made = append(made, id)
				return &counterProc{}
			}})
		s.Sleep(time.Second)
		c.Reboot("db-1", simtest.Crash, simtest.DownFor(time.Second))
	}, simtest.Chaos(chaos.Off()), simtest.Replay(1))
	assert.Equal(t, []simtest.ProcessID{
		{Name: "db-0", Index: 0, Host: "10.0.0.1", Boot: 1},
		{Name: "db-1", Index: 1, Host: "10.0.0.2", Boot: 1},
		{Name: "db-1", Index: 1, Host: "10.0.0.2", Boot: 2},
	}, made)
}
