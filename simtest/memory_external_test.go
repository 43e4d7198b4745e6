package simtest_test

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/simtest"
)

var heapSeeds = flag.Int("heapseeds", 0, "TestMemoryStaysFlat: the number of seeds (default 20,000, 2,000 under -short; 100000 for the full check)")

// quiet is a recorder that keeps no log: a Run of many seeds under -v
// logs a line per seed, which would grow the heap being measured.
type quiet struct{ *recorder }

func (q quiet) Log(args ...any)                 {}
func (q quiet) Logf(format string, args ...any) {}

// memSample is the memory in use at one point of a Run.
type memSample struct {
	seed       int
	heap       uint64 // live heap bytes after a GC
	goroutines uint64 // goroutines created so far, if the runtime counts them
	rss        uint64 // resident set size, where the system tells it
}

func sampleMemory(seed int) memSample {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(m)
	s := memSample{seed: seed, heap: ms.HeapAlloc, rss: residentSet()}
	if m[0].Value.Kind() == metrics.KindUint64 {
		s.goroutines = m[0].Value.Uint64()
	}
	return s
}

// residentSet reads the process's resident set size on Linux, and is 0
// elsewhere.
func residentSet() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// tiny is a small body that does what every seed of a larger one does:
// tasks that return, tasks killed when the seed ends, an assertion, a log
// line.
func tiny(s *simtest.S) {
	p := s.Providers()
	for i := range 3 {
		s.Go(fmt.Sprint("worker-", i), func(ctx context.Context) error {
			return p.Time.Sleep(ctx, time.Duration(p.Random.IntN(10))*time.Millisecond)
		})
		s.Go(fmt.Sprint("server-", i), func(ctx context.Context) error {
			return p.Time.Sleep(ctx, time.Hour) // killed when the seed ends
		})
	}
	assertions.Always(s.Context(), true, "the body ran")
	s.Logf("slept")
	s.Sleep(20 * time.Millisecond)
}

// TestMemoryStaysFlat runs many seeds of a small body and samples the
// memory in use as they go: the live heap must not grow with the seeds,
// nor the goroutines made (a task killed at the end of a seed hands its
// goroutine on, as one that returns does, and so does the goroutine a seed
// runs on), for under -race each goroutine made costs memory for good.
// -heapseeds=100000 is the full check.
func TestMemoryStaysFlat(t *testing.T) {
	n := 20_000
	if testing.Short() {
		n = 2_000
	}
	if *heapSeeds > 0 {
		n = *heapSeeds
	}
	const samples = 20
	every := max(n/samples, 1)
	var got []memSample
	i := 0
	r := runIn("TestMemory", func(r *recorder) {
		simtest.Run(quiet{r}, func(s *simtest.S) {
			tiny(s)
			if i++; i%every == 0 || i == 1 {
				got = append(got, sampleMemory(i))
			}
		}, simtest.Seeds(n), simtest.AllowGaps())
	})
	require.False(t, r.failed, r.output())
	for _, s := range got {
		t.Logf("after %7d seeds: heap %6.2f MB, rss %7.2f MB, %d goroutines made", s.seed, mb(s.heap), mb(s.rss), s.goroutines)
	}
	// The first quarter warms up (pools fill, stacks grow); from then on
	// nothing may grow but noise: 1 MB, or 8 bytes a seed.
	early, late := got[len(got)/4], got[len(got)-1]
	seeds := late.seed - early.seed
	bound := uint64(1<<20 + 8*seeds)
	assert.LessOrEqual(t, late.heap, early.heap+bound,
		"the heap grew by %.2f MB over %d seeds", mb(late.heap)-mb(early.heap), seeds)
	if early.goroutines > 0 {
		made := late.goroutines - early.goroutines
		assert.LessOrEqual(t, made, uint64(seeds/10), "%d goroutines made in %d seeds: workers (of killed tasks?) or run loops are not reused", made, seeds)
	}
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

// TestSeedsAreMadeAsTheyRun asks for more seeds than memory could hold:
// they are made one at a time, and the Run stops at the failing third.
func TestSeedsAreMadeAsTheyRun(t *testing.T) {
	n := 0
	r := runIn("TestHuge", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			if n++; n == 3 {
				s.Errorf("the third seed fails")
			}
		}, simtest.Seeds(math.MaxInt))
	})
	require.True(t, r.failed)
	assert.Contains(t, r.output(), "simtest: 3 seeds, 2 passed, 1 failed")
}
