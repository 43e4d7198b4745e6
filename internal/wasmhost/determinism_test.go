package wasmhost_test

import (
	"regexp"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/internal/wasmhost"
	"github.com/moonpool-go/moonpool/simtest"
)

var goroutineOrder = regexp.MustCompile(`order \[.*\]`)

var seedTrace = regexp.MustCompile(`seed=(\d+) trace=([0-9a-f]{16})`)

// outcome is what one seed did: its trace hash and everything the
// programs printed.
type outcome struct {
	Trace  string
	Output string
}

// busyRun runs a server program and a client program that use goroutines,
// timers, math/rand, crypto/rand, files and TCP, over n seeds.
func busyRun(t *testing.T, mod *wasmhost.Module, n int) map[string]outcome {
	t.Helper()
	return seedRuns(t, n, func(s *simtest.S, out *testenv.Buffer) {
		s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return process(mod, out, "serve=:7000") }})
		s.Boot(simtest.Processes{Name: "cli", New: func() simtest.Process {
			return process(mod, out, "goroutines", "random", "clock", "files", "dial=srv-0:7000")
		}})
		s.Sleep(20 * time.Second)
	})
}

// seedRuns runs body over n seeds, with opts, and returns each seed's
// trace hash and what its programs wrote to out, keyed by the seed.
func seedRuns(t *testing.T, n int, body func(s *simtest.S, out *testenv.Buffer), opts ...simtest.Option) map[string]outcome {
	t.Helper()
	var mu sync.Mutex
	outs := map[uint64]*testenv.Buffer{}
	r := runIn(t.Name(), func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			buf := &testenv.Buffer{}
			mu.Lock()
			outs[s.Seed()] = buf
			mu.Unlock()
			body(s, buf)
		}, append([]simtest.Option{simtest.Seeds(n), simtest.KeepFailures(false), simtest.Verbose()}, opts...)...)
	})
	require.False(t, r.failed, r.output())
	got := map[string]outcome{}
	for _, m := range seedTrace.FindAllStringSubmatch(r.output(), -1) {
		var seed uint64
		for _, c := range m[1] {
			seed = seed*10 + uint64(c-'0')
		}
		got[m[1]] = outcome{Trace: m[2], Output: outs[seed].String()}
	}
	require.Len(t, got, n)
	return got
}

// One seed gives one execution of real programs: the same trace hash and
// the same output, whatever GOMAXPROCS; other seeds give other runs.
func TestSameSeedSameProgramRun(t *testing.T) {
	mod := guestModule(t)
	n := 8
	if testing.Short() {
		n = 4
	}
	first := busyRun(t, mod, n)
	traces, outputs, orders := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, o := range first {
		require.Contains(t, o.Output, "reply PING 2")
		traces[o.Trace] = true
		outputs[o.Output] = true
		orders[goroutineOrder.FindString(o.Output)] = true
	}
	require.Len(t, orders, n, "different seeds run goroutines in different orders")
	require.Len(t, traces, n, "different seeds take different paths")
	require.Len(t, outputs, n, "different seeds print different things")
	for _, procs := range []int{1, 4} {
		prev := runtime.GOMAXPROCS(procs)
		again := busyRun(t, mod, n)
		runtime.GOMAXPROCS(prev)
		if d := cmp.Diff(first, again); d != "" {
			t.Errorf("GOMAXPROCS=%d changed the runs (-first +again):\n%s", procs, d)
		}
	}
}
