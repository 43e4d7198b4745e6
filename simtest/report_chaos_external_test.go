package simtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
	"github.com/moonpool-go/moonpool/simtest/timelinehtml"
)

// waiting is a process that waits to be stopped.
func waiting() simtest.Process {
	return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error { return providers.Wait(ctx, p.Task) })
}

// oneWaiting boots a waiting process and runs a second of chaos.
func oneWaiting(s *simtest.S) {
	c := s.Boot(simtest.Processes{Name: "p", New: waiting})
	c.Run(simtest.Phases{Chaos: time.Second, Settle: time.Millisecond}, idleFor(time.Second))
}

func TestTheReportSaysWhetherWipesAreOn(t *testing.T) {
	off := chaos.Defaults()
	off.Attrition.Enabled = false
	randomOff := chaos.Random()
	randomOff.Attrition.Enabled = false // Randomize still reboots some seeds
	varied := chaos.Defaults()
	varied.Attrition.Swarm, varied.SpikeProb = true, 0.05
	kills := chaos.Defaults()
	kills.Attrition.Kill = 3
	short := chaos.Defaults()
	short.Attrition.Pause, short.Attrition.DownFor = 1, chaos.Range{Max: 500 * time.Millisecond}
	paused := chaos.Off()
	paused.Attrition = chaos.DefaultAttrition()
	paused.Attrition.Graceful, paused.Attrition.Crash, paused.Attrition.PowerLoss, paused.Attrition.Pause = 0, 0, 0, 1
	for _, c := range []struct {
		name string
		cfg  chaos.Config
		line string
	}{
		{"defaults", chaos.Defaults(), "\n    random reboots weighted graceful 2, crash 2, power loss 1, down 1s-10s (MaxDead 1); random wipes: off (chaos.Harsh has them); lost directory changes: off (chaos.Storage.LoseUnsyncedDirectories has them)\n"},
		{"harsh", chaos.Harsh(), "\n    random reboots weighted graceful 2, crash 2, power loss 1, wipe 1, down 1s-10s (MaxDead 1); random wipes: on (a wiped process rejoins with an empty disk: see docs/wipes.md); lost directory changes: off (chaos.Storage.LoseUnsyncedDirectories has them)\n"},
		{"kills", kills, "\n    random reboots weighted graceful 2, crash 2, power loss 1, kill 3, down 1s-10s (MaxDead 1); random wipes: off (chaos.Harsh has them); lost directory changes: off (chaos.Storage.LoseUnsyncedDirectories has them)\n"},
		{"short downs and pauses", short, "\n    random reboots weighted graceful 2, crash 2, power loss 1, pause 1, down 0s-500ms, paused 200ms-5s (MaxDead 1); random wipes: off"},
		{"pauses alone", paused, "\n    random reboots weighted pause 1, paused 200ms-5s (MaxDead 1); random wipes: off"},
		{"no attrition", off, "\n    random reboots: off (chaos.Defaults has them); random wipes: off (chaos.Harsh has them); lost directory changes: off (chaos.Storage.LoseUnsyncedDirectories has them)\n"},
		{"random", chaos.Random(), "\n    random reboots weighted graceful 2, crash 2, power loss 1, down 1s-10s (MaxDead 1), on some seeds (Randomize); random wipes: off (chaos.Harsh has them); lost directory changes: off (chaos.Storage.LoseUnsyncedDirectories has them)\n"},
		{"random with attrition off", randomOff, "\n    random reboots weighted graceful 2, crash 2, power loss 1, down 1s-10s (MaxDead 1), on some seeds (Randomize); random wipes: off (chaos.Harsh has them); lost directory changes: off (chaos.Storage.LoseUnsyncedDirectories has them)\n"},
		{"varied", varied, "\n    random reboots weighted graceful 2, crash 2, power loss 1, down 1s-10s (MaxDead 1), a regime per seed (Attrition.Swarm); random wipes: off (chaos.Harsh has them); lost directory changes: off (chaos.Storage.LoseUnsyncedDirectories has them); network spikes on 5% of seeds (SpikeProb)\n"},
	} {
		res := simtest.Simulate(oneWaiting, simtest.Chaos(c.cfg), simtest.Seeds(2))
		assert.Contains(t, res.Report, c.line, c.name)
	}
	res := simtest.Simulate(func(s *simtest.S) { s.Sleep(time.Second) }, simtest.Seeds(2))
	assert.NotContains(t, res.Report, "reboots:", "a Run with no processes has no reboots to tell of")
}

// Attrition reboots only in the run phase of Cluster.Run: a Run that boots
// processes and drives them itself has none, and its chaos line says so
// rather than announce the weights of reboots that cannot happen.
func TestTheReportSaysNoRebootsWithoutClusterRun(t *testing.T) {
	byHand := func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "p", New: waiting})
		s.Sleep(time.Minute)
	}
	const none = "\n    random reboots and wipes: none, as no seed reached the run phase of Cluster.Run, where attrition reboots; " +
		"lost directory changes: off (chaos.Storage.LoseUnsyncedDirectories has them)\n"
	for _, cfg := range []chaos.Config{chaos.Defaults(), chaos.Harsh(), chaos.Random()} {
		res := simtest.Simulate(byHand, simtest.Chaos(cfg), simtest.Seeds(2))
		require.True(t, res.OK(), res.Report)
		assert.Contains(t, res.Report, none)
		assert.NotContains(t, res.Report, "weighted")
	}
	off := chaos.Defaults()
	off.Attrition.Enabled = false
	res := simtest.Simulate(byHand, simtest.Chaos(off), simtest.Seeds(2))
	assert.Contains(t, res.Report, "\n    random reboots: off (chaos.Defaults has them)", "off is off, Cluster.Run or not")

	// One seed that reaches the run phase is enough for the weights.
	some := simtest.Simulate(func(s *simtest.S) {
		if s.Providers().Random.IntN(2) == 0 {
			byHand(s)
			return
		}
		oneWaiting(s)
	}, simtest.Seeds(8))
	assert.Contains(t, some.Report, "\n    random reboots weighted graceful 2, crash 2, power loss 1")
}

// nothingToDrive is a workload with nothing to drive: its Run returns at once,
// and its Check looks at the cluster.
type nothingToDrive struct{ hold bool }

func (nothingToDrive) Setup(context.Context, providers.Providers) error { return nil }
func (w nothingToDrive) Run(ctx context.Context, p providers.Providers) error {
	if w.hold {
		_ = providers.Wait(simtest.ChaosContext(ctx), p.Task) // ends with the phase
	}
	return nil
}
func (nothingToDrive) Check(context.Context, providers.Providers) error { return nil }

// A workload whose Run returns as the chaos phase begins ends the phase
// at once: every seed passes untouched by chaos, and the test fails
// saying so and how to hold the phase open; held open, it passes and its
// seeds meet faults.
func TestAChaosPhaseThatLastedNoTimeFailsTheTest(t *testing.T) {
	body := func(hold bool) func(s *simtest.S) {
		return func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "p", Count: 2, New: waiting})
			c.Run(simtest.Phases{Chaos: time.Minute}, nothingToDrive{hold})
		}
	}
	res := simtest.Simulate(body(false), simtest.Seeds(3))
	require.False(t, res.OK())
	assert.Equal(t, 0, res.Failed, "no seed failed")
	assert.Contains(t, res.Report, "simtest: the chaos phase of Cluster.Run lasted no time in every one of its 3 seeds, and the test fails: "+
		"every workload's Run returned as the phase began, which ends it, so no fault of the phase's came and the checks judged a cluster nothing disturbed; "+
		"a Run with nothing to drive holds the phase open to Phases.Chaos with _ = providers.Wait(simtest.ChaosContext(ctx), p.Task) and then returns nil (docs/workloads.md)")

	held := simtest.Simulate(body(true), simtest.Seeds(3))
	require.True(t, held.OK(), held.Report)
	assert.NotContains(t, held.Report, "faults seen: none")

	quiet := simtest.Simulate(body(false), simtest.Seeds(3), simtest.Chaos(chaos.Off()))
	assert.True(t, quiet.OK(), "with no chaos, a phase of no time misses nothing: %s", quiet.Report)

	// A script that does its work at the phase's first instant is chaos
	// of the test's own.
	scripted := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 2, New: waiting})
		c.Inject(simtest.Injector{Name: "crash", Hold: true, Run: func(ctx context.Context, f *simtest.Faults) error {
			f.Reboot("p-0", simtest.Crash)
			return nil
		}})
		c.Run(simtest.Phases{Chaos: time.Minute}, nothingToDrive{})
	}, simtest.Seeds(3))
	assert.True(t, scripted.OK(), scripted.Report)
}

// The report counts the faults the seeds saw, and says when they saw none:
// a workload done before chaos strikes passes having tested nothing under
// it.
func TestTheReportCountsTheFaultsSeen(t *testing.T) {
	run := func(d time.Duration) func(s *simtest.S) {
		return func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "p", Count: 2, New: waiting})
			c.Run(simtest.Phases{Chaos: d, Settle: time.Millisecond}, idleFor(d))
		}
	}
	quick := simtest.Simulate(run(time.Millisecond), simtest.Seeds(3))
	assert.Contains(t, quick.Report, "\n    faults seen: none in 3 seeds: did the workload end before chaos began? (docs/workloads.md)\n")

	long := simtest.Simulate(run(2*time.Minute), simtest.Seeds(3))
	assert.Regexp(t, `\n    faults seen: [1-9]\d* reboots? \([^)]+\), \d+ of the network( \([^)]+\))?, \d+ of the disks( \([^)]+\))?\n`, long.Report)

	off := simtest.Simulate(run(2*time.Minute), simtest.Seeds(3), simtest.Chaos(chaos.Off()))
	assert.Contains(t, off.Report, "\n    faults seen: none in 3 seeds, as the Run's chaos injects none\n", "no fault to see is no question to ask")
}

// The code under test's own buggify sites count among no family of
// faults, but a seed in which one fired did not run quiet: the faults
// line tells how often they fired, and asks no question of a workload
// that ran under them.
func TestTheFaultsLineTellsTheCodeUnderTestsBuggifyFirings(t *testing.T) {
	cfg := chaos.Off()
	cfg.Buggify = chaos.BuggifyConfig{Enabled: true, ActivationProb: 1, FireProb: 1}
	fires := func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				if chaos.Buggify(ctx) {
					p.Time.Sleep(ctx, time.Millisecond)
				}
				return providers.Wait(ctx, p.Task)
			})
		}})
		c.Run(simtest.Phases{Chaos: time.Second, Settle: time.Millisecond}, idleFor(time.Second))
	}
	res := simtest.Simulate(fires, simtest.Seeds(3), simtest.Chaos(cfg))
	require.True(t, res.OK(), res.Report)
	assert.Contains(t, res.Report, "\n    faults seen: none in 3 seeds, but the code under test's buggify sites fired 3 times\n")
	assert.NotContains(t, res.Report, "did the workload end")
	assert.Equal(t, map[string]int{"buggify fired": 1}, res.PerSeed[0].Faults)

	// Beside other faults, the firings follow them: a process fires
	// once a boot, and attrition reboots it.
	defaults := chaos.Defaults()
	defaults.Buggify = cfg.Buggify
	both := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 2, New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				chaos.Buggify(ctx)
				return providers.Wait(ctx, p.Task)
			})
		}})
		c.Run(simtest.Phases{Chaos: time.Minute, Settle: time.Millisecond}, idleFor(time.Minute))
	}, simtest.Seeds(3), simtest.Chaos(defaults))
	require.True(t, both.OK(), both.Report)
	assert.Regexp(t, `\n    faults seen: [1-9]\d* reboots .*; the code under test's buggify sites fired ([7-9]|[1-9]\d+) times\n`, both.Report)
}

// A Run whose seeds saw no fault because every process had exited (its
// Run returned) says so, not that the workload ended early: attrition
// leaves an exited process alone, and nothing was left to fault.
func TestTheReportSaysWhenEveryProcessHadExitedBeforeChaos(t *testing.T) {
	exitsAfter := func(d time.Duration) func(s *simtest.S) {
		return func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "p", Count: 2, New: func() simtest.Process {
				return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error { return p.Time.Sleep(ctx, d) })
			}})
			c.Run(simtest.Phases{Chaos: 5 * time.Second, Settle: time.Millisecond}, idleFor(5*time.Second))
		}
	}
	const fix = "(their Run returned), and attrition leaves an exited process alone; " +
		"a server's Run returns only when it is asked to stop, as its ctx ends, and a program's main at SIGTERM (docs/processes.md)\n"
	at := simtest.Simulate(exitsAfter(0), simtest.Seeds(3))
	require.True(t, at.OK(), at.Report)
	assert.Contains(t, at.Report, "\n    faults seen: none in 3 seeds: every process had exited before chaos began "+fix)

	// Attrition's first try comes 1 s into chaos at the earliest.
	during := simtest.Simulate(exitsAfter(500*time.Millisecond), simtest.Seeds(3))
	require.True(t, during.OK(), during.Report)
	assert.Contains(t, during.Report, "\n    faults seen: none in 3 seeds: every process had exited before the chaos phase ended "+fix)

	// A merge of shards' results files says the same.
	dir := t.TempDir()
	for i := range 2 {
		simtest.Simulate(exitsAfter(0), simtest.Seeds(4), simtest.Shard(i, 2), simtest.ResultsFile(dir+"/"))
	}
	merged, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	require.Len(t, merged.Tests, 1)
	assert.Contains(t, merged.Tests[0].Report, "\n    faults seen: none in 4 seeds: every process had exited before chaos began "+fix)
}

// idleFor is a workload whose Run sleeps for d.
type idleFor time.Duration

func (idleFor) Setup(context.Context, providers.Providers) error { return nil }
func (d idleFor) Run(ctx context.Context, p providers.Providers) error {
	return p.Time.Sleep(ctx, time.Duration(d))
}
func (idleFor) Check(context.Context, providers.Providers) error { return nil }

// A Run that boots no processes counts the faults its seeds saw when
// they saw any, and says nothing of faults when none came.
func TestTheReportCountsTheFaultsOfARunWithoutProcesses(t *testing.T) {
	pings := func(s *simtest.S) {
		server := s.HostProviders("10.0.0.1")
		l, err := server.Network.Listen(s.Context(), ":7")
		if err != nil {
			s.Fatal(err)
		}
		defer l.Close()
		for range 20 {
			conn, err := s.Providers().Network.Dial(s.Context(), "10.0.0.1:7")
			if err == nil {
				conn.Close()
			}
			s.Sleep(500 * time.Millisecond)
		}
	}
	partitions := chaos.NoNetworkFaults()
	partitions.PartitionInterval = time.Second
	partitions.PartitionDuration = chaos.Range{Min: 100 * time.Millisecond, Max: 200 * time.Millisecond}
	res := simtest.Simulate(pings, simtest.Network(partitions), simtest.Seeds(3))
	assert.Regexp(t, `\n    faults seen: 0 reboots, [1-9]\d* of the network \([1-9]\d* partitions?\), 0 of the disks`, res.Report)

	quiet := simtest.Simulate(pings, simtest.Network(chaos.NoNetworkFaults()), simtest.Seeds(3))
	assert.NotContains(t, quiet.Report, "faults seen", "a Run with no processes and no faults has no chaos to speak of")
}

// The chaos line says whether a crash can lose the directory changes not
// yet synced: with it off, as in every preset, a store that forgets to
// sync the directory after a rename passes every seed.
func TestTheReportSaysWhetherDirectoryChangesCanBeLost(t *testing.T) {
	on := chaos.Defaults()
	on.Storage.LoseUnsyncedDirectories = true
	offByName := on
	offByName.Storage.Off = []string{"unsynced-directory"}
	lossy := chaos.DefaultStorage()
	lossy.LoseUnsyncedDirectories = true
	for _, c := range []struct {
		name string
		opts []simtest.Option
		want string
	}{
		{"defaults", nil, "; lost directory changes: off (chaos.Storage.LoseUnsyncedDirectories has them)"},
		{"harsh", []simtest.Option{simtest.Chaos(chaos.Harsh())}, "; lost directory changes: off (chaos.Storage.LoseUnsyncedDirectories has them)"},
		{"on", []simtest.Option{simtest.Chaos(on)}, "; lost directory changes: on (a crash undoes creates, renames and removes whose directory was not synced)"},
		{"off by name", []simtest.Option{simtest.Chaos(offByName)}, "; lost directory changes: off (chaos.Storage.LoseUnsyncedDirectories has them)"},
		{"one disk", []simtest.Option{simtest.DiskStorage("p-0", lossy)}, "; lost directory changes: on for some disks (DiskStorage)"},
	} {
		res := simtest.Simulate(oneWaiting, append(c.opts, simtest.Seeds(2))...)
		assert.Contains(t, res.Report, c.want, c.name)
	}
}

// A merge of shards adds up the faults each saw, of every kind: its line
// is the one of a Run of all their seeds, not the first shard's. Each
// seed's line of the results files tells its own faults by kind, which
// add up to the summary's.
func TestMergedShardsAddUpTheFaultsSeen(t *testing.T) {
	cfg := chaos.Defaults()
	cfg.Network.PartialReadProb, cfg.Network.PartialWriteProb = 0.2, 0.2
	cfg.Network.ConnectFailProb = 0.3
	cfg.Storage.Full = chaos.StorageEpisode{Prob: 0.1, Duration: chaos.Range{Min: time.Millisecond, Max: 5 * time.Millisecond}}
	body := func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 2, New: chatty})
		// Half the seeds end before chaos begins, and see no fault.
		d := time.Duration(s.Providers().Random.IntN(2)) * 2 * time.Minute
		c.Run(simtest.Phases{Chaos: d, Settle: time.Millisecond}, idleFor(d))
	}
	dir := t.TempDir()
	opts := []simtest.Option{simtest.Seeds(8), simtest.BaseSeed(3), simtest.Chaos(cfg)}
	one := simtest.Simulate(body, opts...)
	for i := range 3 {
		simtest.Simulate(body, append(opts, simtest.Shard(i, 3), simtest.ResultsFile(dir+"/"))...)
	}
	merged, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	line := regexp.MustCompile(`\n    faults seen: [^\n]*\n`)
	want := line.FindString(one.Report)
	require.Regexp(t, `faults seen: [1-9]\d* reboots? \([^)]+\), \d+ of the network \([^)]*connects? refused[^)]*\), `+
		`\d+ of the disks \([^)]*disk-full episodes?\), [1-9]\d* writes? refused for lack of space \(ENOSPC\), `+
		`[1-9]\d* short reads and writes \([1-9]\d* reads?, [1-9]\d* writes?\); [1-7] seeds? of 8 saw none`, want)
	assert.Equal(t, want, line.FindString(merged.Tests[0].Report))
	chaosLine := regexp.MustCompile(`\n    random reboots[^\n]*\n`)
	assert.Equal(t, chaosLine.FindString(one.Report), chaosLine.FindString(merged.Tests[0].Report))

	// The seeds' own counts: those of one process's seeds, those of the
	// shards' lines, and the sum that is the summary's.
	perSeed := make(map[uint64]map[string]int)
	sum := make(map[string]int)
	without := 0
	for _, sr := range one.PerSeed {
		perSeed[sr.Seed] = sr.Faults
		for kind, n := range sr.Faults {
			sum[kind] += n
		}
		if len(sr.Faults) == 0 {
			without++
		}
	}
	assert.Positive(t, without)
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	require.NoError(t, err)
	require.Len(t, files, 3)
	inFiles := make(map[uint64]map[string]int)
	summed := make(map[string]int)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var seed struct {
				Seed    uint64
				Faults  map[string]int
				Summary *struct {
					Faults struct{ Kinds map[string]int }
				}
			}
			require.NoError(t, json.Unmarshal([]byte(l), &seed), l)
			if seed.Summary != nil {
				for kind, n := range seed.Summary.Faults.Kinds {
					summed[kind] += n
				}
				continue
			}
			inFiles[seed.Seed] = seed.Faults
		}
	}
	assert.Equal(t, perSeed, inFiles, "each seed's line tells the faults it saw in one process")
	assert.Equal(t, sum, summed, "the seeds' faults add up to the summaries'")
}

// manyFaults reboots a process that leaves a write unsynced in every way
// but a kill, and partitions and clogs the network by hand.
func manyFaults(s *simtest.S) {
	c := s.Boot(simtest.Processes{Name: "p", Count: 2, New: func() simtest.Process { return unsyncedWriter{} }})
	for _, how := range []simtest.Reboot{simtest.Crash, simtest.Graceful, simtest.Crash, simtest.PowerLoss} {
		s.Sleep(time.Second)
		c.Reboot("p-0", how)
	}
	s.Network().Partition([]string{"p-0"}, []string{"p-1"})
	s.Sleep(time.Second)
	s.Network().Heal()
	s.Network().Isolate("p-1")
	s.Network().Heal()
	s.Network().Clog("p-0", "p-1", time.Second)
	s.Sleep(2 * time.Second)
}

// The faults line tells the kinds of faults the seeds saw: a store's
// test learns whether a crash lost unsynced writes, a network's whether
// it was partitioned. The -simjson report counts them too.
func TestTheFaultsLineTellsTheKindsOfFaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	res := simtest.Simulate(manyFaults, simtest.Chaos(chaos.Off()), simtest.Seeds(2), simtest.JSONReport(path))
	require.True(t, res.OK(), res.Report)
	assert.Contains(t, res.Report, "\n    faults seen: 8 reboots (2 graceful, 4 crashes, 2 power losses), 6 of the network (4 partitions, 2 clogs), "+
		"0 of the disks, unsynced writes lost in 6 disk crashes; all of them injected by the test (an Injector, or a Cluster, Net or Disk call)\n", "a graceful stop writes the unsynced data out")

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var rep struct {
		Faults struct {
			Reboots, Network, Disk int
			Kinds                  map[string]int
		} `json:"faults"`
	}
	require.NoError(t, json.Unmarshal(data, &rep), string(data))
	assert.Equal(t, 8, rep.Faults.Reboots)
	assert.Equal(t, 6, rep.Faults.Network)
	assert.Equal(t, 0, rep.Faults.Disk)
	assert.Equal(t, map[string]int{"graceful": 2, "crash": 4, "power loss": 2, "partition": 4, "clog": 2, "unsynced writes lost": 6}, rep.Faults.Kinds)
}

// A graceful stop that runs out of its grace kills the process, and the
// seed passes: the faults line counts such stops, which would otherwise
// show only on the timeline, so that a Run that never returns when its
// ctx ends (every graceful stop a kill, SIGTERM ignored in production)
// is seen.
func TestTheFaultsLineCountsGracefulStopsThatRanOutOfGrace(t *testing.T) {
	deaf := func() simtest.Process {
		return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
			return p.Time.Sleep(context.WithoutCancel(ctx), time.Hour) // deaf to its ctx
		})
	}
	stops := func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "deaf", New: deaf}, simtest.Processes{Name: "ok", New: waiting})
		s.Sleep(time.Second)
		c.Reboot("deaf-0", simtest.Graceful, simtest.Grace(time.Second))
		c.Stop("deaf-0", simtest.Graceful, simtest.Grace(time.Second))
		c.Reboot("ok-0", simtest.Graceful)
	}
	path := filepath.Join(t.TempDir(), "report.json")
	res := simtest.Simulate(stops, simtest.Chaos(chaos.Off()), simtest.Seeds(2), simtest.JSONReport(path))
	require.True(t, res.OK(), res.Report)
	assert.Contains(t, res.Report, "\n    faults seen: 6 reboots (6 graceful), 4 of them graceful stops killed when their grace ran out "+
		"(a process's Run returns when its ctx ends: docs/processes.md), 0 of the network, 0 of the disks; all of them injected by the test (an Injector, or a Cluster, Net or Disk call)\n")

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var rep struct {
		Faults struct{ Kinds map[string]int } `json:"faults"`
	}
	require.NoError(t, json.Unmarshal(data, &rep), string(data))
	assert.Equal(t, map[string]int{"graceful": 6, "grace over": 4}, rep.Faults.Kinds)

	one := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "deaf", New: deaf})
		c.Stop("deaf-0", simtest.Graceful, simtest.Grace(time.Second))
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1))
	assert.Contains(t, one.Report, "\n    faults seen: 1 reboot (1 graceful), 1 of them a graceful stop killed when its grace ran out (")

	fine := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "ok", New: waiting})
		s.Sleep(time.Second)
		c.Reboot("ok-0", simtest.Graceful)
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(2))
	assert.Contains(t, fine.Report, "\n    faults seen: 2 reboots (2 graceful), 0 of the network")
	assert.NotContains(t, fine.Report, "grace ran out")
}

// Pauses, by hand (Pause, PauseAfterClockRead) as by attrition, are
// counted as pauses, not among the reboots. The -simjson report's Reboots
// counts them still, as it always did, and Pauses counts them apart.
func TestTheFaultsLineCountsPausesApartFromReboots(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 2, New: waiting})
		c.Pause("p-0", time.Second)
		c.PauseAfterClockRead("p-1", time.Second)
		c.Pause("p-1", time.Second)
		c.Reboot("p-0", simtest.Crash)
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(2), simtest.JSONReport(path))
	require.True(t, res.OK(), res.Report)
	assert.Contains(t, res.Report, "\n    faults seen: 2 reboots (2 crashes), 6 pauses, 0 of the network, 0 of the disks; all of them injected by the test (an Injector, or a Cluster, Net or Disk call)\n")

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var rep struct {
		Faults struct {
			Reboots, Pauses int
			Kinds           map[string]int
		} `json:"faults"`
	}
	require.NoError(t, json.Unmarshal(data, &rep), string(data))
	assert.Equal(t, 8, rep.Faults.Reboots, "reboots counts the pauses too, as before pauses were counted apart")
	assert.Equal(t, 6, rep.Faults.Pauses)
	assert.Equal(t, map[string]int{"crash": 2, "pause": 6}, rep.Faults.Kinds)
}

// Shards merged tell the faults by kind as one process does; a results
// file written before faults were counted by kind still merges, and the
// merged line tells the totals alone. One of a kind this merge does not
// know is refused.
func TestMergeOfResultsWithoutFaultKinds(t *testing.T) {
	dir := t.TempDir()
	opts := []simtest.Option{simtest.Seeds(6), simtest.BaseSeed(5), simtest.Chaos(chaos.Off())}
	one := simtest.Simulate(manyFaults, opts...)
	for i := range 2 {
		simtest.Simulate(manyFaults, append(opts, simtest.Shard(i, 2), simtest.ResultsFile(dir+"/"))...)
	}
	line := regexp.MustCompile(`\n    faults seen: [^\n]*\n`)
	whole, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	assert.Equal(t, "\n    faults seen: 24 reboots (6 graceful, 12 crashes, 6 power losses), 18 of the network (12 partitions, 6 clogs), "+
		"0 of the disks, unsynced writes lost in 18 disk crashes; all of them injected by the test (an Injector, or a Cluster, Net or Disk call)\n", line.FindString(whole.Tests[0].Report))
	assert.Equal(t, line.FindString(one.Report), line.FindString(whole.Tests[0].Report))

	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	require.NoError(t, err)
	require.Len(t, files, 2)
	kinds := regexp.MustCompile(`,"kinds":\{[^}]*\}`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		require.Regexp(t, kinds, string(data))
		require.NoError(t, os.WriteFile(f, kinds.ReplaceAll(data, nil), 0o666))
	}
	merged, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	want := line.FindString(one.Report)
	require.Contains(t, want, "faults seen: 24 reboots (")
	// Nor does it tell which were injected, which it counts by kind.
	want = regexp.MustCompile(` \([^)]*\)|, unsynced writes lost in [^;\n]*|; all of them injected by the test`).ReplaceAllString(want, "")
	assert.Equal(t, "\n    faults seen: 24 reboots, 18 of the network, 0 of the disks\n", want)
	assert.Equal(t, want, line.FindString(merged.Tests[0].Report))

	data, err := os.ReadFile(files[0])
	require.NoError(t, err)
	newer := strings.Replace(string(data), `"faults":{"reboots"`, `"faults":{"kinds":{"meteor strike":1},"reboots"`, 1) // the summary's
	require.NotEqual(t, string(data), newer)
	require.NoError(t, os.WriteFile(files[0], []byte(newer), 0o666))
	_, err = simtest.MergeResults(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `counts faults of kind "meteor strike", which this merge does not know`)
}

// replacer saves its state as the classic way does: a temporary file,
// synced, renamed over the real one; it syncs the directory after only
// when syncDir is set. Then it waits.
type replacer struct{ syncDir bool }

func (r replacer) Run(ctx context.Context, p providers.Providers) error {
	f, err := p.Storage.Create("state.json.tmp")
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte(`{"n":1}`)); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := p.Storage.Rename("state.json.tmp", "state.json"); err != nil {
		return err
	}
	if r.syncDir {
		d, err := p.Storage.Open(".")
		if err != nil {
			return err
		}
		if err := d.Sync(); err != nil {
			return err
		}
		if err := d.Close(); err != nil {
			return err
		}
	}
	return providers.Wait(ctx, p.Task)
}

// crashesAReplacer boots a replacer, takes its power away once it saved,
// and checks that its state survived.
func crashesAReplacer(syncDir bool) func(s *simtest.S) {
	return func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", New: func() simtest.Process { return replacer{syncDir} }})
		s.Sleep(time.Second)
		c.Stop("p-0", simtest.PowerLoss)
		if _, err := s.Disk("p-0").Storage().Stat("state.json"); err != nil {
			s.Errorf("the state is gone: %v", err)
		}
	}
}

// With LoseUnsyncedDirectories off, a store that renames without syncing
// the directory passes every seed: the chaos line says how many seeds
// crashed with such a change, which a real disk could have lost, and the
// crash's timeline entry names it. Syncing the directory, or the option
// on, leaves the line as it was.
func TestTheChaosLineCountsTheSeedsThatCrashedWithAnUnsyncedRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	res := simtest.Simulate(crashesAReplacer(false), simtest.Chaos(chaos.Off()), simtest.Seeds(3), simtest.JSONReport(path),
		simtest.TimelineFile(filepath.Join(dir, "timeline.jsonl")))
	require.True(t, res.OK(), res.Report)
	assert.Contains(t, res.Report, "; lost directory changes: off, yet 3 of 3 seeds crashed with a create, mkdir, rename or remove whose directory was not synced, "+
		"which a real disk could lose: a Sync of the directory, opened read-only, after the change keeps them (after MkdirAll, of each new directory's parent; a crash's own entry names the changes) (chaos.Storage.LoseUnsyncedDirectories loses them)\n")
	assert.Contains(t, res.Report, "\n    faults seen: 3 reboots (3 power losses), 0 of the network, 0 of the disks; all of them injected by the test (an Injector, or a Cluster, Net or Disk call)\n", "the file was synced: no unsynced write lost")
	data, err := os.ReadFile(filepath.Join(dir, "timeline.jsonl"))
	require.NoError(t, err)
	assert.Contains(t, string(data), "; 1 create and 1 rename whose directory was not synced (create of state.json.tmp, rename of state.json.tmp -> state.json) "+
		"kept: a real disk could lose them (chaos.Storage.LoseUnsyncedDirectories loses such changes)")

	data, err = os.ReadFile(path)
	require.NoError(t, err)
	var rep struct {
		Faults struct {
			Chaos             string
			SeedsUnsyncedDirs int `json:"seeds_unsynced_dirs"`
		} `json:"faults"`
	}
	require.NoError(t, json.Unmarshal(data, &rep), string(data))
	assert.Equal(t, 3, rep.Faults.SeedsUnsyncedDirs)
	assert.Contains(t, rep.Faults.Chaos, "; lost directory changes: off (chaos.Storage.LoseUnsyncedDirectories has them)", "the configuration's line, which a merge adds the count to")

	synced := simtest.Simulate(crashesAReplacer(true), simtest.Chaos(chaos.Off()), simtest.Seeds(3))
	require.True(t, synced.OK(), synced.Report)
	assert.Contains(t, synced.Report, "; lost directory changes: off (chaos.Storage.LoseUnsyncedDirectories has them)\n")

	on := chaos.Off()
	on.Storage.LoseUnsyncedDirectories = true
	lossy := simtest.Simulate(crashesAReplacer(false), simtest.Chaos(on), simtest.Seeds(20), simtest.KeepGoing())
	assert.Contains(t, lossy.Report, "; lost directory changes: on (a crash undoes creates, renames and removes whose directory was not synced)\n")
	assert.Positive(t, lossy.Failed, "the option loses the rename on some seeds")
	assert.NotContains(t, lossy.Report, "could lose")
}

// A merge adds up the seeds that crashed with such changes: its chaos
// line is the one of a Run of all their seeds.
func TestMergedShardsAddUpTheSeedsWithUnsyncedRenames(t *testing.T) {
	body := func(s *simtest.S) {
		// Half the seeds sync the directory.
		crashesAReplacer(s.Providers().Random.IntN(2) == 0)(s)
	}
	dir := t.TempDir()
	opts := []simtest.Option{simtest.Seeds(8), simtest.BaseSeed(3), simtest.Chaos(chaos.Off())}
	one := simtest.Simulate(body, opts...)
	for i := range 3 {
		simtest.Simulate(body, append(opts, simtest.Shard(i, 3), simtest.ResultsFile(dir+"/"))...)
	}
	merged, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	chaosLine := regexp.MustCompile(`\n    random reboots[^\n]*\n`)
	want := chaosLine.FindString(one.Report)
	require.Regexp(t, `lost directory changes: off, yet [1-7] of 8 seeds crashed with`, want)
	assert.Equal(t, want, chaosLine.FindString(merged.Tests[0].Report))
}

// A store tested on S.Disk alone, with no process booted, has no chaos
// line, and gets the count of seeds that crashed with a change whose
// directory was not synced on a line of its own, as does a merge of its
// shards.
func TestTheReportCountsUnsyncedDirectoryChangesOnADiskAlone(t *testing.T) {
	body := func(syncDir bool) func(s *simtest.S) {
		return func(s *simtest.S) {
			d := s.Disk("db")
			st := d.Storage()
			f, err := st.Create("log")
			require.NoError(s, err)
			require.NoError(s, f.Sync())
			require.NoError(s, f.Close())
			if syncDir {
				dir, err := st.Open(".")
				require.NoError(s, err)
				require.NoError(s, dir.Sync())
				require.NoError(s, dir.Close())
			}
			d.Crash()
		}
	}
	const line = "\n    lost directory changes: off, yet 3 of 3 seeds crashed with a create, mkdir, rename or remove whose directory was not synced, " +
		"which a real disk could lose: a Sync of the directory, opened read-only, after the change keeps them (after MkdirAll, of each new directory's parent; a crash's own entry names the changes) (chaos.Storage.LoseUnsyncedDirectories loses them)\n"
	res := simtest.Simulate(body(false), simtest.Chaos(chaos.Off()), simtest.Seeds(3))
	require.True(t, res.OK(), res.Report)
	assert.Contains(t, res.Report, line)
	assert.NotContains(t, res.Report, "random reboots", "no process booted: no chaos line")

	synced := simtest.Simulate(body(true), simtest.Chaos(chaos.Off()), simtest.Seeds(3))
	require.True(t, synced.OK(), synced.Report)
	assert.NotContains(t, synced.Report, "lost directory changes")

	dir := t.TempDir()
	for i := range 3 {
		simtest.Simulate(body(false), simtest.Chaos(chaos.Off()), simtest.Seeds(3), simtest.Shard(i, 3), simtest.ResultsFile(dir+"/"))
	}
	merged, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	require.Len(t, merged.Tests, 1)
	assert.Contains(t, merged.Tests[0].Report, line)

	// A disk of another address that loses such changes: the line says
	// "on for some disks", and so does a merge of the shards.
	lossy := chaos.Off().Storage
	lossy.LoseUnsyncedDirectories = true
	opts := []simtest.Option{simtest.Chaos(chaos.Off()), simtest.DiskStorage("elsewhere", lossy), simtest.Seeds(3)}
	some := simtest.Simulate(body(false), opts...)
	require.True(t, some.OK(), some.Report)
	const someLine = "\n    lost directory changes: on for some disks (DiskStorage), yet on the others 3 of 3 seeds crashed with a create, mkdir, rename or remove " +
		"whose directory was not synced, which a real disk could lose: a Sync of the directory, opened read-only, after the change keeps them (after MkdirAll, of each new directory's parent; a crash's own entry names the changes)\n"
	assert.Contains(t, some.Report, someLine)
	dir = t.TempDir()
	for i := range 3 {
		simtest.Simulate(body(false), append(opts, simtest.Shard(i, 3), simtest.ResultsFile(dir+"/"))...)
	}
	merged, err = simtest.MergeResults(dir)
	require.NoError(t, err)
	require.Len(t, merged.Tests, 1)
	assert.Contains(t, merged.Tests[0].Report, someLine)
}

// A merge of shards of which only some reached the run phase of
// Cluster.Run tells the weights of the reboots, as one process running
// every seed would, whichever shard it reads first.
func TestMergedShardsTellRebootsThatOnlySomeShardsReached(t *testing.T) {
	opts := []simtest.Option{simtest.Seeds(4), simtest.BaseSeed(5)}
	all := simtest.Simulate(func(*simtest.S) {}, opts...)
	require.Len(t, all.PerSeed, 4)
	reaching := all.PerSeed[3].Seed // shard 1 of 2 runs it, and shard 0 none that reach
	body := func(s *simtest.S) {
		if s.Seed() == reaching {
			oneWaiting(s)
			return
		}
		s.Boot(simtest.Processes{Name: "p", New: waiting})
		s.Sleep(time.Minute)
	}
	one := simtest.Simulate(body, opts...)
	require.True(t, one.OK(), one.Report)
	chaosLine := regexp.MustCompile(`\n    random reboots[^\n]*\n`)
	want := chaosLine.FindString(one.Report)
	require.Contains(t, want, "random reboots weighted graceful 2, crash 2, power loss 1")
	dir := t.TempDir()
	for i := range 2 {
		res := simtest.Simulate(body, append(opts, simtest.Shard(i, 2), simtest.ResultsFile(dir+"/"))...)
		require.True(t, res.OK(), res.Report)
	}
	merged, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	require.Len(t, merged.Tests, 1)
	assert.Equal(t, want, chaosLine.FindString(merged.Tests[0].Report))
}

// The faults line counts the faults the network and the disks inject that
// no other kind covers: connects refused or left hanging, disks full for a
// while, and, apart from the network's, partial reads and writes.
func TestTheFaultsLineCountsPartialIOConnectFaultsAndFullDisks(t *testing.T) {
	cfg := chaos.Off()
	cfg.Network.PartialReadProb, cfg.Network.PartialWriteProb = 0.5, 0.5
	cfg.Network.ConnectFailProb, cfg.Network.ConnectHangProb = 0.4, 0.5
	cfg.Storage.Full = chaos.StorageEpisode{Prob: 0.3, Duration: chaos.Range{Min: time.Millisecond, Max: 5 * time.Millisecond}}
	path := filepath.Join(t.TempDir(), "report.json")
	res := simtest.Simulate(func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "n", Count: 3, New: chatty})
		s.Sleep(2 * time.Second)
	}, simtest.Chaos(cfg), simtest.Seeds(4), simtest.JSONReport(path))
	require.True(t, res.OK(), res.Report)
	assert.Regexp(t, `\n    faults seen: 0 reboots, [1-9]\d* of the network \([1-9]\d* connects? refused, [1-9]\d* connects? hung\), `+
		`[1-9]\d* of the disks \([1-9]\d* disk-full episodes?\), [1-9]\d* writes? refused for lack of space \(ENOSPC\), `+
		`[1-9]\d* short reads and writes \([1-9]\d* reads?, [1-9]\d* writes?\)\n`, res.Report)

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var rep struct {
		Faults struct {
			Network int            `json:"network"`
			ShortIO int            `json:"short_io"`
			Kinds   map[string]int `json:"kinds"`
		} `json:"faults"`
	}
	require.NoError(t, json.Unmarshal(data, &rep), string(data))
	for _, kind := range []string{"partial read", "partial write", "connect refused", "connect hung", "full"} {
		assert.Positive(t, rep.Faults.Kinds[kind], kind)
	}
	kinds := rep.Faults.Kinds
	assert.Equal(t, kinds["connect refused"]+kinds["connect hung"], rep.Faults.Network, "the network's count leaves partial reads and writes out")
	assert.Equal(t, kinds["partial read"]+kinds["partial write"], rep.Faults.ShortIO)
}

// A log line is no fault, whatever its words: a process's or the test's
// line that reads as the cluster's, the network's or a disk's own event
// counts nothing.
func TestALogLineThatReadsAsAFaultCountsNothing(t *testing.T) {
	lines := []string{
		"reboot", "reboot: p-0 (crash)", "stop: p-0 (power loss)", "restart: p-0 asked to be restarted: no",
		"net: partition p-0 | p-1", "net: partial read of 1 of 2 bytes on a->b", "net: connect p-0 -> 10.0.0.2:7 refused",
		"disk p-0: write-corruption: log: sector 0 stored with 1 bits flipped", "disk p-0: full: the disk is full for 1s",
		"disk p-0: crash: unsynced changes in 1 file (log): 1 sector lost, 0 kept",
	}
	res := simtest.Simulate(func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "p", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				for _, l := range lines {
					p.Logger.Info(l)
				}
				return providers.Wait(ctx, p.Task)
			})
		}})
		s.Sleep(time.Second)
		for _, l := range lines {
			s.Log(l)
			s.Logger().Info(l)
		}
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(2))
	require.True(t, res.OK(), res.Report)
	assert.Contains(t, res.Report, "\n    faults seen: none in 2 seeds, as the Run's chaos injects none\n")
}

// The HTML timeline draws such a line as a log line too, not as the
// reboot, the fault or the disk's event it reads as.
func TestALogLineThatReadsAsAFaultIsDrawnAsALogLine(t *testing.T) {
	lines := []string{"reboot: p-0 (crash)", "stop: p-0 (power loss)", "pause: p-0 paused for 1s",
		"net: partition p-0 | p-1", "disk p-0: write-corruption: log: sector 0 stored with 1 bits flipped"}
	var doc *timelinehtml.Doc
	simtest.Run(t, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "p", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				for _, l := range lines {
					p.Logger.Info(l)
				}
				return providers.Wait(ctx, p.Task)
			})
		}})
		s.Sleep(time.Second)
		for _, l := range lines {
			s.Logger().Info(l)
		}
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1), simtest.TimelineDoc(func(d *timelinehtml.Doc) { doc = d }))
	require.NotNil(t, doc)
	drawn := 0
	for _, e := range doc.Events {
		if slices.Contains(lines, e.Msg) {
			drawn++
			assert.Equal(t, timelinehtml.KindLog, e.Kind, "%s, from %s", e.Msg, e.Task)
		}
	}
	assert.Equal(t, 2*len(lines), drawn, "the process's lines and the driver's")
}

// The line after the faults says how many of the cluster's processes the
// reboots and the pauses reached: counts by kind alone do not tell that
// most of a large cluster saw none. A machine's reboot reaches each of
// its processes; a process rebooted twice counts once.
func TestTheReportSaysHowManyProcessesTheRebootsReached(t *testing.T) {
	body := func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 8, Topology: simtest.Topology{Machines: 4, PerMachine: 2}, New: waiting})
		s.Sleep(time.Second)
		c.Reboot("p-0", simtest.Crash, simtest.DownFor(time.Second))
		s.Sleep(3 * time.Second)
		c.Reboot("p-0", simtest.Graceful, simtest.DownFor(time.Second))
		s.Sleep(3 * time.Second)
		c.RebootUnit(chaos.Machine, c.Peers()[7].Locality.Machine, simtest.Crash, simtest.DownFor(time.Second))
		s.Sleep(3 * time.Second)
		c.Pause("p-3", time.Second)
		s.Sleep(3 * time.Second)
	}
	one := simtest.Simulate(body, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	require.Zero(t, one.Failed, one.Report)
	assert.Regexp(t, `\n    faults seen: [^\n]+\n    reboots reached 3 of 8 processes, pauses reached 1\n`, one.Report)

	two := simtest.Simulate(body, simtest.Seeds(2), simtest.Chaos(chaos.Off()))
	assert.Contains(t, two.Report, "\n    reboots reached 3 of 8 processes a seed, pauses reached 1\n")

	none := simtest.Simulate(oneWaiting, simtest.Seeds(2), simtest.Chaos(chaos.Off()))
	assert.NotContains(t, none.Report, "reached", "nothing reached: no line")
}

// The line after the reboots' says how many of the cluster's processes
// the partitions and isolations cut off, and how long the longest
// lasted: a failure detector's test needs to know whether a cut outlasted
// its timeout. A partition cuts off its smaller side; a heal between its
// sides ends it.
func TestTheReportSaysWhomThePartitionsCutOff(t *testing.T) {
	body := func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 5, New: waiting})
		host := func(i int) string { return c.Peers()[i].Host }
		n := s.Network()
		s.Sleep(time.Second)
		n.Partition([]string{host(0), host(1)}, []string{host(2), host(3), host(4), simtest.DriverHost})
		s.Sleep(3 * time.Second)
		n.HealBetween([]string{host(0), host(1)}, []string{host(2), host(3), host(4), simtest.DriverHost})
		n.Isolate(host(1))
		s.Sleep(1500 * time.Millisecond)
		n.Heal()
		s.Sleep(time.Second)
	}
	one := simtest.Simulate(body, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	require.Zero(t, one.Failed, one.Report)
	assert.Regexp(t, `\n    faults seen: [^\n]+\n    partitions cut off 2 of 5 processes; the longest lasted 3s\n`, one.Report)

	two := simtest.Simulate(body, simtest.Seeds(2), simtest.Chaos(chaos.Off()), simtest.Workers(2))
	assert.Contains(t, two.Report, "\n    partitions cut off 2 of 5 processes a seed; the longest lasted 3s\n")

	none := simtest.Simulate(oneWaiting, simtest.Seeds(2), simtest.Chaos(chaos.Off()))
	assert.NotContains(t, none.Report, "partitions cut off", "no partition: no line")
}

// The advice under failing gaps says which families of faults are off in
// every seed, which more seeds cannot reach; not when every fault is off
// (chaos.Off), and a merge of the shards' results says it as their Run
// does.
func TestGapAdviceTellsOfTheFamiliesOff(t *testing.T) {
	quiet := chaos.Defaults()
	quiet.Network = quiet.Network.NoFaults()
	body := func(s *simtest.S) {
		assertions.Sometimes(s.Context(), s.Providers().Random.IntN(10) > 10, "a partition healed")
	}
	const off = "\n  the network's faults are off in this Run (chaos.Config.Network): an assertion that needs a network fault is reached by no number of seeds"
	r := runIn("TestQuietNetwork", func(r *recorder) { simtest.Run(r, body, simtest.Seeds(5), simtest.Chaos(quiet)) })
	require.True(t, r.failed)
	assert.Contains(t, r.output(), "more seeds may reach them (-simseeds=100, or simtest.Seeds); or make gaps warnings, for one go test (-simallowgaps) or for this Run (simtest.AllowGaps; given their messages, for those assertions alone)"+off)

	r = runIn("TestOff", func(r *recorder) { simtest.Run(r, body, simtest.Seeds(5), simtest.Chaos(chaos.Off())) })
	require.True(t, r.failed)
	assert.Contains(t, r.output(), "more seeds may reach them")
	assert.NotContains(t, r.output(), "off in this Run", "every fault off is what the Run meant")

	r = runIn("TestDefaults", func(r *recorder) { simtest.Run(r, body, simtest.Seeds(5)) })
	require.True(t, r.failed)
	assert.NotContains(t, r.output(), "off in this Run")

	dir := t.TempDir()
	for i := range 2 {
		simtest.Simulate(body, simtest.Seeds(6), simtest.Shard(i, 2), simtest.BaseSeed(3), simtest.KeepGoing(), simtest.Chaos(quiet), simtest.ResultsFile(dir+"/"))
	}
	merged, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	require.Len(t, merged.Tests, 1)
	assert.Contains(t, merged.Tests[0].Report, off)
}

// The faults line counts the writes that a full disk refused (ENOSPC),
// apart from the episodes: an episode no write met tested nothing.
func TestTheFaultsLineCountsWritesRefusedForLackOfSpace(t *testing.T) {
	cfg := chaos.NoStorageFaults()
	cfg.Capacity = 4096
	cfg.Full = chaos.StorageEpisode{Prob: 0.01, Duration: chaos.Range{Min: time.Millisecond, Max: time.Millisecond}}
	res := simtest.Simulate(func(s *simtest.S) {
		f, err := s.Storage().Create("log")
		require.NoError(s, err)
		for range 20 {
			_, _ = f.Write(make([]byte, 1024)) // past 4 KiB, each fails
		}
	}, simtest.Storage(cfg), simtest.Seeds(20))
	require.True(t, res.OK(), res.Report)
	assert.Regexp(t, `\n    faults seen: 0 reboots, 0 of the network, [1-9]\d* of the disks \([1-9]\d* disk-full episodes?\), `+
		`[1-9]\d* writes refused for lack of space \(ENOSPC\)`, res.Report)
}

// The reach line says how many of the processes are protected from
// attrition, and counts them among those the reboots reached, since a
// reboot by hand still takes a protected process down: it never reads
// "1 of 0".
func TestTheReachLineSaysHowManyAreProtected(t *testing.T) {
	body := func(s *simtest.S) {
		c := s.Boot(
			simtest.Processes{Name: "p", Count: 2, New: waiting},
			simtest.Processes{Name: "client", Count: 2, Protected: true, New: waiting},
		)
		s.Sleep(time.Second)
		c.Reboot("p-0", simtest.Crash, simtest.DownFor(time.Second))
		c.Reboot("client-1", simtest.Crash, simtest.DownFor(time.Second))
		s.Sleep(3 * time.Second)
	}
	res := simtest.Simulate(body, simtest.Seeds(2), simtest.Chaos(chaos.Off()))
	require.Zero(t, res.Failed, res.Report)
	assert.Contains(t, res.Report, "\n    reboots reached 2 of 4 processes a seed (2 of them protected from attrition)\n")

	allProtected := func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "client", Count: 1, Protected: true, New: waiting})
		s.Sleep(time.Second)
		c.Reboot("client-0", simtest.Crash, simtest.DownFor(time.Second))
		s.Sleep(3 * time.Second)
	}
	res = simtest.Simulate(allProtected, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	require.Zero(t, res.Failed, res.Report)
	assert.Contains(t, res.Report, "\n    reboots reached 1 of 1 process (1 of them protected from attrition)\n")
}

// A seed that fails before any fault came is not asked whether its
// workload ended before chaos began: it failed first.
func TestTheFaultsLineSaysASeedFailedFirst(t *testing.T) {
	body := func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 2, New: waiting})
		c.Run(simtest.Phases{Chaos: time.Minute, Settle: time.Millisecond}, failAtOnce{})
	}
	res := simtest.Simulate(body, simtest.Seeds(1))
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Contains(t, res.Report, "\n    faults seen: none in 1 seed, which failed before any fault came\n")
	assert.NotContains(t, res.Report, "did the workload end before chaos began")
}

// failAtOnce fails as chaos begins, as a client whose first dial fails.
type failAtOnce struct{}

func (failAtOnce) Setup(context.Context, providers.Providers) error { return nil }
func (failAtOnce) Run(context.Context, providers.Providers) error {
	return errors.New("the first dial failed")
}
func (failAtOnce) Check(context.Context, providers.Providers) error { return nil }

// Writes that a disk refused at its Capacity are trouble the code met,
// though no fault was injected: the faults line shows them as what they
// were rather than opening with none, and a Run of no processes, which
// has a faults line only when its seeds saw something, has one.
func TestTheFaultsLineShowsWritesRefusedAtCapacityAlone(t *testing.T) {
	fill := func(s *simtest.S, st providers.Storage) {
		f, err := st.Create("log")
		require.NoError(s, err)
		for range 6 {
			_, _ = f.Write(make([]byte, 1024)) // past 4 KiB, each fails
		}
	}
	cfg := chaos.Off()
	cfg.Storage.Capacity = 4096
	clustered := simtest.Simulate(func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "p", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				fill(s, p.Storage)
				return providers.Wait(ctx, p.Task)
			})
		}})
		s.Sleep(time.Second)
	}, simtest.Chaos(cfg), simtest.Seeds(2))
	require.True(t, clustered.OK(), clustered.Report)
	assert.Contains(t, clustered.Report, "\n    faults seen: 0 reboots, 0 of the network, 0 of the disks, "+
		"4 writes refused for lack of space (ENOSPC) at the disks' Capacity\n")

	alone := simtest.Simulate(func(s *simtest.S) { fill(s, s.Storage()) },
		simtest.Storage(cfg.Storage), simtest.Seeds(2))
	require.True(t, alone.OK(), alone.Report)
	assert.Contains(t, alone.Report, "\n    faults seen: 0 reboots, 0 of the network, 0 of the disks, "+
		"4 writes refused for lack of space (ENOSPC) at the disks' Capacity\n")
}

// failsAtOnce is a workload whose Run fails as it begins.
type failsAtOnce struct{ nothingToDrive }

func (failsAtOnce) Run(context.Context, providers.Providers) error {
	return errors.New("no leader configured")
}

// A seed whose body calls Cluster.Run twice, one with nothing to drive
// and the other held open, in either order, met chaos: the test does not
// fail as one whose phase lasted no time. Nor is a Run that fails as it
// begins told to hold the phase open: its own failure is the test's.
func TestAChaosPhaseOfNoTimeBesideOneThatLastedPasses(t *testing.T) {
	for _, heldFirst := range []bool{false, true} {
		res := simtest.Simulate(func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "p", Count: 2, New: waiting})
			c.Run(simtest.Phases{Chaos: time.Minute}, nothingToDrive{hold: heldFirst})
			c.Run(simtest.Phases{Chaos: time.Minute}, nothingToDrive{hold: !heldFirst})
		}, simtest.Seeds(3))
		assert.True(t, res.OK(), "held first: %v: %s", heldFirst, res.Report)
		assert.NotContains(t, res.Report, "lasted no time", "held first: %v", heldFirst)
	}

	failed := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 2, New: waiting})
		c.Run(simtest.Phases{Chaos: time.Minute}, failsAtOnce{})
	}, simtest.Seeds(3))
	require.False(t, failed.OK())
	assert.Positive(t, failed.Failed)
	assert.NotContains(t, failed.Report, "lasted no time")
}

// firesAtOnce is a workload whose Run reaches a buggify site of the code
// under test and returns, all at the chaos phase's first instant.
type firesAtOnce struct{ nothingToDrive }

func (firesAtOnce) Run(ctx context.Context, _ providers.Providers) error {
	_ = chaos.BuggifyWithProb(ctx, 1) // a spurious error the code must survive
	return nil
}

// A chaos phase of no time in which a buggify site fired met chaos: the
// test does not fail saying that no fault came.
func TestAChaosPhaseOfNoTimeInWhichBuggifyFiredPasses(t *testing.T) {
	cfg := chaos.Defaults()
	cfg.Buggify.ActivationProb = 1
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 2, New: waiting})
		c.Run(simtest.Phases{Chaos: time.Minute}, firesAtOnce{})
	}, simtest.Seeds(3), simtest.Chaos(cfg))
	assert.True(t, res.OK(), res.Report)
	assert.NotContains(t, res.Report, "lasted no time")
	assert.Contains(t, res.Report, "buggify sites fired 3 times")
}
