package simtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/simtest"
)

// busySeeds is a body with tasks that race on the clock, every kind of
// assertion, and a bug that fires on a few seeds.
func busySeeds(s *simtest.S) {
	rnd := s.Providers().Random
	done := make(chan int, 4)
	for i := range 4 {
		s.Go(fmt.Sprintf("worker-%d", i), func(ctx context.Context) error {
			for range 3 + rnd.IntN(5) {
				s.Sleep(time.Duration(rnd.IntN(50)) * time.Millisecond)
				everyKind(ctx, rnd.IntN(10))
			}
			done <- i
			return nil
		})
	}
	for range 4 {
		for {
			select {
			case <-done:
			default:
				s.Sleep(time.Millisecond)
				continue
			}
			break
		}
	}
	if rnd.IntN(40) == 0 {
		s.Errorf("the planted bug fired")
	}
}

// lines is every seed's line of a Result: its seed, trace and outcome.
func lines(res simtest.Result) []string {
	var out []string
	for _, sr := range res.PerSeed {
		out = append(out, fmt.Sprintf("seed=%d trace=%016x %s sim=%v steps=%d events=%d %s", sr.Seed, sr.Trace, sr.Outcome, sr.SimTime, sr.Steps, sr.Events, sr.FirstFailure))
	}
	return out
}

func TestWorkersChangeNothingAUserSees(t *testing.T) {
	n := 200
	if testing.Short() {
		n = 60
	}
	for _, opts := range [][]simtest.Option{
		{simtest.KeepGoing()},
		{}, // stops at the first failing seed
	} {
		run := func(workers int) simtest.Result {
			o := append([]simtest.Option{simtest.Seeds(n), simtest.BaseSeed(7), simtest.ZeroWallClock(), simtest.AllowGaps(), simtest.Workers(workers)}, opts...)
			return simtest.Simulate(busySeeds, o...)
		}
		one, two, four := run(1), run(2), run(4)
		require.NotEmpty(t, one.Failing(), "the planted bug fires on some seed: %s", one.Report)
		for _, other := range []simtest.Result{two, four} {
			assert.Empty(t, cmp.Diff(lines(one), lines(other)), "every seed's line, in seed order")
			assert.Equal(t, one.FirstFailing, other.FirstFailing)
			assert.Equal(t, one.Replay, other.Replay)
			assert.Empty(t, cmp.Diff(one.Report, onWorkers.ReplaceAllString(overCores.ReplaceAllString(other.Report, ""), "")),
				"the report, with its assertion table, but for its workers, and a note on more workers than cores")
		}
	}
}

func TestWorkersWriteTheSameFiles(t *testing.T) {
	files := func(workers int) map[string]string {
		dir := t.TempDir()
		simtest.Simulate(busySeeds, simtest.Seeds(80), simtest.BaseSeed(3), simtest.KeepGoing(), simtest.AllowGaps(), simtest.Workers(workers),
			simtest.ResultsFile(filepath.Join(dir, "results.jsonl")),
			simtest.TimelineFile(filepath.Join(dir, "timeline.jsonl")),
			simtest.CoverProfile(filepath.Join(dir, "cover.out")))
		out := map[string]string{}
		for _, name := range []string{"results.jsonl", "timeline.jsonl", "cover.out"} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			require.NoError(t, err)
			// The results' summary says how long the Run took: that
			// alone may differ.
			out[name] = wallNS.ReplaceAllString(string(b), `"wall_ns":0`)
			// And on how many workers.
			out[name] = workersField.ReplaceAllString(out[name], "")
		}
		return out
	}
	one := files(1)
	assert.Contains(t, one["results.jsonl"], `"outcome":"fail"`)
	assert.Empty(t, cmp.Diff(one, files(2)))
}

func TestWorkersStopAtTheFirstFailingSeedInSeedOrder(t *testing.T) {
	// The first seed is slow and fails; the seeds after it are quick and
	// fail too: the Run reports the first.
	var first uint64
	body := func(s *simtest.S) {
		if s.Seed() == first {
			for range 2000 {
				s.Sleep(time.Millisecond)
			}
		}
		s.Errorf("seed %d failed", s.Seed())
	}
	probe := simtest.Simulate(func(s *simtest.S) {}, simtest.Seeds(1), simtest.BaseSeed(9))
	first = probe.PerSeed[0].Seed
	res := simtest.Simulate(body, simtest.Seeds(50), simtest.BaseSeed(9), simtest.Workers(4))
	assert.Equal(t, first, res.FirstFailing)
	assert.Len(t, res.PerSeed, 1, "the Run stops at the first seed; the seeds after it that ran are dropped")
}

// A Run that stops at a failing seed does not wait the whole watchdog for
// the later seeds, under way on other workers, whose tasks are stuck
// outside the simulation, in S.Slow or not; its summary says they were
// given up, and where the first was stuck, and nothing else of them
// reaches the test.
func TestAStoppedRunLeavesAStuckLaterSeedSoon(t *testing.T) {
	before := goleak.IgnoreCurrent()
	probe := simtest.Simulate(func(*simtest.S) {}, simtest.Seeds(3), simtest.BaseSeed(9))
	first, second, third := probe.PerSeed[0].Seed, probe.PerSeed[1].Seed, probe.PerSeed[2].Seed
	release := make(chan struct{})
	// The first seed fails once the two beside it are stuck, however late
	// a loaded machine starts their workers.
	stuck := make(chan struct{}, 2)
	var waitStuck sync.Once
	finished := make(chan *recorder, 1)
	go func() {
		finished <- runIn("TestStuck", func(r *recorder) {
			simtest.Run(r, func(s *simtest.S) {
				switch s.Seed() {
				case first:
					waitStuck.Do(func() { <-stuck; <-stuck }) // not in the run again alone
					s.Errorf("the first seed fails")
				case second:
					// Cleanups that complain, or cannot run outside the
					// simulation, which a given-up seed's cleanups do: not
					// reported.
					s.Cleanup(func() { s.Sleep(time.Second) })
					s.Cleanup(func() { s.Errorf("a cleanup of the dropped seed complains") })
					stuck <- struct{}{}
					<-release // a raw channel: the simulation cannot see it
				case third:
					s.Slow(func() { // stuck, in a stretch the watchdog is held off
						stuck <- struct{}{}
						<-release
					})
				}
			}, simtest.Seeds(8), simtest.BaseSeed(9), simtest.Workers(3), simtest.Watchdog(time.Hour))
		})
	}()
	var r *recorder
	select {
	case r = <-finished:
	case <-time.After(time.Minute): // a bound only: the watchdog is an hour
		close(release)
		t.Fatal("the Run waited for the stuck seed after it stopped at the first")
	}
	close(release)
	out := r.output()
	assert.True(t, r.failed)
	assert.Contains(t, out, fmt.Sprintf("seed %d failed", first))
	assert.Contains(t, out, "the first seed fails")
	assert.Contains(t, out, fmt.Sprintf("\n    2 seeds, the first %d, run beside the seed the Run stopped at, were stuck outside the simulation when the Run stopped "+
		"(task \"driver\" in github.com/moonpool-go/moonpool/simtest_test.TestAStoppedRunLeavesAStuckLaterSeedSoon.", second), out)
	assert.Regexp(t, `, parallel_external_test.go:\d+\), and were given up`, out, "where the first seed's task was stuck")
	assert.Contains(t, out, "and were given up: their goroutines, the task's and the simulation's own for its world, outlive the Run until the task comes back")
	assert.NotContains(t, out, "cleanup")
	assert.NotContains(t, out, "after the seed ended")
	goleak.VerifyNone(t, before) // waits for the stuck seeds' goroutines to end
}

func TestWorkersRefuseBadCounts(t *testing.T) {
	for n, want := range map[int]string{
		0:                      "simtest.Workers(0): the worker count must be at least 1",
		-3:                     "simtest.Workers(-3): the worker count must be at least 1",
		simtest.MaxWorkers + 1: "the worker count is at most simtest.MaxWorkers",
	} {
		res := simtest.Simulate(func(s *simtest.S) {}, simtest.Workers(n))
		assert.False(t, res.OK())
		assert.Contains(t, res.Report, want)
		assert.Zero(t, res.Seeds, "no seed runs")
	}
}

// shared is a package variable that the seeds of sharesState share: a
// mistake the determinism check finds. It is atomic so that the race
// detector does not find it first.
var shared atomic.Int64

func sharesState(s *simtest.S) {
	s.Sleep(time.Duration(shared.Add(1)%7) * time.Millisecond)
}

func TestCheckDeterminismFindsStateSharedBetweenSeeds(t *testing.T) {
	res := simtest.Simulate(sharesState, simtest.Seeds(20), simtest.Workers(2), simtest.CheckDeterminism())
	require.False(t, res.OK())
	assert.Contains(t, res.Report, "shared between seeds")
	// Beside other seeds, the report says so first: shared state is the
	// likeliest cause, and one worker may not show it.
	assert.Contains(t, res.Report, "the same seed ran twice and took different paths; both runs ran beside other seeds, on 2 workers, "+
		"so state the seeds share is the likeliest cause: a package variable that the body or the code under test writes (simvet's globalstate rule finds it before running; "+
		"on one worker it may not show")

	res = simtest.Simulate(sharesState, simtest.Seeds(20), simtest.Workers(1), simtest.CheckDeterminism())
	require.False(t, res.OK(), "the variable grows from one run to the next")
	assert.Contains(t, res.Report, "the same seed ran twice and took different paths; something escapes the simulation")
	assert.NotContains(t, res.Report, "beside other seeds", "the seeds ran one after the other")
}

var wallNS = regexp.MustCompile(`"wall_ns":\d+`)

// onWorkers is what a summary says of its workers, and workersField what
// a results file's summary does; overCores is the note of a Run on more workers than cores.
var (
	onWorkers    = regexp.MustCompile(` on \d+ workers`)
	workersField = regexp.MustCompile(`,"workers":\d+`)
	overCores    = regexp.MustCompile(`simtest: this Run runs \d+ seeds at once, [^\n]*\n`)
)

// The summary, the JSON report, the results file's summary and a merge of
// results files say how many workers ran the seeds, when more than one.
func TestTheReportsSayHowManyWorkersRan(t *testing.T) {
	for _, workers := range []int{1, 2} {
		dir := t.TempDir()
		res := simtest.Simulate(busySeeds, simtest.Seeds(20), simtest.BaseSeed(3), simtest.KeepGoing(), simtest.AllowGaps(), simtest.Workers(workers),
			simtest.ZeroWallClock(), simtest.ResultsFile(filepath.Join(dir, "results.jsonl")), simtest.JSONReport(filepath.Join(dir, "report.json")))
		results, err := os.ReadFile(filepath.Join(dir, "results.jsonl"))
		require.NoError(t, err)
		report, err := os.ReadFile(filepath.Join(dir, "report.json"))
		require.NoError(t, err)
		merged, err := simtest.MergeResults(filepath.Join(dir, "results.jsonl"))
		require.NoError(t, err)
		require.Len(t, merged.Tests, 1)
		first, _, _ := strings.Cut(merged.Tests[0].Report, "\n")
		if workers == 1 {
			assert.Contains(t, res.Report, "; wall 0s, simulated", "one worker's summary is as it was")
			assert.NotContains(t, string(results), `"workers"`)
			assert.NotContains(t, string(report), `"workers"`)
			assert.NotContains(t, first, "workers")
			continue
		}
		assert.Contains(t, res.Report, "; wall 0s on 2 workers, simulated")
		assert.Contains(t, string(results), `"workers":2`)
		assert.Contains(t, string(report), `"workers": 2,`)
		assert.Contains(t, first, "the shards' wall time added up is 0s, on 2 workers", merged.Tests[0].Report)
	}
}

// meetTwice is a body whose first two seeds fail only when they run at
// once: each waits, outside the simulation, until both have come, and
// fails if the other came; a seed that comes third, or alone after them,
// finds them gone and passes. It is the shape of a package variable that
// seeds share, made to fire on two workers every time. (On one worker,
// the first gives up waiting after a bound, and passes.)
func meetTwice(first, second uint64) func(s *simtest.S) {
	var came atomic.Int32
	met := make(chan struct{})
	return func(s *simtest.S) {
		if s.Seed() != first && s.Seed() != second {
			return
		}
		if n := came.Add(1); n <= 2 {
			if n == 2 {
				close(met)
			}
			other := false
			s.Slow(func() {
				select {
				case <-met:
					other = true
				case <-time.After(10 * time.Second): // a bound only
				}
			})
			if other {
				s.Errorf("seed %d met another seed", s.Seed())
			}
		}
	}
}

// A seed that fails beside other seeds and not alone is run again alone
// after the Run's seeds, and the report says so by the replay line, which
// runs it alone and passes: seeds share state, and the test's seeds on as
// many workers show it.
func TestAFailureOnlyBesideOtherSeedsIsSaidSo(t *testing.T) {
	probe := simtest.Simulate(func(*simtest.S) {}, simtest.Seeds(2), simtest.BaseSeed(11))
	first, second := probe.PerSeed[0].Seed, probe.PerSeed[1].Seed
	res := simtest.Simulate(meetTwice(first, second), simtest.Seeds(6), simtest.BaseSeed(11), simtest.Workers(2))
	require.Equal(t, first, res.FirstFailing, res.Report)
	assert.Contains(t, res.Report, fmt.Sprintf("seed %d failed beside other seeds on 2 workers, and not alone: "+
		"run again alone after the Run's seeds, in this process, it took the same path", first))
	assert.Contains(t, res.Report, "and passed. So the seeds most likely share state, such as a package variable")
	assert.Contains(t, res.Report, "with -simcheck each seed runs twice alone, which tells a seed that is not deterministic on its own")
	assert.Contains(t, res.Report, "simvet's globalstate rule")
	assert.Contains(t, res.Report, "The test's seeds on 2 workers (simtest.Workers(2)) run it beside others again")
	assert.Contains(t, res.Report, "on one worker (simtest.Workers(1)) they run apart")
	assert.Equal(t, 1, strings.Count(res.Report, "failed beside other seeds"), "the first failing seed alone runs again")

	// A seed that fails alone as it failed beside others: not a word.
	fails := func(s *simtest.S) { s.Errorf("seed %d fails anyway", s.Seed()) }
	res = simtest.Simulate(fails, simtest.Seeds(6), simtest.BaseSeed(11), simtest.Workers(2))
	require.False(t, res.OK())
	assert.NotContains(t, res.Report, "beside other seeds")
}

// On several workers, a failure of the test's own testing.T is charged
// to the first seed in seed order that was running when it came: the
// report says it is a guess, names the seeds that were running, and the
// one whose task called FailNow on it.
func TestAFailureOfTheTestsOwnTOnSeveralWorkersIsAGuess(t *testing.T) {
	probe := simtest.Simulate(func(*simtest.S) {}, simtest.Seeds(2), simtest.BaseSeed(13))
	first, second := probe.PerSeed[0].Seed, probe.PerSeed[1].Seed
	r := runIn("TestOwnT", func(r *recorder) {
		var came atomic.Int32
		met := make(chan struct{})
		simtest.Run(r, func(s *simtest.S) {
			if s.Seed() != first && s.Seed() != second {
				return
			}
			if came.Add(1) == 2 {
				close(met)
			}
			s.Slow(func() { <-met })
			if s.Seed() == second {
				r.Fatalf("the second seed fails the test's own t")
			}
			// The first seed ends once the test has failed: it was
			// running then.
			s.Slow(func() {
				for !r.Failed() {
					time.Sleep(time.Millisecond)
				}
			})
		}, simtest.Seeds(4), simtest.BaseSeed(13), simtest.Workers(2))
	})
	out := r.output()
	require.True(t, r.failed)
	assert.Contains(t, out, fmt.Sprintf("seed %d failed: the test failed through its own testing.T", first), out)
	assert.Contains(t, out, fmt.Sprintf("this seed is a guess: the Run ran 2 seeds at once, seeds %d, %d were running when the test's testing.T was marked failed, "+
		"and a failure of the test's own testing.T is charged to the first of them in seed order; "+
		"seed %d's task \"driver\" called FailNow on the test's testing.T (goexit at 0s), so the failure is likely that seed's; "+
		"on one worker (go test -run '^TestOwnT$' ", first, second, second), out)
	// The replay line carries the test binary's own flags (-short, -race
	// under CI) after -simworkers=1.
	assert.Regexp(t, `-simworkers=1[^)]*\) the seeds run one at a time, which pins it to the seed that made it`, out)
}

// More workers than cores are accepted, and the Run says what they cost.
func TestMoreWorkersThanCoresAreSaidSo(t *testing.T) {
	cores := runtime.GOMAXPROCS(0)
	res := simtest.Simulate(func(*simtest.S) {}, simtest.Seeds(2), simtest.Workers(cores+1))
	require.True(t, res.OK(), res.Report)
	assert.Contains(t, res.Report, fmt.Sprintf("simtest: this Run runs %d seeds at once, and the process has %d core", cores+1, cores))
	assert.Contains(t, res.Report, "so memory grows with the workers")
	assert.Contains(t, res.Report, fmt.Sprintf("give at most %d (simtest.Workers(%d))", cores, cores))

	res = simtest.Simulate(func(*simtest.S) {}, simtest.Seeds(2), simtest.Workers(cores))
	assert.NotContains(t, res.Report, "runtime.GOMAXPROCS", "as many workers as cores")
	res = simtest.Simulate(func(*simtest.S) {}, simtest.Replay(1), simtest.Workers(cores+1))
	assert.NotContains(t, res.Report, "runtime.GOMAXPROCS", "one seed runs on one worker")
}

// A replay of several seeds runs on the Run's workers, as its own seeds
// do, with the same results in seed order.
func TestAReplayOfSeveralSeedsRunsOnTheWorkers(t *testing.T) {
	probe := simtest.Simulate(busySeeds, simtest.Seeds(12), simtest.BaseSeed(7), simtest.AllowGaps(), simtest.KeepGoing())
	var seeds []uint64
	for _, sr := range probe.PerSeed {
		seeds = append(seeds, sr.Seed)
	}
	run := func(workers int, body func(*simtest.S)) simtest.Result {
		return simtest.Simulate(body, simtest.Replay(seeds...), simtest.BaseSeed(7), simtest.AllowGaps(), simtest.KeepGoing(),
			simtest.ZeroWallClock(), simtest.Workers(workers))
	}
	one, two := run(1, busySeeds), run(2, busySeeds)
	assert.Empty(t, cmp.Diff(lines(probe), lines(one)), "the replay runs the seeds as the Run did")
	assert.Empty(t, cmp.Diff(lines(one), lines(two)), "every seed's line, in seed order")
	assert.Contains(t, two.Report, "on 2 workers")

	// The seeds run at once: the first two meet, and fail only so.
	met := run(2, meetTwice(seeds[0], seeds[1]))
	assert.Equal(t, seeds[0], met.FirstFailing, met.Report)
}

// The run again alone of a seed that fails beside other seeds and not
// alone is in the JSON report, under the seed, and in the results file's
// summary, which a merge puts back under the seed and lists.
func TestAFailureOnlyBesideOtherSeedsIsInTheFiles(t *testing.T) {
	probe := simtest.Simulate(func(*simtest.S) {}, simtest.Seeds(2), simtest.BaseSeed(11))
	first, second := probe.PerSeed[0].Seed, probe.PerSeed[1].Seed
	dir := t.TempDir()
	results, report := filepath.Join(dir, "r.jsonl"), filepath.Join(dir, "r.json")
	res := simtest.Simulate(meetTwice(first, second), simtest.Seeds(6), simtest.BaseSeed(11), simtest.Workers(2),
		simtest.KeepGoing(), simtest.ResultsFile(results), simtest.JSONReport(report))
	require.Equal(t, first, res.FirstFailing, res.Report)
	require.NotEmpty(t, res.PerSeed)
	var inResult *simtest.SeedResult
	for i := range res.PerSeed {
		if res.PerSeed[i].Seed == first {
			inResult = &res.PerSeed[i]
			break
		}
	}
	require.NotNil(t, inResult)
	require.NotNil(t, inResult.Alone, "Simulate's PerSeed has the run again alone under the seed")
	assert.Equal(t, simtest.AloneRun{Trace: inResult.Trace, Outcome: simtest.OutcomePass}, *inResult.Alone)
	for _, sr := range res.PerSeed {
		if sr.Seed != first {
			assert.Nil(t, sr.Alone, "seed %d did not run again alone", sr.Seed)
		}
	}

	b, err := os.ReadFile(report)
	require.NoError(t, err)
	var rep struct {
		FailingSeeds []struct {
			Seed  uint64
			Trace string
			Alone *struct {
				Seed                         uint64
				Trace, Outcome, FirstFailure string
			} `json:"alone"`
		} `json:"failing_seeds"`
		Alone any `json:"alone"`
	}
	require.NoError(t, json.Unmarshal(b, &rep))
	require.NotEmpty(t, rep.FailingSeeds)
	got := rep.FailingSeeds[0]
	require.Equal(t, first, got.Seed)
	require.NotNil(t, got.Alone, string(b))
	assert.Equal(t, "pass", got.Alone.Outcome)
	assert.Equal(t, got.Trace, got.Alone.Trace, "it took the same path")
	assert.Zero(t, got.Alone.Seed, "under its seed, the seed is not repeated")
	assert.Nil(t, rep.Alone, "the JSON report has it under the seed alone")

	b, err = os.ReadFile(results)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var sum struct {
		Summary struct {
			Alone *struct {
				Seed           uint64
				Trace, Outcome string
			} `json:"alone"`
		} `json:"summary"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &sum))
	require.NotNil(t, sum.Summary.Alone, lines[len(lines)-1])
	assert.Equal(t, first, sum.Summary.Alone.Seed)
	assert.Equal(t, "pass", sum.Summary.Alone.Outcome)

	sweep, err := simtest.MergeResults(results)
	require.NoError(t, err)
	require.Len(t, sweep.Tests, 1)
	require.NotEmpty(t, sweep.Tests[0].Failing)
	f := sweep.Tests[0].Failing[0]
	require.Equal(t, first, f.Seed)
	require.NotNil(t, f.Alone)
	assert.Equal(t, simtest.AloneRun{Trace: f.Trace, Outcome: simtest.OutcomePass}, *f.Alone)
	assert.Contains(t, sweep.String(), fmt.Sprintf("run again alone (trace %016x), it passed: the seeds most likely share state", f.Trace))

	// A seed that fails alone as it failed beside others: nothing.
	results2 := filepath.Join(dir, "r2.jsonl")
	fails := func(s *simtest.S) { s.Errorf("seed %d fails anyway", s.Seed()) }
	res = simtest.Simulate(fails, simtest.Seeds(6), simtest.BaseSeed(11), simtest.Workers(2), simtest.ResultsFile(results2))
	require.False(t, res.OK())
	for _, sr := range res.PerSeed {
		assert.Nil(t, sr.Alone, "seed %d ran alone as it ran beside others", sr.Seed)
	}
	b, err = os.ReadFile(results2)
	require.NoError(t, err)
	assert.NotContains(t, string(b), `"alone"`)
}
