package simdisk

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// benchRun runs body as the root task of a world with one disk of cfg and
// one open file, failing b if the run fails.
func benchRun(b testing.TB, cfg chaos.Storage, body func(ctx context.Context, p providers.Providers, f providers.File)) {
	w := sim.New(sim.Config{Seed: 1})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		d, err := New(w, "n1", cfg)
		if err != nil {
			return err
		}
		f, err := d.Storage().Create("bench")
		if err != nil {
			return err
		}
		body(ctx, p, f)
		return nil
	})
	if res.Err != nil {
		b.Fatal(res.Err)
	}
}

// floor measures the engine's cost of parking a task twice (a sleep
// each), the least that a write and a sync can cost, per pair.
func floor(ctx context.Context, p providers.Providers, n int) time.Duration {
	start := time.Now()
	for range n {
		_ = p.Time.Sleep(ctx, time.Microsecond)
		_ = p.Time.Sleep(ctx, time.Microsecond)
	}
	return time.Since(start) / time.Duration(n)
}

// BenchmarkWriteSync4K is one 4 KiB write and one sync, the unit of a
// write-ahead log, on a disk with the default timing and no faults. It
// reports how many such pairs run per wall second, and the ratio of their
// cost to the floor: two parks of a task on a sleep.
func BenchmarkWriteSync4K(b *testing.B) {
	buf := make([]byte, 4096)
	benchRun(b, chaos.NoStorageFaults(), func(ctx context.Context, p providers.Providers, f providers.File) {
		fl := floor(ctx, p, 10000)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if _, err := f.WriteAt(buf, int64(i%1024)*4096); err != nil {
				b.Fatal(err)
			}
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		per := b.Elapsed() / time.Duration(b.N)
		b.ReportMetric(float64(time.Second)/float64(per), "writes+syncs/s")
		b.ReportMetric(float64(per)/float64(fl), "x-floor")
	})
}

// BenchmarkRead4K is one 4 KiB read of synced data.
func BenchmarkRead4K(b *testing.B) {
	buf := make([]byte, 4096)
	benchRun(b, chaos.NoStorageFaults(), func(ctx context.Context, p providers.Providers, f providers.File) {
		for i := range 1024 {
			_, _ = f.WriteAt(buf, int64(i)*4096)
		}
		_ = f.Sync()
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if _, err := f.ReadAt(buf, int64(i%1024)*4096); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
	})
}

// BenchmarkWriteSync4KDefaultFaults is BenchmarkWriteSync4K with every
// fault at its default: the cost of drawing them.
func BenchmarkWriteSync4KDefaultFaults(b *testing.B) {
	buf := make([]byte, 4096)
	benchRun(b, chaos.DefaultStorage(), func(ctx context.Context, p providers.Providers, f providers.File) {
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			_, _ = f.WriteAt(buf, int64(i%1024)*4096)
			_ = f.Sync()
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes+syncs/s")
	})
}

// heap returns the live heap after a collection.
func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// memoryPerGiB writes total bytes in 4 KiB writes at offsets drawn by at,
// syncing every 64 writes, and reports the heap it costs per GiB written.
func memoryPerGiB(b *testing.B, total int64, at func(i int64) int64) {
	buf := make([]byte, 4096)
	for i := range buf {
		buf[i] = byte(i)
	}
	for range b.N {
		benchRun(b, chaos.Storage{}, func(ctx context.Context, p providers.Providers, f providers.File) {
			before := heap()
			for i := range total / 4096 {
				if _, err := f.WriteAt(buf, at(i)); err != nil {
					b.Fatal(err)
				}
				if i%64 == 63 {
					_ = f.Sync()
				}
			}
			_ = f.Sync()
			after := heap()
			b.ReportMetric(float64(after-before)/(float64(total)/(1<<30)), "heap-B/GiB-written")
			fi, _ := f.Stat()
			b.ReportMetric(float64(fi.Size())/(1<<30), "file-GiB")
		})
	}
}

// BenchmarkMemoryDense writes 256 MiB contiguously: memory tracks the
// data held, plus the overhead of the sector maps.
func BenchmarkMemoryDense(b *testing.B) {
	memoryPerGiB(b, 256<<20, func(i int64) int64 { return i * 4096 })
}

// BenchmarkMemorySparse writes 256 MiB in 4 KiB pieces 16 MiB apart, a
// file of a terabyte: memory tracks the data held, not the file's size.
func BenchmarkMemorySparse(b *testing.B) {
	memoryPerGiB(b, 256<<20, func(i int64) int64 { return i * (16 << 20) })
}

// BenchmarkMemoryOverwrite writes 256 MiB over the same 4 MiB, as a
// circular log does: memory stays at 4 MiB.
func BenchmarkMemoryOverwrite(b *testing.B) {
	memoryPerGiB(b, 256<<20, func(i int64) int64 { return (i % 1024) * 4096 })
}
