package simdisk

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// busyWorkload has three tasks write, read and sync several files of two
// disks under every fault, crashing one disk midway.
func busyWorkload(seed uint64) sim.Result {
	w := sim.New(sim.Config{Seed: seed, Record: true})
	return w.Run(func(ctx context.Context, p providers.Providers) error {
		cfg := chaos.DefaultStorage()
		// Faults ten times as likely as by default, so that every kind shows.
		for _, f := range []*float64{&cfg.ReadCorruptionProb, &cfg.WriteCorruptionProb, &cfg.MisdirectedReadProb,
			&cfg.MisdirectedWriteProb, &cfg.PhantomWriteProb, &cfg.SyncFailureProb, &cfg.Stall.Prob, &cfg.Throttle.Prob} {
			*f *= 10
		}
		ds, err := NewDisks(w, cfg)
		if err != nil {
			return err
		}
		var hs []providers.Handle
		for i := range 3 {
			d := ds.Disk(fmt.Sprint("n", i%2))
			hs = append(hs, p.Task.Go(ctx, fmt.Sprint("worker", i), func(ctx context.Context) error {
				st := d.Storage()
				name := fmt.Sprint("f", i)
				f, err := st.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
				if err != nil {
					return err
				}
				buf := make([]byte, 1500)
				for j := range 300 {
					for k := range buf {
						buf[k] = byte(p.Random.IntN(256))
					}
					if _, err := f.WriteAt(buf, int64(p.Random.IntN(20))*700); err != nil {
						return nil // the disk crashed
					}
					if _, err := f.ReadAt(buf, int64(p.Random.IntN(20))*300); err != nil && err.Error() != "EOF" {
						return nil
					}
					if j%7 == 0 {
						_ = f.Sync()
					}
				}
				return nil
			}))
		}
		_ = p.Time.Sleep(ctx, 200*time.Millisecond)
		ds.Disk("n0").Crash()
		for _, h := range hs {
			_ = h.Join(ctx)
		}
		return nil
	})
}

func TestSameSeedSameTrace(t *testing.T) {
	sameUnderAnyGOMAXPROCS(t, busyWorkload)
	assert.NotEqual(t, busyWorkload(1).Trace, busyWorkload(2).Trace)
}

// sameUnderAnyGOMAXPROCS runs workload on seeds 1 to 3, each under
// GOMAXPROCS 1 and 4, checks that both runs of a seed are the same step
// for step, and returns the runs under 1.
func sameUnderAnyGOMAXPROCS(t *testing.T, workload func(seed uint64) sim.Result) []sim.Result {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var runs []sim.Result
	for _, seed := range []uint64{1, 2, 3} {
		runtime.GOMAXPROCS(1)
		a := workload(seed)
		runtime.GOMAXPROCS(4)
		b := workload(seed)
		require.NoError(t, a.Err)
		require.NoError(t, b.Err)
		assert.Equal(t, "", sim.Diverge(a.Record, b.Record), "seed %d", seed)
		assert.Equal(t, a.Trace, b.Trace, "seed %d", seed)
		assert.Equal(t, a.Draws, b.Draws, "seed %d", seed)
		assert.Equal(t, a.Timeline, b.Timeline, "seed %d", seed)
		runs = append(runs, a)
	}
	return runs
}

func TestFaultsChangeTheTrace(t *testing.T) {
	// The same run with one fault recorded differently must hash
	// differently: faults are part of the trace.
	trace := func(cfg chaos.Storage) uint64 {
		w := sim.New(sim.Config{Seed: 1})
		res := w.Run(func(ctx context.Context, p providers.Providers) error {
			d, err := New(w, "n1", cfg)
			if err != nil {
				return err
			}
			f, err := d.Storage().Create("f")
			if err != nil {
				return err
			}
			_, err = f.Write([]byte("x"))
			return err
		})
		require.NoError(t, res.Err)
		return res.Trace
	}
	assert.NotEqual(t, trace(chaos.Storage{}), trace(chaos.Storage{PhantomWriteProb: 1}))
}
