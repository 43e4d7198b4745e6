package providers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// workload uses every primitive at once and logs what happens, in order;
// the log is guarded by the Mutex.
func workload(log *[]string) body {
	return func(t *testing.T, ctx context.Context, p providers.Providers) {
		jobs := providers.NewChan[int](p.Task, 2)
		results := providers.NewChan[string](p.Task, 0)
		quit := providers.NewChan[struct{}](p.Task, 0)
		m := providers.NewMutex(p.Task)
		workers := providers.NewWaitGroup(p.Task)
		for w := range 3 {
			workers.Go(ctx, fmt.Sprintf("worker%d", w), func(ctx context.Context) error {
				for {
					var job int
					var open, stop bool
					err := providers.Select(ctx,
						providers.OnRecv(jobs, func(v int, ok bool) { job, open = v, ok }),
						providers.OnRecv(quit, func(struct{}, bool) { stop = true }),
					)
					if err != nil || stop || !open {
						return err
					}
					if err := m.Lock(ctx); err != nil {
						return err
					}
					*log = append(*log, fmt.Sprintf("w%d:%d", w, job))
					p.Task.Yield(ctx)
					m.Unlock()
					if err := results.Send(ctx, fmt.Sprintf("%d*%d", job, job)); err != nil {
						return err
					}
				}
			})
		}
		collector := p.Task.Go(ctx, "collector", func(ctx context.Context) error {
			for range 10 {
				v, _, err := results.Recv(ctx)
				if err != nil {
					return err
				}
				if err := m.Lock(ctx); err != nil {
					return err
				}
				*log = append(*log, v)
				m.Unlock()
			}
			return nil
		})
		for i := range 10 {
			require.NoError(t, jobs.Send(ctx, i))
			if i%3 == 0 {
				require.NoError(t, p.Time.Sleep(ctx, time.Millisecond))
			}
		}
		require.NoError(t, collector.Join(ctx))
		quit.Close()
		require.NoError(t, workers.Wait(ctx))
	}
}

func TestSimDeterminism(t *testing.T) {
	traces := map[uint64]bool{}
	logs := map[string]bool{}
	for seed := uint64(1); seed <= 10; seed++ {
		var log1, log2 []string
		r1 := simulate(t, seed, workload(&log1))
		r2 := simulate(t, seed, workload(&log2))
		require.Equal(t, r1.Trace, r2.Trace, "seed %d gave two traces", seed)
		require.Equal(t, log1, log2, "seed %d gave two histories", seed)
		require.Len(t, log1, 20)
		traces[r1.Trace] = true
		logs[fmt.Sprint(log1)] = true
	}
	assert.Greater(t, len(traces), 1, "10 seeds gave one trace")
	assert.Greater(t, len(logs), 1, "10 seeds gave one history")
}

func TestWorkloadRuns(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		var log []string
		workload(&log)(t, ctx, p)
		assert.Len(t, log, 20)
	})
}
