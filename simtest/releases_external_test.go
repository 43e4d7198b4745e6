package simtest_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// releases are the factories of a group with releases v1 and v2, which
// note each boot in boots as "kv-0 v2 3": the process, the release whose
// factory made it, and its boot count. A factory told another release
// than its own fails the seed.
func releases(s *simtest.S, boots *[]string) map[string]func(simtest.ProcessID) simtest.Process {
	build := func(release string) func(simtest.ProcessID) simtest.Process {
		return func(id simtest.ProcessID) simtest.Process {
			if id.Release != release {
				s.Errorf("the factory of %s was told release %q", release, id.Release)
			}
			*boots = append(*boots, fmt.Sprintf("%s %s %d", id.Name, release, id.Boot))
			return waiting()
		}
	}
	return map[string]func(simtest.ProcessID) simtest.Process{"v1": build("v1"), "v2": build("v2")}
}

// bootsOf are the boots of name among boots.
func bootsOf(boots []string, name string) []string {
	var out []string
	for _, b := range boots {
		if strings.HasPrefix(b, name+" ") {
			out = append(out, b)
		}
	}
	return out
}

// A reboot Into a release boots the process from that release's factory,
// and attrition's reboots, crashes and wipes keep it there.
func TestIntoSwitchesTheFactoryAndAttritionKeepsTheRelease(t *testing.T) {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	var mu sync.Mutex
	later := 0 // kv-1's boots after its upgrade, over the seeds
	res := simtest.Simulate(func(s *simtest.S) {
		var boots []string
		c := s.Boot(simtest.Processes{Name: "kv", Count: 3, Releases: releases(s, &boots), Release: "v1"})
		assert.Equal(s, "v1", c.Release("kv-1"))
		c.Reboot("kv-1", simtest.Graceful, simtest.Into("v2"), simtest.DownFor(time.Second))
		assert.Equal(s, "v2", c.Release("kv-1"))
		c.Run(simtest.Phases{Chaos: 2 * time.Minute}, quick{2 * time.Minute})
		kv1 := bootsOf(boots, "kv-1")
		require.GreaterOrEqual(s, len(kv1), 2, boots)
		assert.Equal(s, "kv-1 v1 1", kv1[0])
		for i, b := range kv1[1:] {
			assert.Equal(s, fmt.Sprintf("kv-1 v2 %d", i+2), b, "every boot after the upgrade is v2")
		}
		for _, name := range []string{"kv-0", "kv-2"} {
			for _, b := range bootsOf(boots, name) {
				assert.Contains(s, b, name+" v1 ", "a process no Into reached stays at v1")
			}
			assert.Equal(s, "v1", c.Release(name))
		}
		assert.Equal(s, "v2", c.Release("kv-1"))
		mu.Lock()
		later += len(kv1) - 2
		mu.Unlock()
	}, simtest.Seeds(5), simtest.BaseSeed(3), simtest.Chaos(cfg))
	require.True(t, res.OK(), res.Report)
	assert.Positive(t, later, "attrition rebooted kv-1 after its upgrade")
}

// Stop given Into leaves the process down; Start boots the release, and
// every later boot keeps it until the next Into (a rollback).
func TestStopIntoThenStartBootsTheRelease(t *testing.T) {
	var boots, lines []string
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		c := s.Boot(simtest.Processes{Name: "kv", Releases: releases(s, &boots), Release: "v1"},
			simtest.Processes{Name: "plain", New: waiting})
		s.Sleep(time.Second)
		c.Stop("kv-0", simtest.Graceful, simtest.Into("v2"))
		assert.False(s, c.Alive("kv-0"))
		assert.Equal(s, "v2", c.Release("kv-0"))
		c.Start("kv-0")
		c.Reboot("kv-0", simtest.Wipe)
		c.Reboot("kv-0", simtest.Crash, simtest.Into("v1"))
		c.RebootUnit(chaos.Process, "kv-0", simtest.Kill, simtest.Into("v2"))
		c.Reboot("kv-0", simtest.Crash, simtest.Into("v2")) // no change
		c.Reboot("plain-0", simtest.Crash)
		assert.Empty(s, c.Release("plain-0"))
		for _, e := range tl.Since(0) {
			if e.Name == "boot" || e.Name == "reboot" || e.Name == "stop" {
				lines = append(lines, e.Msg)
			}
		}
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	require.True(t, res.OK(), res.Report)
	assert.Empty(t, cmp.Diff([]string{"kv-0 v1 1", "kv-0 v2 2", "kv-0 v2 3", "kv-0 v1 4", "kv-0 v2 5", "kv-0 v2 6"}, boots))
	// The timeline names the release a boot makes, and the release a
	// reboot or stop goes into when it changes; a group without Releases
	// reads as it always has.
	assert.Empty(t, cmp.Diff([]string{
		"boot: kv-0 (first boot, release v1)",
		"boot: plain-0 (first boot)",
		"stop: kv-0 (graceful, into v2)",
		"boot: kv-0 (after a graceful stop, release v2)",
		"reboot: kv-0 (wipe)",
		"boot: kv-0 (after a wipe, release v2)",
		"reboot: kv-0 (crash, into v1)",
		"boot: kv-0 (after a crash, release v1)",
		"reboot: process kv-0 (kill, into v2): kv-0",
		"boot: kv-0 (after a crash, release v2)",
		"reboot: kv-0 (crash)",
		"boot: kv-0 (after a crash, release v2)",
		"reboot: plain-0 (crash)",
		"boot: plain-0 (after a crash)",
	}, lines))
}

// restartsFirst is a process that asks to be restarted at its first boot,
// which keeps it down for simtest.RestartDelay, and waits at the others.
func restartsFirst(boots *[]string) map[string]func(simtest.ProcessID) simtest.Process {
	build := func(id simtest.ProcessID) simtest.Process {
		*boots = append(*boots, fmt.Sprintf("%s %s %d", id.Name, id.Release, id.Boot))
		return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
			if p.Cluster.Boot() == providers.FirstBoot {
				return providers.ErrRestart
			}
			return providers.Wait(ctx, p.Task)
		})
	}
	return map[string]func(simtest.ProcessID) simtest.Process{"v1": build, "v2": build}
}

// An injector's Faults.Reboot Into a process that is down is ignored, as
// any of its reboots of a process down is, but the release is set: the
// process boots into it when it comes back. f.Cluster().Reboot waits until
// the process is back, then reboots it into the release.
func TestAnInjectedRebootIntoAProcessThatIsDown(t *testing.T) {
	for _, tc := range []struct {
		name     string
		wait     bool
		boots    []string
		says, up string
	}{
		{"Faults.Reboot", false, []string{"p-0 v1 1", "p-0 v2 2"},
			"inject: upgrade: reboot p-0 (graceful): ignored, p-0 is down or going down; it boots into v2 when it is back",
			"boot: p-0 (after a crash, release v2)"},
		{"Cluster.Reboot", true, []string{"p-0 v1 1", "p-0 v1 2", "p-0 v2 3"},
			"Reboot p-0: waits until p-0 is back",
			"boot: p-0 (after a graceful stop, release v2)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var boots, lines []string
			res := simtest.Simulate(func(s *simtest.S) {
				tl := s.Timeline()
				c := s.Boot(simtest.Processes{Name: "p", Releases: restartsFirst(&boots), Release: "v1"})
				c.Inject(simtest.Injector{Name: "upgrade", Hold: true, Run: func(ctx context.Context, f *simtest.Faults) error {
					if err := f.Providers().Time.Sleep(ctx, simtest.RestartDelay/2); err != nil {
						return err
					}
					if tc.wait {
						f.Cluster().Reboot("p-0", simtest.Graceful, simtest.Into("v2"))
					} else {
						f.Reboot("p-0", simtest.Graceful, simtest.Into("v2"))
					}
					assert.Equal(s, "v2", f.Cluster().Release("p-0"))
					return nil
				}})
				c.Run(simtest.Phases{Chaos: 10 * time.Second}, quick{time.Second})
				for _, e := range tl.Since(0) {
					lines = append(lines, e.Msg)
				}
			}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
			require.True(t, res.OK(), res.Report)
			assert.Equal(t, tc.boots, boots)
			assert.Contains(t, lines, tc.says)
			assert.Contains(t, lines, tc.up)
		})
	}
}

// upgrades is a seed of a rolling upgrade under attrition: an injector
// reboots each process into v2 at drawn times, then rolls one back.
func upgrades(s *simtest.S) {
	var boots []string
	c := s.Boot(simtest.Processes{Name: "kv", Count: 3, Releases: releases(s, &boots), Release: "v1"})
	c.Inject(simtest.Injector{Name: "rolling upgrade", Hold: true, Run: func(ctx context.Context, f *simtest.Faults) error {
		p := f.Providers()
		for _, name := range f.Cluster().Group("kv") {
			if err := p.Time.Sleep(ctx, time.Duration(p.Random.Int64N(int64(10*time.Second)))); err != nil {
				return nil
			}
			f.Reboot(name, simtest.Graceful, simtest.Into("v2"), simtest.DownFor(500*time.Millisecond))
		}
		f.Cluster().Reboot(fmt.Sprintf("kv-%d", p.Random.IntN(3)), simtest.Crash, simtest.Into("v1"))
		return nil
	}})
	c.Run(simtest.Phases{Chaos: 40 * time.Second}, quick{time.Second})
}

// A seed with releases runs to the same trace every time, on one worker
// or two.
func TestReleasesAreDeterministic(t *testing.T) {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	traces := func(workers int) []string {
		res := simtest.Simulate(upgrades, simtest.Seeds(20), simtest.BaseSeed(11), simtest.Chaos(cfg), simtest.Workers(workers))
		require.True(t, res.OK(), res.Report)
		var out []string
		for _, sr := range res.PerSeed {
			out = append(out, fmt.Sprintf("seed=%d trace=%x", sr.Seed, sr.Trace))
		}
		return out
	}
	one := traces(1)
	require.Len(t, one, 20)
	assert.Empty(t, cmp.Diff(one, traces(1)), "the same seeds again")
	assert.Empty(t, cmp.Diff(one, traces(2)), "on two workers")
}

// A failure's report lists the reboots into a release among the faults
// before its window, so that an upgrade reads apart from attrition's
// reboot.
func TestTheReportNamesTheReleaseOfAReboot(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		var boots []string
		c := s.Boot(simtest.Processes{Name: "kv", Count: 2, Releases: releases(s, &boots), Release: "v1"})
		s.Sleep(time.Second)
		c.Reboot("kv-1", simtest.Graceful, simtest.Into("v2"))
		for i := range 300 { // enough that the reboot is before the window
			s.Sleep(10 * time.Millisecond)
			s.Logger().Info(fmt.Sprintf("tick %d", i))
		}
		s.Errorf("a failure after the upgrade")
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	require.Equal(t, 1, res.Failed)
	assert.Regexp(t, `faults before the timeline below:\n +1s +reboot: kv-1 \(graceful, into v2\)`, res.Report)
}

// A machine's reboot Into a release upgrades the processes on it whose
// group has the release, and reboots the others as they are: a log
// beside the storage servers, of one build.
func TestUnitIntoReachesTheGroupsThatHaveTheRelease(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		var boots []string
		c := s.Boot(
			simtest.Processes{Name: "storage", Topology: simtest.Topology{Machines: 1}, Releases: releases(s, &boots), Release: "v1"},
			simtest.Processes{Name: "log", Topology: simtest.Topology{Machines: 1}, New: waiting},
		)
		m := c.Units(chaos.Machine)[0]
		require.ElementsMatch(s, []string{"storage-0", "log-0"}, c.ProcessesIn(chaos.Machine, m))
		c.RebootUnit(chaos.Machine, m, simtest.Graceful, simtest.Into("v2"))
		assert.Equal(s, []string{"storage-0 v1 1", "storage-0 v2 2"}, bootsOf(boots, "storage-0"))
		assert.Equal(s, "v2", c.Release("storage-0"))
		assert.Equal(s, "", c.Release("log-0"))
		assert.Equal(s, 2, c.Boots("log-0"), "the log rebooted as it was")
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(3))
}

// ReleaseOf starts a cluster mixed: each process boots first, a first
// boot, into the release it names, or Release where it names none, and
// attrition's reboots keep each where it is.
func TestReleaseOfStartsAClusterMixed(t *testing.T) {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	res := simtest.Simulate(func(s *simtest.S) {
		var boots []string
		var firsts []providers.Boot
		rel := releases(s, &boots)
		for name, f := range rel {
			rel[name] = func(id simtest.ProcessID) simtest.Process {
				f(id)
				return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
					if id.Boot == 1 {
						firsts = append(firsts, p.Cluster.Boot())
					}
					return providers.Wait(ctx, p.Task)
				})
			}
		}
		c := s.Boot(simtest.Processes{Name: "kv", Count: 3, Releases: rel, Release: "v1",
			ReleaseOf: func(i int) string {
				if i == 1 {
					return "v2"
				}
				return ""
			}})
		assert.Equal(s, []string{"v1", "v2", "v1"}, []string{c.Release("kv-0"), c.Release("kv-1"), c.Release("kv-2")})
		c.Run(simtest.Phases{Chaos: 2 * time.Minute, Settle: 10 * time.Second})
		assert.Equal(s, []string{"kv-1 v2 1"}, bootsOf(boots, "kv-1")[:1], "kv-1 booted first into v2")
		for _, b := range bootsOf(boots, "kv-1") {
			assert.Contains(s, b, " v2 ", "attrition's reboots keep kv-1 in v2")
		}
		for _, b := range bootsOf(boots, "kv-0") {
			assert.Contains(s, b, " v1 ")
		}
		assert.Equal(s, []providers.Boot{providers.FirstBoot, providers.FirstBoot, providers.FirstBoot}, firsts, "a first boot, not a wipe's")
	}, simtest.Chaos(cfg), simtest.Seeds(5))
	assert.Zero(t, res.Failed, res.Report)
	assert.NotContains(t, res.Report, "injected by the test", "no reboot of the test's own set the releases")

	bad := simtest.Simulate(func(s *simtest.S) {
		var boots []string
		s.Boot(simtest.Processes{Name: "kv", Count: 2, Releases: releases(s, &boots), Release: "v1",
			ReleaseOf: func(int) string { return "v3" }})
	}, simtest.Seeds(1))
	require.Equal(t, 1, bad.Failed)
	assert.Contains(t, bad.Report, `configuration error: Processes "kv": ReleaseOf(0) is "v3", which is none of its Releases (v1, v2); return one of them, or "" for Release`)

	none := simtest.Simulate(func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "kv", New: waiting, ReleaseOf: func(int) string { return "v2" }})
	}, simtest.Seeds(1))
	require.Equal(t, 1, none.Failed)
	assert.Contains(t, none.Report, `configuration error: Processes "kv" has ReleaseOf but no Releases; give Releases a factory per release and Release the default, or leave ReleaseOf out`)
}

// A failing seed of a cluster with releases says, under its errors, the
// release each process ran at the first error, the down ones marked: an
// upgrade test's first question.
func TestTheReportSaysTheReleasesAtTheFirstError(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		var boots []string
		c := s.Boot(simtest.Processes{Name: "kv", Count: 3, Releases: releases(s, &boots), Release: "v1"})
		c.Reboot("kv-1", simtest.Graceful, simtest.Into("v2"), simtest.DownFor(time.Second))
		c.Stop("kv-2", simtest.Crash)
		s.Errorf("a v1 replica lost a v2 field")
		c.Start("kv-2")
		s.Errorf("and another error, later")
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.KeepFailures(false))
	require.Equal(t, 1, res.Failed)
	assert.Contains(t, res.Report, "\n  releases at the first error: kv-0 v1, kv-1 v2, kv-2 v1 (down)\n")

	// A seed that fails with no error of its own, by a task's panic here:
	// the releases when it failed.
	panicked := simtest.Simulate(func(s *simtest.S) {
		var boots []string
		c := s.Boot(simtest.Processes{Name: "kv", Count: 2, Releases: releases(s, &boots), Release: "v1"})
		c.Reboot("kv-0", simtest.Graceful, simtest.Into("v2"))
		c.Stop("kv-1", simtest.Crash)
		panic("a v2 record a v1 replica cannot read")
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.KeepFailures(false))
	require.Equal(t, 1, panicked.Failed)
	assert.Contains(t, panicked.Report, "\n  releases when the seed failed: kv-0 v2, kv-1 v1 (down)\n")
	assert.NotContains(t, panicked.Report, "releases at the first error")

	plain := simtest.Simulate(func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "kv", New: waiting})
		s.Errorf("no releases")
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.KeepFailures(false))
	assert.NotContains(t, plain.Report, "releases at the first error")
	assert.NotContains(t, plain.Report, "releases when")
}
