package simtest_test

import (
	"context"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

func TestTopologyPlacesProcessesAndTellsThem(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		told := map[string]providers.Locality{}
		seen := map[string]providers.Locality{}
		c := s.Boot(simtest.Processes{
			Name: "store", Count: 5,
			Topology: simtest.Topology{DataCenters: 2, Zones: 2, PerMachine: 2},
			NewFor: func(id simtest.ProcessID) simtest.Process {
				told[id.Name] = id.Locality
				return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
					seen[p.Cluster.Self().Name] = p.Cluster.Self().Locality
					return providers.Wait(ctx, p.Task)
				})
			},
		}, simtest.Processes{Name: "client", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error { return providers.Wait(ctx, p.Task) })
		}})
		s.Sleep(time.Second)
		at := func(dc, zone, m string) providers.Locality {
			return providers.Locality{DataCenter: dc, Zone: dc + "-" + zone, Machine: dc + "-" + zone + "-" + m}
		}
		want := map[string]providers.Locality{
			"store-0": at("dc0", "z0", "m0"), "store-1": at("dc0", "z0", "m0"),
			"store-2": at("dc0", "z1", "m0"), "store-3": at("dc0", "z1", "m0"),
			"store-4": at("dc1", "z0", "m0"),
		}
		assert.Equal(s, want, seen, "each process reads its locality from its providers")
		assert.Equal(s, want, told, "NewFor is told it")
		for _, p := range c.Peers() {
			assert.Equal(s, want[p.Name], p.Locality, "Peers carries it; a process no Topology placed has none")
		}
		assert.Equal(s, []string{"dc0-z0-m0", "dc0-z1-m0", "dc1-z0-m0", "client-0"}, c.Units(chaos.Machine))
		assert.Equal(s, []string{"dc0-z0", "dc0-z1", "dc1-z0", "client-0"}, c.Units(chaos.Zone))
		assert.Equal(s, []string{"dc0", "dc1", "client-0"}, c.Units(chaos.DataCenter))
		assert.Equal(s, []string{"store-0", "store-1", "store-2", "store-3"}, c.ProcessesIn(chaos.DataCenter, "dc0"))
	}, simtest.Seeds(2), simtest.Chaos(chaos.Off()))
}

// writer is a process that writes, under its own name on its disk, one
// synced and one unsynced file, then keeps writing a line a second to a
// file it holds open, and fails if a write fails.
func writer() simtest.Process {
	return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
		self := p.Cluster.Self().Name
		if f, err := p.Storage.Create(self + ".synced"); err == nil {
			_, _ = f.Write([]byte("kept"))
			_ = f.Sync()
			_ = f.Close()
		}
		if f, err := p.Storage.Create(self + ".unsynced"); err == nil {
			_, _ = f.Write([]byte("maybe"))
			_ = f.Close()
		}
		f, err := p.Storage.Create(self + ".log")
		if err != nil {
			return err
		}
		for {
			if err := p.Time.Sleep(ctx, time.Second); err != nil {
				return nil
			}
			if _, err := f.Write([]byte("tick\n")); err != nil {
				return err
			}
		}
	})
}

func TestMachineSharesItsDiskAndItsFate(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 4, Topology: simtest.Topology{Machines: 2, PerMachine: 2}, New: writer})
		s.Sleep(1500 * time.Millisecond)
		m0 := "dc0-z0-m0"
		require.Equal(s, []string{"p-0", "p-1"}, c.ProcessesIn(chaos.Machine, m0))
		assert.Equal(s, "kept", readFile(s, m0, "p-1.synced"), "the machine's processes share its disk, at its name")

		c.Stop("p-0", simtest.Crash)
		assert.True(s, c.Alive("p-1"), "a process's crash leaves its machine running")
		assert.Equal(s, "maybe", readFile(s, m0, "p-0.unsynced"), "and its disk as it was")
		s.Sleep(2 * time.Second) // p-1 goes on writing to its open file
		c.Start("p-0")
		s.Sleep(time.Second)

		done := make(chan struct{}) // closed by the reboot's task; read after Join
		h := s.Go("reboot", func(ctx context.Context) error {
			c.RebootUnit(chaos.Machine, m0, simtest.PowerLoss, simtest.DownFor(5*time.Second))
			close(done)
			return nil
		})
		s.Sleep(time.Second)
		assert.False(s, c.Alive("p-0"))
		assert.False(s, c.Alive("p-1"), "a machine's power loss takes every process on it")
		assert.True(s, c.Alive("p-2"))
		assert.NotEqual(s, "maybe", readFile(s, m0, "p-1.unsynced"), "and what they did not sync")
		assert.Equal(s, "kept", readFile(s, m0, "p-1.synced"))
		require.NoError(s, h.Join(s.Context()))
		<-done
		assert.True(s, c.Alive("p-0") && c.Alive("p-1"), "the machine is back after recovery")
		assert.Equal(s, 3, c.Boots("p-0"))
		assert.Equal(s, 2, c.Boots("p-1"))
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
}

func TestAMachinesProcessesReadItsOneClock(t *testing.T) {
	var apart int // seeds in which two machines' clocks differed
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 4, Topology: simtest.Topology{Machines: 2, PerMachine: 2},
			New: func() simtest.Process {
				return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error { return providers.Wait(ctx, p.Task) })
			}})
		// Every clock is read at one simulated instant: no task runs
		// between the reads.
		clocks := func() map[string]time.Time {
			now := map[string]time.Time{}
			for _, peer := range c.Peers() {
				now[peer.Name] = s.HostProviders(peer.Host).Time.Now()
			}
			return now
		}
		s.Sleep(time.Second)
		now := clocks()
		assert.Equal(s, now["p-0"], now["p-1"], "p-0 and p-1 share machine dc0-z0-m0")
		assert.Equal(s, now["p-2"], now["p-3"], "p-2 and p-3 share machine dc0-z0-m1")
		if !now["p-0"].Equal(now["p-2"]) {
			apart++
		}
		c.Stop("p-0", simtest.Crash)
		c.Start("p-0")
		c.RebootUnit(chaos.Machine, "dc0-z0-m1", simtest.PowerLoss)
		s.Sleep(time.Second)
		now = clocks()
		assert.Equal(s, now["p-0"], now["p-1"], "after p-0's reboot alone")
		assert.Equal(s, now["p-2"], now["p-3"], "after the machine's power loss")
	}, simtest.Seeds(8), simtest.Chaos(chaos.Config{Network: chaos.Network{MaxClockSkew: 50 * time.Millisecond, MaxClockDrift: 1e-4}}))
	assert.Positive(t, apart, "two machines read clocks of their own")
}

// downWatch is a workload that notes, often, how many units of a kind and
// how many processes are down at once.
type downWatch struct {
	c                 *simtest.Cluster
	unit              func(providers.Peer) string
	maxUnits, maxProc int
}

func (w *downWatch) Setup(context.Context, providers.Providers) error { return nil }
func (w *downWatch) Check(context.Context, providers.Providers) error { return nil }
func (w *downWatch) Run(ctx context.Context, p providers.Providers) error {
	for range 1200 { // the chaos phase, a minute
		units := map[string]bool{}
		procs := 0
		for _, peer := range w.c.Peers() {
			if !w.c.Alive(peer.Name) {
				units[w.unit(peer)] = true
				procs++
			}
		}
		w.maxUnits, w.maxProc = max(w.maxUnits, len(units)), max(w.maxProc, procs)
		if err := p.Time.Sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

func TestAttritionByUnitCountsUnits(t *testing.T) {
	for _, tc := range []struct {
		unit     chaos.Unit
		of       func(providers.Peer) string
		topology simtest.Topology
		procs    int // in a unit
	}{
		{chaos.Zone, func(p providers.Peer) string { return p.Locality.Zone }, simtest.Topology{Zones: 3, Machines: 2}, 2},
		{chaos.Machine, func(p providers.Peer) string { return p.Locality.Machine }, simtest.Topology{Machines: 3, PerMachine: 2}, 2},
		{chaos.DataCenter, func(p providers.Peer) string { return p.Locality.DataCenter }, simtest.Topology{DataCenters: 2, Zones: 3}, 3},
	} {
		t.Run(tc.unit.String(), func(t *testing.T) {
			var maxUnits, maxProc int
			simtest.Run(t, func(s *simtest.S) {
				c := s.Boot(simtest.Processes{Name: "p", Count: 6, Topology: tc.topology, New: writer})
				w := &downWatch{c: c, unit: tc.of}
				c.Run(simtest.Phases{Chaos: time.Minute}, w)
				maxUnits, maxProc = max(maxUnits, w.maxUnits), max(maxProc, w.maxProc)
				for _, p := range c.Peers() {
					assert.True(s, c.Alive(p.Name), "every process is back after quiesce")
				}
			}, simtest.Seeds(4), simtest.Chaos(func() chaos.Config {
				cfg := chaos.Off()
				cfg.Attrition = chaos.DefaultAttrition()
				cfg.Attrition.Unit = tc.unit
				return cfg
			}()))
			assert.Equal(t, 1, maxUnits, "MaxDead counts units: one down at a time")
			assert.Equal(t, tc.procs, maxProc, "a unit's reboot takes all its processes")
		})
	}
}

// attrition is chaos.Off with attrition by unit u, at most maxDead down.
func attrition(u chaos.Unit, maxDead int) simtest.Option {
	c := chaos.Off()
	c.Attrition = chaos.DefaultAttrition()
	c.Attrition.Unit, c.Attrition.MaxDead = u, maxDead
	return simtest.Chaos(c)
}

// Every impossible topology, and every unit a reboot cannot take, is a
// configuration error: it names the field or call and the fix, ends the
// Run at the first seed that meets it (even one that keeps going past
// failing seeds), and keeps no seed. What the options alone say is
// checked before any seed runs; what the body declares, when it declares
// it, before the processes it declares boot.
func TestTopologyBadInputIsAConfigurationError(t *testing.T) {
	pair := simtest.Topology{PerMachine: 2} // a-0 and a-1 share machine dc0-z0-m0
	cases := []struct {
		name string
		body func(s *simtest.S)
		opts []simtest.Option
		want string // the error, as the report gives it
		runs int    // bodies run: 0 for an error the options alone show
	}{
		{"negative zones", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", New: writer, Topology: simtest.Topology{Zones: -1}})
		}, nil, `simtest: configuration error: Processes "a": Topology.Zones is -1; a count is zero (meaning one) or more`, 1},
		{"negative per machine", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", New: writer, Topology: simtest.Topology{Machines: 2, PerMachine: -3}})
		}, nil, `simtest: configuration error: Processes "a": Topology.PerMachine is -3; a count is zero (meaning one) or more`, 1},
		{"too small for MaxCount", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", Count: 2, MaxCount: 7, New: writer, Topology: simtest.Topology{Zones: 3, Machines: 2}})
		}, nil, `simtest: configuration error: Processes "a" has up to 7 processes (Count, MaxCount) but its Topology holds 6 (DataCenters 1 × Zones 3 × Machines 2 × PerMachine 1); ` +
			`raise a count of the Topology, or lower Count and MaxCount`, 1},
		{"host named as a machine", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", New: writer, Topology: simtest.Topology{Zones: 1}},
				simtest.Processes{Name: "b", New: writer, Hosts: []string{"dc0-z0-m0"}})
		}, nil, `simtest: configuration error: Processes "b" places b-0 on host "dc0-z0-m0", the name of a machine of a Topology; give b-0 another host (Processes.Hosts)`, 1},
		{"machine named as a host", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "b", New: writer, Hosts: []string{"dc0-z0-m0"}},
				simtest.Processes{Name: "a", New: writer, Topology: simtest.Topology{Zones: 1}})
		}, nil, `simtest: configuration error: Processes "a" places a-0 on machine "dc0-z0-m0", which is the host of b-0, and a host alone is a machine of its own; ` +
			`give b-0 another host (Processes.Hosts)`, 1},
		{"too few hosts for MaxCount", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", Count: 1, MaxCount: 3, New: writer, Hosts: []string{"h1", "h2"}})
		}, nil, `simtest: configuration error: Processes "a" has 2 Hosts for up to 3 processes (Count, MaxCount); give one host per process`, 1},
		{"a host shared past the count a seed draws", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", Count: 1, MaxCount: 3, New: writer, Hosts: []string{"h1", "h2", "h3"}})
			s.Boot(simtest.Processes{Name: "b", New: writer, Hosts: []string{"h3"}})
		}, nil, `simtest: configuration error: processes a-2 and b-0 share the host "h3"; give each process its own (Processes.Hosts)`, 1},
		{"a machine named as a host past the count a seed draws", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", Count: 1, MaxCount: 2, New: writer, Topology: simtest.Topology{Machines: 2}},
				simtest.Processes{Name: "b", New: writer, Hosts: []string{"dc0-z0-m1"}})
		}, nil, `simtest: configuration error: Processes "b" places b-0 on host "dc0-z0-m1", the name of a machine of a Topology; give b-0 another host (Processes.Hosts)`, 1},
		{"MaxDead above the zones", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", Count: 4, New: writer, Topology: simtest.Topology{Zones: 2, Machines: 2}}).Run(simtest.Phases{})
		}, []simtest.Option{attrition(chaos.Zone, 3)},
			`simtest: configuration error: Attrition.MaxDead is 3 but the cluster has 2 zones ([dc0-z0 dc0-z1]) and Attrition.Unit is chaos.Zone; ` +
				`lower MaxDead to at most 2, or place the processes in more zones (Processes.Topology)`, 1},
		{"MaxDead above the zones, in a seed that reboots nothing", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", Count: 4, New: writer, Topology: simtest.Topology{Zones: 2, Machines: 2}}).Run(simtest.Phases{})
		}, []simtest.Option{func() simtest.Option {
			c := chaos.Off()
			c.Attrition = chaos.DefaultAttrition()
			c.Attrition.Unit, c.Attrition.MaxDead = chaos.Zone, 3
			c.Swarm = true // attrition is off in some seeds: in the first five of this base
			return simtest.Chaos(c)
		}(), simtest.BaseSeed(7)},
			`simtest: configuration error: Attrition.MaxDead is 3 but the cluster has 2 zones ([dc0-z0 dc0-z1]) and Attrition.Unit is chaos.Zone; ` +
				`lower MaxDead to at most 2, or place the processes in more zones (Processes.Topology)`, 1},
		{"every zone holds a protected process", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", Count: 6, New: writer, Topology: simtest.Topology{Zones: 3, Machines: 2}},
				simtest.Processes{Name: "client", Count: 3, Protected: true, New: writer, Topology: simtest.Topology{Zones: 3}}).Run(simtest.Phases{})
		}, []simtest.Option{attrition(chaos.Zone, 1)},
			`simtest: configuration error: Attrition.Unit is chaos.Zone but every zone holds a protected process (dc0-z0: client-0; dc0-z1: client-1; dc0-z2: client-2), ` +
				`and attrition never picks a zone that holds one: it could reboot nothing; boot the protected processes (Processes.Protected) with no Topology, each then a unit of its own, ` +
				`or set Attrition.Unit to chaos.Process, or reboot zones from an injector (Cluster.Inject), whose reboots reach protected processes; ` +
				`a client that must be in a zone runs from the test on a host that S.HostProvidersIn places there, which attrition never picks`, 1},
		{"every machine holds a protected process, in a seed that reboots nothing", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", Count: 2, New: writer, Topology: pair},
				simtest.Processes{Name: "client", Protected: true, New: writer, Topology: pair}).Run(simtest.Phases{})
		}, []simtest.Option{func() simtest.Option {
			c := chaos.Off()
			c.Attrition = chaos.DefaultAttrition()
			c.Attrition.Unit = chaos.Machine
			c.Swarm = true // attrition is off in some seeds: in the first five of this base
			return simtest.Chaos(c)
		}(), simtest.BaseSeed(7)},
			`simtest: configuration error: Attrition.Unit is chaos.Machine but every machine holds a protected process (dc0-z0-m0: client-0), ` +
				`and attrition never picks a machine that holds one: it could reboot nothing; boot the protected processes (Processes.Protected) with no Topology, each then a unit of its own, ` +
				`or set Attrition.Unit to chaos.Process, or reboot machines from an injector (Cluster.Inject), whose reboots reach protected processes; ` +
				`a client that must be in a zone runs from the test on a host that S.HostProvidersIn places there, which attrition never picks`, 1},
		{"MaxDead above the processes", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", Count: 2, New: writer, Topology: pair}).Run(simtest.Phases{})
		}, []simtest.Option{attrition(chaos.Process, 3)},
			`simtest: configuration error: Attrition.MaxDead is 3 but the cluster has 2 processes; lower MaxDead to at most 2, or boot more processes`, 1},
		{"attrition by no unit", func(s *simtest.S) {}, []simtest.Option{attrition(chaos.Unit(7), 1)},
			`simtest.Chaos: chaos: Attrition.Unit is Unit(7); use chaos.Process, chaos.Machine, chaos.Zone or chaos.DataCenter`, 0},
		{"reboot of no such zone", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", Count: 2, New: writer, Topology: pair}).RebootUnit(chaos.Zone, "z9", simtest.Crash)
		}, nil, `simtest: configuration error: Cluster.RebootUnit(zone, "z9", crash, ...): the cluster has no zone named "z9"; its zones are [dc0-z0] (Cluster.Units(chaos.Zone) lists them); ` +
			`name one of those, or place the processes with Processes.Topology`, 1},
		{"reboot of no kind of unit", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", Count: 2, New: writer, Topology: pair}).RebootUnit(chaos.Unit(9), "dc0-z0", simtest.Crash)
		}, nil, `simtest: configuration error: Cluster.RebootUnit(Unit(9), "dc0-z0", crash, ...): Unit(9) is not a unit; use chaos.Process, chaos.Machine, chaos.Zone or chaos.DataCenter`, 1},
		{"injector's reboot of no such machine", func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "a", Count: 2, New: writer, Topology: pair})
			c.Inject(simtest.Injector{Name: "outage", Run: func(ctx context.Context, f *simtest.Faults) error {
				f.RebootUnit(chaos.Machine, "m9", simtest.PowerLoss)
				return nil
			}})
			c.Run(simtest.Phases{Chaos: time.Second})
		}, nil, `simtest: configuration error: Cluster.RebootUnit(machine, "m9", power loss, ...): the cluster has no machine named "m9"; its machines are [dc0-z0-m0] (Cluster.Units(chaos.Machine) lists them); ` +
			`name one of those, or place the processes with Processes.Topology`, 1},
		{"power loss of one process of a machine", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", Count: 2, New: writer, Topology: pair}).Stop("a-1", simtest.PowerLoss)
		}, nil, `simtest: configuration error: Cluster.Stop("a-1", power loss): a-1 shares machine dc0-z0-m0 with [a-0], and a power loss is the whole machine's; ` +
			`use Cluster.RebootUnit(chaos.Machine, "dc0-z0-m0", ...)`, 1},
		{"wipe of one process of a machine", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", Count: 2, New: writer, Topology: pair}).Reboot("a-0", simtest.Wipe)
		}, nil, `simtest: configuration error: Cluster.Reboot("a-0", wipe): a-0 shares machine dc0-z0-m0 with [a-1], and a wipe is the whole machine's; ` +
			`use Cluster.RebootUnit(chaos.Machine, "dc0-z0-m0", ...)`, 1},
		{"power loss of one process of a machine, as a unit", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", Count: 2, New: writer, Topology: pair}).RebootUnit(chaos.Process, "a-1", simtest.PowerLoss)
		}, nil, `simtest: configuration error: Cluster.RebootUnit(process, "a-1", power loss, ...): a-1 shares machine dc0-z0-m0 with [a-0], and a power loss is the whole machine's; ` +
			`use Cluster.RebootUnit(chaos.Machine, "dc0-z0-m0", ...)`, 1},
		{"injector's wipe of one process of a machine, as a unit", func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "a", Count: 2, New: writer, Topology: pair})
			c.Inject(simtest.Injector{Name: "wipe", Run: func(ctx context.Context, f *simtest.Faults) error {
				f.RebootUnit(chaos.Process, "a-0", simtest.Wipe)
				return nil
			}})
			c.Run(simtest.Phases{Chaos: time.Second})
		}, nil, `simtest: configuration error: Cluster.RebootUnit(process, "a-0", wipe, ...): a-0 shares machine dc0-z0-m0 with [a-1], and a wipe is the whole machine's; ` +
			`use Cluster.RebootUnit(chaos.Machine, "dc0-z0-m0", ...)`, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			runs := 0
			r := runIn("TestTopology", func(r *recorder) {
				simtest.Run(r, func(s *simtest.S) {
					runs++
					c.body(s)
				}, append([]simtest.Option{simtest.Seeds(5), simtest.KeepGoing(), simtest.Chaos(chaos.Off())}, c.opts...)...)
			})
			require.True(t, r.failed)
			out := r.output()
			assert.Equal(t, c.runs, runs, "the seeds run:\n%s", out)
			if c.runs == 0 {
				assert.Equal(t, c.want, out, "the error, and nothing else")
				return
			}
			assert.Contains(t, out, c.want+"\n")
			assert.Contains(t, out, "not a bug the simulation found")
			assert.Contains(t, out, "simtest: 1 seed, 0 passed, 1 failed;")
		})
	}
}

func TestRebootUnitGracefullyGivesOneGracePeriod(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 2, Topology: simtest.Topology{PerMachine: 2}, NewFor: func(id simtest.ProcessID) simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				if id.Index == 1 {
					ctx = context.WithoutCancel(ctx) // deaf to the stop
				}
				_ = p.Time.Sleep(ctx, time.Hour)
				return nil
			})
		}})
		ends := s.Watch("exit", "grace over")
		start := s.Elapsed()
		c.RebootUnit(chaos.Machine, "dc0-z0-m0", simtest.Graceful, simtest.Grace(3*time.Second))
		assert.Equal(s, start+3*time.Second, s.Elapsed(), "one grace period for the whole machine")
		var got []string
		for _, e := range ends.Next() {
			got = append(got, e.Msg)
		}
		assert.Equal(s, []string{"exit: returned from a graceful stop", "grace over: p-1 did not stop within 3s; killed"}, got)
		assert.Equal(s, 2, c.Boots("p-0"))
		assert.Equal(s, 2, c.Boots("p-1"))
	}, simtest.Seeds(2), simtest.Chaos(chaos.Off()))
}

func TestHugeTopologyHoldsItsProcesses(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 3, Topology: simtest.Topology{DataCenters: 1 << 40, Zones: 1 << 40, Machines: 1 << 40}, New: writer})
		assert.Equal(s, []string{"dc0-z0-m0", "dc0-z0-m1", "dc0-z0-m2"}, c.Units(chaos.Machine), "counts whose product overflows an int hold three processes")
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
}

// A wipe of a machine erases the disk of a process that was going down
// at that instant too: that process boots again told it was wiped, not
// told how its own stop ended, whose disk was still there.
func TestAWipeOfAMachineReachesAProcessGoingDown(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		boots := map[string][]providers.Boot{}
		c := s.Boot(simtest.Processes{Name: "a", Count: 2, Topology: simtest.Topology{PerMachine: 2}, New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				self := p.Cluster.Self().Name
				boots[self] = append(boots[self], p.Cluster.Boot())
				_ = providers.Wait(ctx, p.Task)
				// Slow to stop: still going down when the wipe comes.
				return p.Time.Sleep(context.WithoutCancel(ctx), time.Second)
			})
		}})
		stopped := s.Go("stopper", func(ctx context.Context) error {
			c.Stop("a-0", simtest.Graceful, simtest.Grace(2*time.Second))
			return nil
		})
		s.Sleep(500 * time.Millisecond)
		c.RebootUnit(chaos.Machine, "dc0-z0-m0", simtest.Wipe)
		require.NoError(s, stopped.Join(s.Context()))
		c.Start("a-0")
		s.Sleep(time.Millisecond)
		assert.Equal(s, []providers.Boot{providers.FirstBoot, providers.AfterWipe}, boots["a-0"], "its disk was wiped while it went down")
		assert.Equal(s, []providers.Boot{providers.FirstBoot, providers.AfterWipe}, boots["a-1"])
	}, simtest.Chaos(chaos.Off()), simtest.Replay(1))
}

// sharer is pageCacheWriter (writeOrFind) that then writes a line every
// 100ms to a log it holds open, and notes in failed a write that fails.
func sharer(found map[string][]string, failed map[string]error) func() simtest.Process {
	return func() simtest.Process {
		return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
			if err := writeOrFind(p, found); err != nil {
				return err
			}
			name := p.Cluster.Self().Name
			log, err := p.Storage.Create(name + ".log")
			if err != nil {
				return err
			}
			for {
				if err := p.Time.Sleep(ctx, 100*time.Millisecond); err != nil {
					return nil
				}
				if _, err := log.Write([]byte("tick\n")); err != nil && failed[name] == nil {
					failed[name] = err
				}
			}
		})
	}
}

// diskDowns counts the ways a disk was taken down.
type diskDowns struct{ Crashes, Stops, Wipes, Kills int }

func downsOf(d *simtest.Disk) diskDowns {
	st := d.Stats()
	return diskDowns{st.Crashes, st.Stops, st.Wipes, st.Kills}
}

// A process rebooted alone on a machine it shares is a process ending,
// whether Reboot takes it or RebootUnit of its chaos.Process unit: the
// machine's disk keeps what the process wrote, synced or not, and the
// other process's open files go on working.
func TestAProcessRebootedAloneLeavesItsSharedMachinesDisk(t *testing.T) {
	calls := []struct {
		name   string
		reboot func(c *simtest.Cluster, name string, how simtest.Reboot, opts ...simtest.RebootOption)
	}{
		{"Reboot", (*simtest.Cluster).Reboot},
		{"RebootUnit", func(c *simtest.Cluster, name string, how simtest.Reboot, opts ...simtest.RebootOption) {
			c.RebootUnit(chaos.Process, name, how, opts...)
		}},
	}
	for _, call := range calls {
		for _, how := range []simtest.Reboot{simtest.Crash, simtest.Kill, simtest.Graceful} {
			t.Run(call.name+"/"+how.String(), func(t *testing.T) {
				simtest.Run(t, func(s *simtest.S) {
					found, failed := map[string][]string{}, map[string]error{}
					c := s.Boot(simtest.Processes{Name: "store", Count: 2, Topology: simtest.Topology{PerMachine: 2}, New: sharer(found, failed)})
					m := c.Peers()[0].Locality.Machine
					s.Sleep(time.Second)
					call.reboot(c, "store-0", how, simtest.Grace(time.Second), simtest.DownFor(time.Second))
					s.Sleep(time.Second)
					assert.Equal(s, map[string][]string{"store-0": {"unsynced"}}, found, "store-0 finds its unsynced write: the page cache kept it")
					assert.Empty(s, failed, "store-1's log stays open")
					assert.Equal(s, 1, c.Boots("store-1"))
					assert.Equal(s, diskDowns{}, downsOf(s.Disk(m)), "the machine's disk took no reboot")
				}, simtest.Chaos(chaos.Off()), simtest.Seeds(2))
			})
		}
	}
}

// Attrition by process on machines that processes share never takes a
// machine's disk down: a crash, a kill or a graceful reboot is the
// process's alone, and a wipe or a power loss drawn for one is a crash.
func TestAttritionByProcessLeavesSharedDisksAlone(t *testing.T) {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.MaxDead = 2
	cfg.Attrition.Graceful, cfg.Attrition.Crash, cfg.Attrition.Wipe, cfg.Attrition.PowerLoss, cfg.Attrition.Kill = 1, 1, 1, 1, 1
	reboots := 0
	kinds := map[string]bool{} // of the reboots, as the timeline tells them
	simtest.Run(t, func(s *simtest.S) {
		found, failed := map[string][]string{}, map[string]error{}
		c := s.Boot(simtest.Processes{Name: "store", Count: 4, Topology: simtest.Topology{Machines: 2, PerMachine: 2}, New: sharer(found, failed)})
		downs := s.Watch("down")
		c.Run(simtest.Phases{Chaos: time.Minute})
		for _, e := range downs.Next() {
			kinds[e.Msg[strings.LastIndex(e.Msg, "("):]] = true
		}
		for _, m := range c.Units(chaos.Machine) {
			assert.Equal(s, diskDowns{}, downsOf(s.Disk(m)), "machine %s's disk took no reboot", m)
		}
		assert.Empty(s, failed, "every open log of a process that lived on stayed open")
		for name, got := range found {
			for i, g := range got {
				assert.Equal(s, "unsynced", g, "%s's boot %d finds its unsynced write", name, i+2)
			}
			reboots += len(got)
		}
	}, simtest.Chaos(cfg), simtest.Seeds(100))
	assert.Positive(t, reboots, "attrition rebooted processes")
	assert.Equal(t, map[string]bool{"(graceful)": true, "(crash)": true, "(kill)": true}, kinds, "a wipe or a power loss drawn is a crash")
}

// A reboot of a process's unit that finds the process going down by
// another task's reboot does as Reboot does: it waits until the process is
// back, then reboots it, rather than returning at once with the process
// down and the crash asked for never made.
func TestAProcessUnitsRebootWaitsForAStopUnderWay(t *testing.T) {
	calls := []struct {
		name   string
		reboot func(c *simtest.Cluster, name string, how simtest.Reboot, opts ...simtest.RebootOption)
	}{
		{"Reboot", (*simtest.Cluster).Reboot},
		{"RebootUnit", func(c *simtest.Cluster, name string, how simtest.Reboot, opts ...simtest.RebootOption) {
			c.RebootUnit(chaos.Process, name, how, opts...)
		}},
	}
	for _, call := range calls {
		for _, tc := range []struct {
			name     string
			topology simtest.Topology
			downs    diskDowns
		}{
			{"alone on its machine", simtest.Topology{}, diskDowns{Crashes: 1, Stops: 1}},
			{"on a shared machine", simtest.Topology{PerMachine: 2}, diskDowns{}},
		} {
			t.Run(call.name+"/"+tc.name, func(t *testing.T) {
				simtest.Run(t, func(s *simtest.S) {
					boots := map[string][]providers.Boot{}
					c := s.Boot(simtest.Processes{Name: "a", Count: 2, Topology: tc.topology, New: func() simtest.Process {
						return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
							self := p.Cluster.Self().Name
							boots[self] = append(boots[self], p.Cluster.Boot())
							_ = providers.Wait(ctx, p.Task)
							// Slow to stop: still going down when the crash comes.
							return p.Time.Sleep(context.WithoutCancel(ctx), time.Second)
						})
					}})
					disk := c.Peers()[0].Host
					if m := c.Peers()[0].Locality.Machine; m != "" {
						disk = m
					}
					waits := s.Watch(call.name + " a-0")
					rebooted := s.Go("rebooter", func(ctx context.Context) error {
						c.Reboot("a-0", simtest.Graceful, simtest.Grace(2*time.Second), simtest.DownFor(time.Second))
						return nil
					})
					s.Sleep(500 * time.Millisecond)
					call.reboot(c, "a-0", simtest.Crash) // the graceful reboot is under way
					assert.Equal(s, 2*time.Second, s.Elapsed(), "waited out the stop and its DownFor")
					require.NoError(s, rebooted.Join(s.Context()))
					s.Sleep(time.Millisecond) // the new instance runs
					assert.Equal(s, 3, c.Boots("a-0"), "booted by the graceful reboot, then by the crash")
					assert.Equal(s, providers.AfterCrash, boots["a-0"][len(boots["a-0"])-1])
					assert.Equal(s, []providers.Boot{providers.FirstBoot}, boots["a-1"])
					assert.Equal(s, tc.downs, downsOf(s.Disk(disk)))
					var msgs []string
					for _, e := range waits.Next() {
						msgs = append(msgs, e.Msg)
					}
					assert.Equal(s, []string{call.name + " a-0: waits until a-0 is back"}, msgs)
				}, simtest.Chaos(chaos.Off()), simtest.Seeds(2))
			})
		}
	}
}

// A reboot of a process's unit that a Stop took down is a mistake in the
// driver, as a Reboot of it is: the process stays down until Start.
func TestAProcessUnitsRebootOfAStoppedProcessFailsTheTest(t *testing.T) {
	r := runIn("TestRebootUnitOfAStoppedProcess", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "a", Count: 2, New: writer})
			c.Stop("a-0", simtest.Crash)
			c.RebootUnit(chaos.Process, "a-0", simtest.Crash)
		}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	})
	assert.True(t, r.failed)
	assert.Contains(t, r.output(), `Cluster.RebootUnit(process, "a-0", crash, ...) on a process that Stop took down; Start it first`)
}

// Processes a Topology places in zones are hosts in those zones: random
// partitions cut a zone off from the rest, its processes all on one side.
func TestRandomPartitionsCutATopologysZoneOff(t *testing.T) {
	var cuts []string
	simtest.Run(t, func(s *simtest.S) {
		tl := s.Timeline()
		s.Boot(simtest.Processes{Name: "p", Count: 6, Topology: simtest.Topology{Zones: 3, Machines: 2}, New: zoneDialer})
		s.Sleep(5 * time.Minute)
		for _, e := range tl.Snapshot() {
			if _, rest, ok := strings.Cut(e.Msg, "random partition of zone "); ok {
				cuts = append(cuts, rest)
			}
		}
	}, simtest.Seeds(2), simtest.Chaos(func() chaos.Config {
		cfg := chaos.Off()
		cfg.Network.PartitionInterval = 5 * time.Second
		cfg.Network.PartitionDuration = chaos.Range{Min: 100 * time.Millisecond, Max: time.Second}
		return cfg
	}()))
	require.NotEmpty(t, cuts, "some random partition cut a zone off")
	sides := map[string]string{"dc0-z0": "{p-0 p-1} ", "dc0-z1": "{p-2 p-3} ", "dc0-z2": "{p-4 p-5} "}
	for _, c := range cuts {
		zone, rest, _ := strings.Cut(c, ": ")
		require.Contains(t, sides, zone, c)
		assert.True(t, strings.HasPrefix(rest, sides[zone]), "the zone's processes on one side, alone: %s", c)
	}
}

// zoneDialer is a process that dials a peer every 100 ms, so that the network
// is in use and random partitions come, and ignores every error.
func zoneDialer() simtest.Process {
	return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
		peers := p.Cluster.Peers()
		for i := 0; p.Time.Sleep(ctx, 100*time.Millisecond) == nil; i++ {
			dctx, cancel := p.Time.WithTimeout(ctx, 50*time.Millisecond)
			if c, err := p.Network.Dial(dctx, peers[i%len(peers)].Host+":7"); err == nil {
				_ = c.Close()
			}
			cancel()
		}
		return nil
	})
}

// ZoneLatency and DataCenterLatency add a fixed delay to every packet
// between hosts in different zones and data centers, and none to a host
// no Topology places; a heal and a quiesce leave them be, as they are no
// fault.
func TestZoneAndDataCenterLatencyDelayEveryPacketBetweenThem(t *testing.T) {
	cfg := chaos.Off()
	cfg.Network.Latency.Fast = chaos.Range{Min: time.Millisecond, Max: time.Millisecond}
	cfg.Network.ZoneLatency = 5 * time.Millisecond
	cfg.Network.DataCenterLatency = 30 * time.Millisecond
	got := map[string]time.Duration{}
	simtest.Run(t, func(s *simtest.S) {
		// p-0 and p-1 in dc0-z0, p-2 in dc0-z1, p-4 in dc1-z0;
		// client-0 is placed by none.
		s.Boot(simtest.Processes{Name: "p", Count: 5, Topology: simtest.Topology{DataCenters: 2, Zones: 2, Machines: 2}, New: echoer},
			simtest.Processes{Name: "client", New: echoer})
		s.Sleep(time.Second)
		s.Network().Quiesce() // heals, and turns every fault off
		for _, pair := range [][2]string{
			{"p-0", "p-1"}, {"p-0", "p-2"}, {"p-0", "p-4"}, {"p-2", "p-4"},
			{"p-0", "client-0"}, {simtest.DriverHost, "p-4"},
		} {
			got[pair[0]+" -> "+pair[1]] = roundTrip(s, pair[0], pair[1])
		}
	}, simtest.Seeds(1), simtest.Chaos(cfg))
	want := map[string]time.Duration{ // twice the one-way delay
		"p-0 -> p-1":                   2 * time.Millisecond,           // within a zone
		"p-0 -> p-2":                   2 * (1 + 5) * time.Millisecond, // across zones
		"p-0 -> p-4":                   2 * (1 + 5 + 30) * time.Millisecond,
		"p-2 -> p-4":                   2 * (1 + 5 + 30) * time.Millisecond,
		"p-0 -> client-0":              2 * time.Millisecond, // no locality, no extra
		simtest.DriverHost + " -> p-4": 2 * time.Millisecond,
	}
	assert.Equal(t, want, got)
}

// echoer is a process that echoes what each connection on :7 sends.
func echoer() simtest.Process {
	return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
		l, err := p.Network.Listen(ctx, ":7")
		if err != nil {
			return err
		}
		for {
			c, err := l.Accept()
			if err != nil {
				return nil
			}
			p.Task.Go(ctx, "echo", func(context.Context) error {
				defer c.Close()
				_, err := io.Copy(c, c)
				return err
			})
		}
	})
}

// roundTrip dials from host from to host to's echo, then measures, on
// from's clock, how long one byte takes to come back.
func roundTrip(s *simtest.S, from, to string) time.Duration {
	p := s.HostProviders(from)
	c, err := p.Network.Dial(s.Context(), to+":7")
	require.NoError(s, err)
	defer c.Close()
	start := p.Time.Now()
	_, err = c.Write([]byte{1})
	require.NoError(s, err)
	_, err = io.ReadFull(c, make([]byte, 1))
	require.NoError(s, err)
	return p.Time.Now().Sub(start)
}

// Attrition by zone passes over a zone that holds a protected process and
// reboots the others; a protected process no Topology placed is a zone of
// its own and blocks none.
func TestAttritionByZonePassesOverZonesHoldingAProtectedProcess(t *testing.T) {
	for _, tc := range []struct {
		name   string
		client simtest.Topology
		want   []string
	}{
		{"in dc0-z0", simtest.Topology{Zones: 1}, []string{"dc0-z1", "dc0-z2"}},
		{"placed by none", simtest.Topology{}, []string{"dc0-z0", "dc0-z1", "dc0-z2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hit := map[string]bool{}
			simtest.Run(t, func(s *simtest.S) {
				tl := s.Timeline()
				c := s.Boot(simtest.Processes{Name: "a", Count: 6, New: writer, Topology: simtest.Topology{Zones: 3, Machines: 2}},
					simtest.Processes{Name: "client", Protected: true, New: writer, Topology: tc.client})
				c.Run(simtest.Phases{Chaos: 2 * time.Minute})
				for _, e := range tl.Snapshot() {
					if _, rest, ok := strings.Cut(e.Msg, "reboot: zone "); ok {
						zone, _, _ := strings.Cut(rest, " ")
						hit[zone] = true
					}
				}
			}, simtest.Seeds(3), attrition(chaos.Zone, 1))
			assert.Equal(t, tc.want, slices.Sorted(maps.Keys(hit)))
		})
	}
}

// A machine's second process draws a clock when its host is made, so that
// the draws after are as they were, and reads the machine's: the
// timeline's line of its draw says the draw goes unused.
func TestAMachinesSecondProcessSaysItsDrawnClockGoesUnused(t *testing.T) {
	var lines []string
	simtest.Run(t, func(s *simtest.S) {
		tl := s.Timeline()
		s.Boot(simtest.Processes{Name: "p", Count: 3, Topology: simtest.Topology{Machines: 2, PerMachine: 2}, New: writer})
		s.Sleep(time.Second)
		for _, e := range tl.Snapshot() {
			if strings.Contains(e.Msg, " clock: ") {
				lines = append(lines, e.Msg)
			}
		}
	}, simtest.Seeds(1), simtest.Chaos(chaos.Config{Network: chaos.Network{MaxClockSkew: 50 * time.Millisecond}}))
	require.Len(t, lines, 4, "%q", lines)
	assert.Regexp(t, `^net: host p-0 clock: skew -?[0-9.]+m?s, drift \+0 ppb$`, lines[0])
	assert.Regexp(t, `^net: host p-1 clock: skew -?[0-9.]+m?s, drift \+0 ppb, drawn, unused: it reads the clock of p-0, its machine's$`, lines[1])
	assert.Equal(t, "net: host p-1 clock: the clock of p-0, its machine's", lines[2])
	assert.Regexp(t, `^net: host p-2 clock: skew -?[0-9.]+m?s, drift \+0 ppb$`, lines[3], "the first of its machine uses its own")
}

// A host HostProvidersIn places in a zone is a client of that zone: the
// latency between zones reaches it, a random partition of its zone cuts
// it off with the zone's processes, and its Cluster's Self says where it
// is.
func TestAHostPlacedInAZoneIsTheZones(t *testing.T) {
	cfg := chaos.Off()
	cfg.Network.Latency.Fast = chaos.Range{Min: time.Millisecond, Max: time.Millisecond}
	cfg.Network.ZoneLatency = 5 * time.Millisecond
	got := map[string]time.Duration{}
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 2, Topology: simtest.Topology{Zones: 2}, New: echoer})
		zone := func(name string) string { return c.HostProviders(name).Cluster.Self().Locality.Zone }
		require.NotEqual(s, zone("p-0"), zone("p-1"))
		near := providers.Locality{DataCenter: "dc0", Zone: zone("p-1")}
		client := s.HostProvidersIn("client-1", near)
		assert.Equal(s, near, client.Cluster.Self().Locality)
		assert.Equal(s, near, s.HostProviders("client-1").Cluster.Self().Locality, "placed for good")
		s.Sleep(time.Second)
		got["near"] = roundTrip(s, "client-1", "p-1")
		got["far"] = roundTrip(s, "client-1", "p-0")
	}, simtest.Seeds(1), simtest.Chaos(cfg))
	assert.Equal(t, map[string]time.Duration{"near": 2 * time.Millisecond, "far": 2 * (1 + 5) * time.Millisecond}, got)

	// Random partitions of a zone take its placed clients with them.
	net := chaos.NoNetworkFaults()
	net.PartitionInterval, net.PartitionDuration = time.Second, chaos.Range{Min: 100 * time.Millisecond, Max: 200 * time.Millisecond}
	var cuts []string
	simtest.Run(t, func(s *simtest.S) {
		tl := s.Timeline()
		c := s.Boot(simtest.Processes{Name: "p", Count: 2, Topology: simtest.Topology{Zones: 2}, New: echoer})
		s.HostProvidersIn("client-0", providers.Locality{DataCenter: "dc0", Zone: "dc0-z0"})
		// Random partitions begin as traffic meets them: the client
		// talks to both zones all along.
		c.Run(simtest.Phases{Chaos: time.Minute}, pinger{from: "client-0", to: []string{"p-0", "p-1"}, s: s})
		for _, e := range tl.Snapshot() {
			if strings.Contains(e.Msg, "random partition of zone dc0-z0:") {
				cuts = append(cuts, e.Msg)
			}
		}
	}, simtest.Seeds(1), simtest.Network(net))
	require.NotEmpty(t, cuts)
	for _, cut := range cuts {
		side, _, _ := strings.Cut(strings.TrimPrefix(cut, "net: random partition of zone dc0-z0: "), " | ")
		assert.Contains(t, side, "client-0", "the zone's side holds its client: %s", cut)
	}
}

// Placing the driver's host, a process's, one host in two zones, or one
// in a zone or data center the cluster lacks, before Boot or after, is a
// configuration error.
func TestHostProvidersInRefusesWhatItCannotPlace(t *testing.T) {
	for _, tc := range []struct {
		name string
		body func(s *simtest.S)
		want string
	}{
		{"the driver", func(s *simtest.S) {
			s.HostProvidersIn(simtest.DriverHost, providers.Locality{Zone: "dc0-z0"})
		}, "the driver's host is placed nowhere"},
		{"a process's host", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "p", Count: 2, Topology: simtest.Topology{Zones: 2}, New: echoer})
			s.HostProvidersIn("p-0", providers.Locality{Zone: "dc0-z1"})
		}, "p-0 is the host of process p-0"},
		{"twice", func(s *simtest.S) {
			s.HostProvidersIn("client-0", providers.Locality{Zone: "dc0-z0"})
			s.HostProvidersIn("client-0", providers.Locality{Zone: "dc0-z1"})
		}, "the host is placed in"},
		{"nowhere", func(s *simtest.S) {
			s.HostProvidersIn("client-0", providers.Locality{})
		}, "the locality names no zone and no data center"},
		{"a zone the cluster lacks", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "p", Count: 2, Topology: simtest.Topology{Zones: 2}, New: echoer})
			s.HostProvidersIn("client-0", providers.Locality{DataCenter: "dc0", Zone: "dc0-z7"})
		}, `the cluster has no zone "dc0-z7"; its zones are [dc0-z0 dc0-z1]`},
		{"before Boot, in a zone the cluster lacks", func(s *simtest.S) {
			s.HostProvidersIn("client-0", providers.Locality{Zone: "dc0-z2"})
			s.Boot(simtest.Processes{Name: "p", Count: 2, Topology: simtest.Topology{Zones: 2}, New: echoer})
		}, `S.HostProvidersIn("client-0", {DataCenter: Zone:dc0-z2 Machine:}): the cluster has no zone "dc0-z2"; its zones are [dc0-z0 dc0-z1]`},
		{"before the first of two Boots, in a zone the second adds", func(s *simtest.S) {
			s.HostProvidersIn("client-0", providers.Locality{Zone: "dc0-z2"})
			s.Boot(simtest.Processes{Name: "p", Count: 2, Topology: simtest.Topology{Zones: 2}, New: echoer})
			s.Boot(simtest.Processes{Name: "q", Count: 3, Topology: simtest.Topology{Zones: 3}, New: echoer})
		}, `the cluster has no zone "dc0-z2"; its zones are [dc0-z0 dc0-z1] (Cluster.Units(chaos.Zone)); placed before this Boot, it is checked against the processes booted so far: place it after the Boot whose Processes are in its zone`},
		{"a data center the cluster lacks", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "p", Count: 2, Topology: simtest.Topology{Zones: 2}, New: echoer})
			s.HostProvidersIn("client-0", providers.Locality{DataCenter: "dc1"})
		}, `the cluster has no data center "dc1"; its data centers are [dc0]`},
		{"a zone of another data center", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "p", Count: 2, Topology: simtest.Topology{DataCenters: 2, Zones: 1}, New: echoer})
			s.HostProvidersIn("client-0", providers.Locality{DataCenter: "dc0", Zone: "dc1-z0"})
		}, `zone "dc1-z0" is in data center "dc1"; name its own, or leave DataCenter empty`},
		{"before Boot, a zone of another data center", func(s *simtest.S) {
			s.HostProvidersIn("client-0", providers.Locality{DataCenter: "dc0", Zone: "dc1-z0"})
			s.Boot(simtest.Processes{Name: "p", Count: 2, Topology: simtest.Topology{DataCenters: 2, Zones: 1}, New: echoer})
		}, `zone "dc1-z0" is in data center "dc1"; name its own, or leave DataCenter empty` + "\n"},
		{"before Boot, a zone of another data center the cluster lacks", func(s *simtest.S) {
			s.HostProvidersIn("client-0", providers.Locality{DataCenter: "dc0", Zone: "dc1-z0"})
			s.Boot(simtest.Processes{Name: "p", Count: 2, Topology: simtest.Topology{Zones: 2}, New: echoer})
		}, `zone "dc1-z0" is in data center "dc1"; name its own, or leave DataCenter empty` + "\n"},
		{"before Boot, a zone no Topology names", func(s *simtest.S) {
			s.HostProvidersIn("client-0", providers.Locality{Zone: "us-east-1a"})
			s.Boot(simtest.Processes{Name: "p", Count: 2, Topology: simtest.Topology{Zones: 2}, New: echoer})
		}, `the cluster has no zone "us-east-1a"; its zones are [dc0-z0 dc0-z1] (Cluster.Units(chaos.Zone))` + "\n"},
		{"before Boot, a data center no Topology names", func(s *simtest.S) {
			s.HostProvidersIn("client-0", providers.Locality{DataCenter: "us-east-1"})
			s.Boot(simtest.Processes{Name: "p", Count: 2, Topology: simtest.Topology{Zones: 2}, New: echoer})
		}, `the cluster has no data center "us-east-1"; its data centers are [dc0] (Cluster.Units(chaos.DataCenter))` + "\n"},
		{"a cluster in no zone", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "p", Count: 2, New: echoer})
			s.HostProvidersIn("client-0", providers.Locality{Zone: "dc0-z0"})
		}, "the cluster's processes are in no zone nor data center; give their Processes a Topology"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := simtest.Simulate(tc.body, simtest.Seeds(1))
			require.False(t, res.OK())
			assert.Contains(t, res.Report, "configuration error")
			assert.Contains(t, res.Report, tc.want)
		})
	}
}

// pinger is a workload that sends a byte from host from to the echo of
// each host of to, and reads it back, every 100 ms of its chaos phase.
type pinger struct {
	from string
	to   []string
	s    *simtest.S
}

func (pinger) Setup(context.Context, providers.Providers) error { return nil }
func (w pinger) Run(ctx context.Context, _ providers.Providers) error {
	p := w.s.HostProviders(w.from)
	phase := simtest.ChaosContext(ctx)
	for phase.Err() == nil {
		for _, to := range w.to {
			dctx, cancel := p.Time.WithTimeout(phase, time.Second)
			if c, err := p.Network.Dial(dctx, to+":7"); err == nil {
				_, _ = c.Write([]byte{1})
				_, _ = c.Read(make([]byte, 1))
				c.Close()
			}
			cancel()
		}
		_ = p.Time.Sleep(phase, 100*time.Millisecond)
	}
	return nil
}
func (pinger) Check(context.Context, providers.Providers) error { return nil }
