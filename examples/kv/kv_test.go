package kv_test

import (
	"flag"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/examples/kv"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/simtest"
)

var planted = flag.Bool("planted", false, "run the replicas with the planted bug: one that lost its state rejoins without copying its peers' (kv.Server.LazyRecovery)")

// TestKV runs three replicas under every kind of chaos (the network's and
// the disks' faults, reboots of every kind, buggify) while four clients
// read and write, and checks that every history is linearizable.
func TestKV(t *testing.T) {
	// The planted bug's failures are expected: keep no seed for them.
	opts := []simtest.Option{harsh, simtest.KeepFailures(!*planted)}
	if testing.Short() {
		// A put ends with an unknown outcome in about one seed in six:
		// the few seeds of -short may not see it.
		opts = append(opts, simtest.AllowGaps())
	}
	simtest.Run(t, func(s *simtest.S) { runKV(s, *planted) }, opts...)
}

// harsh is the chaos the key-value store is built for: the defaults, and
// wipes, which it survives by copying a lost replica's state from its
// peers.
var harsh = simtest.Chaos(chaos.Harsh())

func runKV(s *simtest.S, lazy bool) {
	c := s.Boot(simtest.Processes{Name: "kv", Count: 3, New: func() simtest.Process {
		return &kv.Server{LazyRecovery: lazy}
	}})
	// The story of a failure: when each replica went down, and how it
	// came back.
	story := s.Watch("booted", "booted on a new disk", "booted with state lost", "recovered from peers",
		"rejoined without copying from peers", "reboot", "down")
	var told []simtest.Entry
	w := &workload{
		clients: 4, ops: 50, keys: 20, think: 2500 * time.Millisecond,
		story: func() []simtest.Entry { told = append(told, story.Next()...); return told },
	}
	if s.Drawing() {
		w.attach = s.Attach
	}
	c.Run(simtest.Phases{Chaos: 2 * time.Minute, Settle: time.Second}, w)
}

// BenchmarkKV runs seeds of TestKV, the fixed replicas under default
// chaos, and reports seeds and simulated seconds per wall second. Run it
// on one core: go test -run XXX -bench KV -cpu 1 ./examples/kv
func BenchmarkKV(b *testing.B) {
	var simulated time.Duration
	cpu := testenv.CPUTime()
	simtest.Run(b, func(s *simtest.S) {
		runKV(s, false)
		simulated += s.Elapsed()
	}, harsh, simtest.Seeds(b.N), simtest.AllowGaps())
	wall := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/wall, "seeds/s")
	b.ReportMetric(simulated.Seconds()/wall, "sim-s/s")
	// On a shared machine the wall time says more of the neighbours:
	// seeds per CPU second of this process is the rate per core.
	if cpu := (testenv.CPUTime() - cpu).Seconds(); cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu, "seeds/cpu-s")
	}
}

// BenchmarkKVWorkers runs the seeds of BenchmarkKV on one worker and on
// two at once, and reports the seeds per wall second of each and their
// ratio (x-one-worker), so that the two rates are measured in one run:
// go test -run XXX -bench KVWorkers -benchtime 400x ./examples/kv
//
// The two alternate over four rounds of a quarter of the seeds each, so
// that a change in what the machine's other tenants leave of its cores
// falls on both alike.
func BenchmarkKVWorkers(b *testing.B) {
	const rounds = 4
	var wall [3]time.Duration // by worker count
	for r := range rounds {
		n := b.N / rounds
		if r < b.N%rounds {
			n++
		}
		if n == 0 {
			continue
		}
		for _, workers := range []int{1, 2} {
			start := time.Now()
			res := simtest.Simulate(func(s *simtest.S) { runKV(s, false) }, harsh,
				simtest.Seeds(n), simtest.AllowGaps(), simtest.Workers(workers))
			wall[workers] += time.Since(start)
			if !res.OK() {
				b.Fatal(res.Report)
			}
		}
	}
	one, two := float64(b.N)/wall[1].Seconds(), float64(b.N)/wall[2].Seconds()
	b.ReportMetric(one, "seeds/s-1")
	b.ReportMetric(two, "seeds/s-2")
	b.ReportMetric(two/one, "x-one-worker")
}

// TestKVSeedsOnTwoWorkers runs the same seeds on one worker and on two,
// with the planted bug and without, and checks that every seed's line,
// the first failing seed and the report are the same.
func TestKVSeedsOnTwoWorkers(t *testing.T) {
	for _, lazy := range []bool{false, true} {
		n := 200
		switch {
		case testing.Short():
			n = 20
		case lazy: // the planted bug fails a seed in a few: fewer are enough
			n = 60
		}
		run := func(workers int) simtest.Result {
			return simtest.Simulate(func(s *simtest.S) { runKV(s, lazy) }, harsh,
				simtest.Seeds(n), simtest.KeepGoing(), simtest.AllowGaps(), simtest.Workers(workers))
		}
		one, two := run(1), run(2)
		require.Len(t, one.PerSeed, n)
		assert.Empty(t, cmp.Diff(one.PerSeed, two.PerSeed), "every seed's line, in seed order (planted bug: %v)", lazy)
		assert.Equal(t, one.Failing(), two.Failing())
		assert.Equal(t, one.FirstFailing, two.FirstFailing)
		assert.Equal(t, wallless(one.Report), wallless(two.Report), "the report, with its assertion table")
	}
}

// wallless drops the wall-clock figures of a report's summary line.
func wallless(report string) string {
	return wallFigures.ReplaceAllString(report, "wall")
}

var wallFigures = regexp.MustCompile(`wall [^;]*;|[0-9.]+[kM]? steps\+events/s`)

// FuzzKV is TestKV's simulation under go test -fuzz: a plain go test runs
// its seed corpus, the executions of four seeds; go test -fuzz explores
// from them.
func FuzzKV(f *testing.F) {
	simtest.Fuzz(f, func(s *simtest.S) { runKV(s, *planted) }, harsh)
}
