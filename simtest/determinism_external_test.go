package simtest_test

import (
	"context"
	"fmt"
	"regexp"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// busy is a workload that uses every way a task can block: producers and
// consumers on buffered and unbuffered Chans, a Select with a timeout, a
// Mutex held across a sleep, a WaitGroup, joins, yields and random sleeps.
func busy(s *simtest.S) {
	p := s.Providers()
	ctx := s.Context()
	jobs := providers.NewChan[int](p.Task, 2)
	results := providers.NewChan[int](p.Task, 0)
	mu := providers.NewMutex(p.Task)
	wg := providers.NewWaitGroup(p.Task)
	shared := 0

	for w := range 4 {
		wg.Go(ctx, fmt.Sprint("worker-", w), func(ctx context.Context) error {
			for {
				j, ok, err := jobs.Recv(ctx)
				if err != nil || !ok {
					return err
				}
				if err := mu.Lock(ctx); err != nil {
					return err
				}
				shared += j
				_ = p.Time.Sleep(ctx, time.Duration(p.Random.IntN(3))*time.Millisecond)
				mu.Unlock()
				p.Task.Yield(ctx)
				if err := results.Send(ctx, j*2); err != nil {
					return err
				}
			}
		})
	}
	producer := s.Go("producer", func(ctx context.Context) error {
		defer jobs.Close()
		for i := range 20 {
			if err := jobs.Send(ctx, i); err != nil {
				return err
			}
			_ = p.Time.Sleep(ctx, time.Duration(p.Random.IntN(5))*time.Millisecond)
		}
		return nil
	})
	got := 0
	for got < 20 {
		tctx, cancel := p.Time.WithTimeout(ctx, 3*time.Millisecond)
		err := providers.Select(tctx,
			providers.OnRecv(results, func(v int, ok bool) { got++ }),
		)
		cancel()
		if err != nil {
			s.Logf("no result for 3ms; %d so far", got)
		}
	}
	require.NoError(s, producer.Join(ctx))
	require.NoError(s, wg.Wait(ctx))
	require.Equal(s, 190, shared)
}

var seedTrace = regexp.MustCompile(`seed=(\d+) trace=([0-9a-f]{16})`)

// traces runs the busy workload over n seeds and returns each seed's trace.
func traces(t *testing.T, n int, opts ...simtest.Option) map[string]string {
	t.Helper()
	r := runIn("TestBusy", func(r *recorder) {
		simtest.Run(r, busy, append([]simtest.Option{simtest.Seeds(n), simtest.Verbose()}, opts...)...)
	})
	require.False(t, r.failed, r.output())
	out := map[string]string{}
	for _, m := range seedTrace.FindAllStringSubmatch(r.output(), -1) {
		out[m[1]] = m[2]
	}
	require.Len(t, out, n)
	return out
}

// TestSameSeedSameTrace is the property the library rests on: 1,000 seeds
// of a busy workload give the same trace hashes run after run, whatever
// GOMAXPROCS (and, in CI, under -race too).
func TestSameSeedSameTrace(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 100
	}
	first := traces(t, n, simtest.CheckDeterminism())
	distinct := map[string]bool{}
	for _, tr := range first {
		distinct[tr] = true
	}
	require.Greater(t, len(distinct), n*9/10, "different seeds take different paths")

	for _, procs := range []int{1, 4} {
		prev := runtime.GOMAXPROCS(procs)
		again := traces(t, n)
		runtime.GOMAXPROCS(prev)
		if d := cmp.Diff(first, again); d != "" {
			t.Errorf("GOMAXPROCS=%d changed traces (-first +again):\n%s", procs, d)
		}
	}
}

// TestParallelRunsDoNotInterfere runs the same seeds in several parallel
// Runs of one binary and expects each to see exactly what a lone Run sees.
func TestParallelRunsDoNotInterfere(t *testing.T) {
	want := traces(t, 50)
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			if d := cmp.Diff(want, traces(t, 50)); d != "" {
				t.Errorf("a parallel Run saw other traces (-alone +parallel):\n%s", d)
			}
		})
	}
}
