package simtest_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

func TestSoleCopyProcessesAreNeverWiped(t *testing.T) {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.Graceful, cfg.Attrition.Crash, cfg.Attrition.Wipe = 0, 0, 1 // wipes only
	for _, sole := range []bool{false, true} {
		boots := map[providers.Boot]int{}
		res := simtest.Simulate(func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "store", Count: 2, SoleCopy: sole, New: countingBoots(boots)})
			c.Run(simtest.Phases{Chaos: time.Minute})
		}, simtest.Chaos(cfg), simtest.Seeds(3))
		require.True(t, res.OK(), res.Report)
		if sole {
			assert.Zero(t, boots[providers.AfterWipe], "a sole copy is never wiped")
			assert.Positive(t, boots[providers.AfterCrash], "its wipes became crashes")
			assert.Contains(t, res.Report, "; random wipes: none could strike, as every process is SoleCopy or shares its machine (a wipe drawn for one is a crash), Protected or only paused;", "the summary does not announce wipes")
		} else {
			assert.Positive(t, boots[providers.AfterWipe], "without SoleCopy the drawn wipes happen")
			assert.Contains(t, res.Report, "; random wipes: on (a wiped process rejoins with an empty disk: see docs/wipes.md);")
		}
	}
}

func TestDefaultChaosLeavesWipesAndBitFlipsToHarsh(t *testing.T) {
	def, harsh := chaos.Defaults(), chaos.Harsh()
	assert.Zero(t, def.Attrition.Wipe, "no wipes by default")
	assert.Zero(t, def.Network.BitFlipProb, "no bit flips in TCP streams by default")
	assert.Positive(t, harsh.Attrition.Wipe)
	assert.Positive(t, harsh.Network.BitFlipProb)
	assert.NoError(t, harsh.Validate())
}

// rebooter is a workload that reboots a process and dials from another
// host, reaching the cluster only through the providers it is given.
type rebooter struct{ dialed *error }

func (rebooter) Setup(context.Context, providers.Providers) error { return nil }
func (w rebooter) Run(ctx context.Context, p providers.Providers) error {
	c := simtest.ClusterOf(p)
	c.Reboot("server-0", simtest.Crash, simtest.DownFor(time.Second))
	far := c.HostProviders("10.9.9.9")
	conn, err := far.Network.Dial(ctx, "server-0:80")
	if err == nil {
		conn.Close()
	}
	*w.dialed = err
	return nil
}
func (rebooter) Check(context.Context, providers.Providers) error { return nil }

func TestAWorkloadReachesTheClusterThroughItsProviders(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "server", New: listener})
		dialed := assert.AnError
		c.Run(simtest.Phases{Chaos: time.Minute}, rebooter{&dialed})
		assert.Equal(s, 2, c.Boots("server-0"), "the workload rebooted the server")
		assert.NoError(s, dialed, "and dialled it from another host")
		assert.Nil(s, simtest.ClusterOf(s.Providers()), "the driver's own providers have no cluster")
	}, simtest.Chaos(chaos.Off()), simtest.Replay(3))
}

// Clients run as processes stand for the test, not the system: a
// Protected group is never rebooted by attrition, and a process whose Run
// returned is not rebooted to do its work again.
func TestAttritionSparesProtectedAndFinishedProcesses(t *testing.T) {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	for _, protected := range []bool{false, true} {
		var mu sync.Mutex // seeds may run on several workers (-simworkers)
		boots := map[string]int{}
		simtest.Run(t, func(s *simtest.S) {
			sleeper := func(d time.Duration) simtest.Process {
				return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
					mu.Lock()
					boots[p.Cluster.Self().Name]++
					mu.Unlock()
					return p.Time.Sleep(ctx, d)
				})
			}
			c := s.Boot(
				simtest.Processes{Name: "server", Count: 3, New: func() simtest.Process { return sleeper(24 * time.Hour) }},
				simtest.Processes{Name: "client", Protected: protected, New: func() simtest.Process { return sleeper(24 * time.Hour) }},
				simtest.Processes{Name: "batch", New: func() simtest.Process { return sleeper(time.Second) }},
			)
			c.Run(simtest.Phases{Chaos: 5 * time.Minute})
		}, simtest.Chaos(cfg), simtest.Seeds(3))
		assert.Greater(t, boots["server-0"]+boots["server-1"]+boots["server-2"], 3*3, "the servers were rebooted")
		assert.Equal(t, 3, boots["batch-0"], "a process that returned is not run again by a reboot")
		if protected {
			assert.Equal(t, 3, boots["client-0"], "a protected process boots once a seed")
		} else {
			assert.Greater(t, boots["client-0"], 3, "an unprotected one is rebooted")
		}
	}
}

func TestGroupListsAGroupsProcesses(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		idle := func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error { return providers.Wait(ctx, p.Task) })
		}
		c := s.Boot(
			simtest.Processes{Name: "kvd", Count: 3, New: idle},
			simtest.Processes{Name: "kvc", Count: 1, MaxCount: 4, Protected: true, New: idle},
		)
		assert.Equal(s, []string{"kvd-0", "kvd-1", "kvd-2"}, c.Group("kvd"))
		clients := c.Group("kvc")
		assert.Equal(s, len(c.Peers())-3, len(clients), "this seed's count")
		assert.Equal(s, "kvc-0", clients[0])
		assert.Nil(s, c.Group("kv"), "a name that is no group's")
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(5))
}

// A process that shares its machine with another is never wiped by
// attrition by process, as the machine's disk is theirs together: a
// cluster of such processes has no wipe that could strike, and its
// summary says so. An outage of the machine wipes them all, and can.
func TestProcessesThatShareAMachineAreNeverWipedAlone(t *testing.T) {
	for _, outages := range []bool{false, true} {
		cfg := chaos.Off()
		cfg.Attrition = chaos.DefaultAttrition()
		cfg.Attrition.Graceful, cfg.Attrition.Crash, cfg.Attrition.PowerLoss, cfg.Attrition.Wipe = 0, 0, 0, 1 // wipes only
		if outages {
			cfg.Attrition.Outages = chaos.Outages{Unit: chaos.Machine, Interval: chaos.Range{Min: 5 * time.Second, Max: 10 * time.Second}, DownFor: chaos.Range{Min: time.Second, Max: 2 * time.Second}}
		}
		boots := map[providers.Boot]int{}
		res := simtest.Simulate(func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "store", Count: 4, Topology: simtest.Topology{Machines: 2, PerMachine: 2}, New: countingBoots(boots)})
			c.Run(simtest.Phases{Chaos: time.Minute})
		}, simtest.Chaos(cfg), simtest.Seeds(3))
		require.True(t, res.OK(), res.Report)
		if !outages {
			assert.Zero(t, boots[providers.AfterWipe], "a process that shares its machine is never wiped alone")
			assert.Positive(t, boots[providers.AfterCrash], "its wipes became crashes")
			assert.Contains(t, res.Report, "; random wipes: none could strike, as every process is SoleCopy or shares its machine (a wipe drawn for one is a crash), Protected or only paused;", "the summary does not announce wipes")
		} else {
			assert.Positive(t, boots[providers.AfterWipe], "an outage wipes the machine")
			assert.Contains(t, res.Report, "; random wipes: on (a wiped process rejoins with an empty disk: see docs/wipes.md);")
		}
	}
}

// countingBoots makes processes that count their boots by kind in boots,
// then idle.
func countingBoots(boots map[providers.Boot]int) func() simtest.Process {
	return func() simtest.Process {
		return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
			boots[p.Cluster.Boot()]++
			return p.Time.Sleep(ctx, 24*time.Hour)
		})
	}
}
