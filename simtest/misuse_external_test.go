package simtest_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

// TestMisuseNamesTheProblemAndTheFix calls the API with values it used to
// accept silently: each fails the test or the seed with a message that
// names the call, the value and the fix.
func TestMisuseNamesTheProblemAndTheFix(t *testing.T) {
	two := simtest.Processes{Name: "n", Count: 2, New: waitForStop}
	builds := map[string]func(simtest.ProcessID) simtest.Process{
		"v1": func(simtest.ProcessID) simtest.Process { return waitForStop() },
		"v2": func(simtest.ProcessID) simtest.Process { return waitForStop() },
	}
	rel := simtest.Processes{Name: "r", Releases: builds, Release: "v1"}
	cases := []struct {
		name string
		body func(s *simtest.S)
		opts []simtest.Option
		want string
	}{
		{"negative clog", func(s *simtest.S) { s.Network().Clog("10.0.0.1", "10.0.0.2", -time.Second) }, nil,
			`simtest: Net.Clog("10.0.0.1", "10.0.0.2", -1s): a clog lasts zero or more, and at most chaos.MaxDuration (8760h0m0s); to hold packets until Heal, use PartitionOneWay`},
		{"endless clog", func(s *simtest.S) { s.Network().Clog("10.0.0.1", "10.0.0.2", math.MaxInt64) }, nil,
			"a clog lasts zero or more, and at most chaos.MaxDuration"},
		{"negative slow link", func(s *simtest.S) { s.Network().Slow("10.0.0.1", "10.0.0.2", -time.Second) }, nil,
			`simtest: Net.Slow("10.0.0.1", "10.0.0.2", -1s): a slow link adds zero (none) or more, and at most chaos.MaxDuration (8760h0m0s)`},
		{"Reboot(0) to Stop", func(s *simtest.S) { s.Boot(two).Stop("n-0", 0, simtest.Grace(time.Second)) }, nil,
			`simtest: Cluster.Stop("n-0", Reboot(0), simtest.Grace(1s)): Reboot(0) is not a kind of reboot; use simtest.Graceful, simtest.Crash, simtest.Wipe, simtest.PowerLoss or simtest.Kill`},
		{"Reboot(7) to Reboot", func(s *simtest.S) { s.Boot(two).Reboot("n-0", 7) }, nil,
			`simtest: Cluster.Reboot("n-0", Reboot(7)): Reboot(7) is not a kind of reboot`},
		{"negative grace", func(s *simtest.S) { s.Boot(two).Stop("n-0", simtest.Graceful, simtest.Grace(-time.Second)) }, nil,
			`simtest: Cluster.Stop("n-0", graceful, simtest.Grace(-1s)): simtest.Grace(-1s): a duration is zero or more, and at most chaos.MaxDuration (8760h0m0s)`},
		{"overlong grace", func(s *simtest.S) { s.Boot(two).Stop("n-0", simtest.Graceful, simtest.Grace(math.MaxInt64)) }, nil,
			"simtest.Grace(2562047h47m16.854775807s): a duration is zero or more, and at most chaos.MaxDuration"},
		{"graceful with zero grace", func(s *simtest.S) {
			s.Boot(two).Reboot("n-0", simtest.Graceful, simtest.Grace(0), simtest.DownFor(time.Second))
		}, nil, `simtest: Cluster.Reboot("n-0", graceful, simtest.Grace(0s), simtest.DownFor(1s)): a graceful stop needs a positive grace period to stop in; give simtest.Grace a positive duration, leave it out for simtest.DefaultGrace (5s), or use simtest.Crash to stop at once`},
		{"negative down time", func(s *simtest.S) { s.Boot(two).Reboot("n-0", simtest.Crash, simtest.DownFor(-time.Second)) }, nil,
			`simtest: Cluster.Reboot("n-0", crash, simtest.DownFor(-1s)): simtest.DownFor(-1s): a duration is zero or more, and at most chaos.MaxDuration`},
		{"overlong down time", func(s *simtest.S) { s.Boot(two).Reboot("n-0", simtest.Crash, simtest.DownFor(chaos.MaxDuration+1)) }, nil,
			"simtest.DownFor(8760h0m0.000000001s): a duration is zero or more, and at most chaos.MaxDuration"},
		{"down time given twice", func(s *simtest.S) {
			s.Boot(two).Reboot("n-0", simtest.Crash, simtest.DownFor(time.Second), simtest.DownFor(time.Minute))
		}, nil, `simtest: Cluster.Reboot("n-0", crash, simtest.DownFor(1s), simtest.DownFor(1m0s)): DownFor is given twice; give it once`},
		{"down time to Stop", func(s *simtest.S) { s.Boot(two).Stop("n-0", simtest.Crash, simtest.DownFor(time.Second)) }, nil,
			`simtest: Cluster.Stop("n-0", crash, simtest.DownFor(1s)): Stop leaves the process down until Start, so it takes no DownFor; use Reboot to bring it back after a while`},
		{"nil reboot option", func(s *simtest.S) { s.Boot(two).Reboot("n-0", simtest.Crash, nil) }, nil,
			`simtest: Cluster.Reboot("n-0", crash, nil): a nil RebootOption was passed; remove it`},
		{"second Boot, same names", func(s *simtest.S) { s.Boot(two); s.Boot(two) }, nil,
			`simtest: two groups of processes are named "n"; names must be unique`},
		{"New and NewFor", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "n", New: waitForStop, NewFor: func(simtest.ProcessID) simtest.Process { return waitForStop() }})
		}, nil, `simtest: Processes "n" has both New and NewFor; give one of them`},
		{"Releases and New", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "r", New: waitForStop, Releases: builds, Release: "v1"})
		}, nil, `simtest: Processes "r" has Releases and New or NewFor too; Releases are its factories, so leave New and NewFor out`},
		{"Releases and no Release", func(s *simtest.S) { s.Boot(simtest.Processes{Name: "r", Releases: builds}) }, nil,
			`simtest: Processes "r" has Releases but no Release; set Release to the one every process boots first (one of v1, v2)`},
		{"Release of no Releases", func(s *simtest.S) { s.Boot(simtest.Processes{Name: "r", New: waitForStop, Release: "v1"}) }, nil,
			`simtest: Processes "r" has Release "v1" but no Releases; give Releases a factory per release, or leave Release out`},
		{"unknown Release", func(s *simtest.S) { s.Boot(simtest.Processes{Name: "r", Releases: builds, Release: "v3"}) }, nil,
			`simtest: Processes "r" has Release "v3", which is none of its Releases (v1, v2); name one of them`},
		{"nil release factory", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "r", Releases: map[string]func(simtest.ProcessID) simtest.Process{"v1": builds["v1"], "v2": nil}, Release: "v1"})
		}, nil, `simtest: Processes "r" has a nil factory for release "v2"; give Releases["v2"] a function that makes a fresh Process for every boot`},
		{"release factory returns nil", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "r", Releases: map[string]func(simtest.ProcessID) simtest.Process{
				"v1": func(simtest.ProcessID) simtest.Process { return nil }}, Release: "v1"})
			s.Sleep(time.Second)
		}, nil, `simtest: Processes "r": Releases["v1"] returned nil for r-0; return a Process`},
		{"release with no name", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "r", Releases: map[string]func(simtest.ProcessID) simtest.Process{"": builds["v1"]}, Release: ""})
		}, nil, `simtest: Processes "r" has a release with no name in Releases; name each release ("v1", "v2")`},
		{"Into a group without Releases", func(s *simtest.S) { s.Boot(two).Reboot("n-0", simtest.Crash, simtest.Into("v2")) }, nil,
			`simtest: Cluster.Reboot("n-0", crash, simtest.Into("v2")): n-0's group "n" has no Releases; declare the group's builds in Processes.Releases to boot a process into one`},
		{"Into an unknown release", func(s *simtest.S) { s.Boot(rel).Stop("r-0", simtest.Crash, simtest.Into("v3")) }, nil,
			`simtest: Cluster.Stop("r-0", crash, simtest.Into("v3")): "v3" is none of the Releases of r-0's group "r" (v1, v2); name one of them`},
		{"Into a unit without Releases", func(s *simtest.S) {
			s.Boot(rel, two).RebootUnit(chaos.Process, "n-1", simtest.Crash, simtest.Into("v2"))
		}, nil, `simtest: Cluster.RebootUnit(process, "n-1", crash, simtest.Into("v2")): n-1's group "n" has no Releases`},
		{"Into a machine where no group has the release", func(s *simtest.S) {
			c := s.Boot(
				simtest.Processes{Name: "a", Topology: simtest.Topology{Machines: 1}, Releases: map[string]func(simtest.ProcessID) simtest.Process{"v1": func(simtest.ProcessID) simtest.Process { return waiting() }}, Release: "v1"},
				simtest.Processes{Name: "b", Topology: simtest.Topology{Machines: 1}, New: waiting},
			)
			c.RebootUnit(chaos.Machine, c.Units(chaos.Machine)[0], simtest.Crash, simtest.Into("v2"))
		}, nil, `no process of the unit has a group with the release "v2" among its Releases; name a release that one of its groups declares`},
		{"Into given twice", func(s *simtest.S) { s.Boot(rel).Reboot("r-0", simtest.Crash, simtest.Into("v2"), simtest.Into("v1")) }, nil,
			`simtest: Cluster.Reboot("r-0", crash, simtest.Into("v2"), simtest.Into("v1")): Into is given twice; give it once`},
		{"Into no release", func(s *simtest.S) { s.Boot(rel).Reboot("r-0", simtest.Crash, simtest.Into("")) }, nil,
			`simtest: Cluster.Reboot("r-0", crash, simtest.Into("")): simtest.Into(""): the release has no name; name one of the group's Releases`},
		{"process on the driver's host", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "n", New: waitForStop, Hosts: []string{simtest.DriverHost}})
		}, nil, `simtest: Processes "n" places n-0 on "10.0.0.254", the test driver's host (simtest.DriverHost); give it a host of its own`},
		{"process on the driver's disk", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "n", New: waitForStop, Hosts: []string{simtest.DriverDisk}})
		}, nil, `places n-0 on "driver", the address of the test driver's disk (simtest.DriverDisk)`},
		{"host that cannot be", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "n", New: waitForStop, Hosts: []string{"localhost"}})
		}, nil, `places n-0 on "localhost", which cannot name a host; use an IP literal`},
		{"group name that cannot be a host", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "my node", New: waitForStop})
		}, nil, `places my node-0 on "my node-0", which cannot name a host`},
		{"overlong phases", func(s *simtest.S) {
			s.Boot(two).Run(simtest.Phases{Chaos: time.Second, Settle: math.MaxInt64})
		}, nil, "simtest: Phases.Chaos (1s) and Phases.Settle (2562047h47m16.854775807s) last more than simtest.MaxTimeBudget (876000h0m0s) together; shorten them"},
		{"negative phase", func(s *simtest.S) { s.Boot(two).Run(simtest.Phases{Settle: -1}) }, nil,
			"simtest: Phases.Settle is -1ns; a phase lasts zero (the default) or more"},
		{"nil workload", func(s *simtest.S) { s.Boot(two).Run(simtest.Phases{Chaos: time.Second}, nil) }, nil,
			"simtest: Cluster.Run: workload 0 of 1 is nil; pass a Workload, or leave it out"},
		{"nil slow stretch", func(s *simtest.S) { s.Slow(nil) }, nil,
			"s.Slow: the function is nil; pass the stretch of the seed that may take long"},
		{"empty disk address", func(s *simtest.S) {}, []simtest.Option{simtest.DiskStorage("", chaos.NoStorageFaults())},
			`simtest.DiskStorage(""): the address is empty; name the disk's address: a process's host, or simtest.DriverDisk`},
		{"nanosecond watchdog", func(s *simtest.S) {}, []simtest.Option{simtest.Watchdog(time.Nanosecond)},
			"simtest.Watchdog(1ns): the watchdog is zero (off) or at least simtest.MinWatchdog (1ms); raise it"},
		{"endless budget", func(s *simtest.S) {}, []simtest.Option{simtest.TimeBudget(math.MaxInt64)},
			"simtest.TimeBudget(2562047h47m16.854775807s): the budget is at most simtest.MaxTimeBudget (876000h0m0s); lower it"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runIn("TestMisuse", func(r *recorder) {
				simtest.Run(r, c.body, append([]simtest.Option{simtest.Seeds(1), simtest.KeepFailures(false), simtest.Chaos(chaos.Off())}, c.opts...)...)
			})
			assert.True(t, r.failed)
			// A configuration error is reported as "simtest: configuration
			// error: " and the message without its own "simtest: ".
			assert.Contains(t, strings.ReplaceAll(r.output(), "simtest: configuration error: ", "simtest: "), c.want)
		})
	}
}

// A reboot given a kind or a timing that cannot be is a mistake in the
// test's set-up, as a reboot of a unit the cluster lacks is: a
// configuration error that ends the Run at the first seed that meets it,
// even one that keeps going past failing seeds, and keeps no seed.
func TestBadRebootOptionsAreAConfigurationError(t *testing.T) {
	two := simtest.Processes{Name: "n", Count: 2, New: waitForStop}
	cases := []struct {
		name string
		body func(c *simtest.Cluster)
		want string
	}{
		{"no kind of reboot", func(c *simtest.Cluster) { c.Reboot("n-0", 7) },
			`simtest: configuration error: Cluster.Reboot("n-0", Reboot(7)): Reboot(7) is not a kind of reboot`},
		{"graceful with zero grace", func(c *simtest.Cluster) { c.Stop("n-0", simtest.Graceful, simtest.Grace(0)) },
			`simtest: configuration error: Cluster.Stop("n-0", graceful, simtest.Grace(0s)): a graceful stop needs a positive grace period to stop in`},
		{"negative grace", func(c *simtest.Cluster) { c.Reboot("n-1", simtest.Graceful, simtest.Grace(-time.Second)) },
			`simtest: configuration error: Cluster.Reboot("n-1", graceful, simtest.Grace(-1s)): simtest.Grace(-1s): a duration is zero or more`},
		{"down time to Stop", func(c *simtest.Cluster) { c.Stop("n-0", simtest.Crash, simtest.DownFor(time.Second)) },
			`simtest: configuration error: Cluster.Stop("n-0", crash, simtest.DownFor(1s)): Stop leaves the process down until Start`},
		{"nil option to a unit", func(c *simtest.Cluster) { c.RebootUnit(chaos.Process, "n-0", simtest.Crash, nil) },
			`simtest: configuration error: Cluster.RebootUnit(process, "n-0", crash, nil): a nil RebootOption was passed; remove it`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			configurationError(t, func(s *simtest.S) { c.body(s.Boot(two)) }, c.want)
		})
	}
}

// A factory that returns no process is a mistake in the test's set-up,
// named as such, at the boot that meets it, rather than a nil
// dereference in the process's task.
func TestAFactoryThatReturnsNilIsAConfigurationError(t *testing.T) {
	for _, c := range []struct {
		name string
		ps   simtest.Processes
		want string
	}{
		{"New", simtest.Processes{Name: "n", New: func() simtest.Process { return nil }},
			`simtest: configuration error: Processes "n": New returned nil for n-0; return a Process`},
		{"NewFor", simtest.Processes{Name: "n", Count: 2, NewFor: func(id simtest.ProcessID) simtest.Process {
			if id.Index == 1 {
				return nil
			}
			return waitForStop()
		}}, `simtest: configuration error: Processes "n": NewFor returned nil for n-1; return a Process`},
	} {
		t.Run(c.name, func(t *testing.T) {
			configurationError(t, func(s *simtest.S) {
				s.Boot(c.ps)
				s.Sleep(time.Second)
			}, c.want)
		})
	}
}

// configurationError runs body over five seeds under KeepGoing and checks
// that it failed as a configuration error saying want, after one seed:
// a mistake in the test's set-up stops the Run rather than failing every
// seed.
func configurationError(t *testing.T, body func(*simtest.S), want string) {
	t.Helper()
	runs := 0
	r := runIn("TestMisuse", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			runs++
			body(s)
		}, simtest.Seeds(5), simtest.KeepGoing(), simtest.Chaos(chaos.Off()))
	})
	require.True(t, r.failed)
	out := r.output()
	assert.Equal(t, 1, runs, "the seeds run:\n%s", out)
	assert.Contains(t, out, want)
	assert.Contains(t, out, "not a bug the simulation found")
}

// A group that would take the cluster past MaxProcesses, alone or with the
// groups booted before it, is refused before anything boots, rather than
// booting until the watchdog calls the seed busy.
func TestACountPastMaxProcessesIsAConfigurationError(t *testing.T) {
	noop := func() simtest.Process { return waitForStop() }
	cases := []struct {
		name string
		body func(s *simtest.S)
		want string
	}{
		{"MaxCount", func(s *simtest.S) { s.Boot(simtest.Processes{Name: "n", Count: 3, MaxCount: 100_000_000, New: noop}) },
			`simtest: configuration error: Processes "n" has MaxCount 100000000, above simtest.MaxProcesses (10000), the most processes a cluster boots; lower MaxCount to at most 10000`},
		{"Count", func(s *simtest.S) { s.Boot(simtest.Processes{Name: "n", Count: simtest.MaxProcesses + 1, New: noop}) },
			`simtest: configuration error: Processes "n" has Count 10001, above simtest.MaxProcesses (10000), the most processes a cluster boots; lower Count to at most 10000`},
		{"MaxCount with Hosts", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "n", MaxCount: 1 << 40, New: noop, Hosts: []string{"h"}})
		}, `simtest: configuration error: Processes "n" has MaxCount 1099511627776, above simtest.MaxProcesses`},
		{"with an earlier group of the same Boot", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", Count: 9_000, New: noop}, simtest.Processes{Name: "b", Count: 2, MaxCount: 1_001, New: noop})
		}, `simtest: configuration error: Processes "b" has MaxCount 1001, and the groups booted before it have up to 9000 processes: together above simtest.MaxProcesses (10000), the most processes a cluster boots; lower MaxCount to at most 1000`},
		{"with an earlier Boot", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", Count: 1, MaxCount: 4, New: noop})
			s.Boot(simtest.Processes{Name: "b", Count: simtest.MaxProcesses, New: noop})
		}, `simtest: configuration error: Processes "b" has Count 10000, and the groups booted before it have up to 4 processes: together above simtest.MaxProcesses (10000), the most processes a cluster boots; lower Count to at most 9996`},
		{"a full cluster", func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "a", MaxCount: simtest.MaxProcesses, New: noop}, simtest.Processes{Name: "b", New: noop})
		}, `simtest: configuration error: Processes "b" has Count 1, and the groups booted before it have up to 10000 processes: together above simtest.MaxProcesses (10000), the most processes a cluster boots; lower the counts of the groups before it`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			runs := 0
			r := runIn("TestMaxProcesses", func(r *recorder) {
				simtest.Run(r, func(s *simtest.S) {
					runs++
					c.body(s)
					assert.Fail(s, "booted")
				}, simtest.Seeds(5), simtest.KeepGoing(), simtest.Chaos(chaos.Off()), simtest.Watchdog(time.Second))
			})
			require.True(t, r.failed)
			out := r.output()
			assert.Equal(t, 1, runs, "the seeds run:\n%s", out)
			assert.Contains(t, out, c.want)
			assert.Contains(t, out, "not a bug the simulation found")
		})
	}
}

// A cluster of exactly MaxProcesses boots. Its one step starts them all,
// which takes a couple of seconds under -race, more on a loaded machine:
// the watchdog is raised so that only a real hang trips it.
func TestAClusterOfMaxProcessesBoots(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "a", Count: 2, New: waitForStop})
		c = s.Boot(simtest.Processes{Name: "b", Count: simtest.MaxProcesses - 2, New: waitForStop})
		assert.Len(s, c.Peers(), simtest.MaxProcesses)
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.Watchdog(2*time.Minute))
}

// A Run started inside a seed of another Run, with the seed's S or the
// test's own TB, from the driver or another task, and a Simulate there,
// is a configuration error of the outer seed at the line that started it:
// the inner Run's seeds would all run within one step of the outer seed,
// and no replay line would replay them. The inner body never runs.
func TestARunInsideASeedIsAConfigurationError(t *testing.T) {
	cases := []struct {
		name, fn, tb string
		start        func(r *recorder, s *simtest.S, inner func(*simtest.S))
	}{
		{"with the S", "simtest.Run", " (given the seed's *simtest.S as its testing.TB)", func(r *recorder, s *simtest.S, inner func(*simtest.S)) {
			simtest.Run(s, inner, simtest.Seeds(2))
		}},
		{"with the test's TB", "simtest.Run", "", func(r *recorder, s *simtest.S, inner func(*simtest.S)) {
			simtest.Run(r, inner, simtest.Seeds(2))
		}},
		{"from a task", "simtest.Run", "", func(r *recorder, s *simtest.S, inner func(*simtest.S)) {
			h := s.Go("nester", func(context.Context) error {
				simtest.Run(r, inner, simtest.Seeds(2))
				return nil
			})
			_ = h.Join(s.Context())
		}},
		{"Simulate", "simtest.Simulate", "", func(r *recorder, s *simtest.S, inner func(*simtest.S)) {
			simtest.Simulate(inner, simtest.Seeds(2))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ran := false
			r := runIn("TestNested", func(r *recorder) {
				simtest.Run(r, func(s *simtest.S) {
					c.start(r, s, func(*simtest.S) { ran = true })
				}, simtest.Seeds(3), simtest.KeepFailures(false))
			})
			out := r.output()
			require.True(t, r.failed, out)
			assert.False(t, ran, "the inner body ran")
			assert.Contains(t, out, "simtest: configuration error: "+c.fn+" was called inside a seed of another Run"+c.tb+"; "+
				"a Run's seeds each run in a simulated world of their own, and those of a Run started inside a seed would all run within one step of that seed, "+
				"which no replay line of either Run replays: run the second simulation from the test function, after the first Run returns, or in a subtest of its own (t.Run)\n"+
				"  at misuse_external_test.go:")
			assert.Contains(t, out, "1 seed, 0 passed, 1 failed", "a configuration error ends the Run at its first seed")
			assert.NotContains(t, out, "panic", "the refusal is no panic of the code's")
		})
	}
}

// A body that fails through a *require.Assertions made on the test's t
// (require.New(t), or a testify suite's Require()) is told that those
// are the test's t, and what to use instead; one made on the seed's S
// fails the seed as any require does, without the note.
func TestRequireAssertionsOnTheTestsTAreNamed(t *testing.T) {
	const note = "it failed through a *require.Assertions, made on the test's own testing.T: require.New(t), or a testify suite's Require(), " +
		"which asserts on the suite's T(), the test's t (as do the suite's own assertion methods, such as its Equal): " +
		"in a body, assert through the seed's S, as require.New(s) or require.NoError(s, err)"
	r := runIn("TestSuiteRequire", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			require.New(r).Equal(2, 1, "through the suite's Require") //simvet:allow testingt the slip this test is about
		}, simtest.Seeds(1), simtest.KeepFailures(false))
	})
	require.True(t, r.failed)
	assert.Contains(t, r.output(), "runtime.Goexit was called in a task")
	assert.Contains(t, r.output(), note)

	r = runIn("TestSeedRequire", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			require.New(s).Equal(2, 1, "through the seed's S")
		}, simtest.Seeds(1), simtest.KeepFailures(false))
	})
	require.True(t, r.failed)
	assert.Contains(t, r.output(), "through the seed's S")
	assert.NotContains(t, r.output(), note)
}
