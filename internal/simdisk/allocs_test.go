package simdisk

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
)

// A read and a write of synced data, in steady state, allocate nothing:
// the task waits on an event the world reuses. A sync allocates once, for
// its completion (what it makes durable, or how it fails).
func TestDiskOpsAllocateNothingInSteadyState(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	buf := make([]byte, 4096)
	var reads, writes float64
	benchRun(t, chaos.NoStorageFaults(), func(ctx context.Context, p providers.Providers, f providers.File) {
		for i := range 16 {
			_, _ = f.WriteAt(buf, int64(i)*4096)
		}
		_ = f.Sync()
		i := 0
		reads = testing.AllocsPerRun(500, func() {
			_, _ = f.ReadAt(buf, int64(i%16)*4096)
			i++
		})
		writes = testing.AllocsPerRun(500, func() {
			_, _ = f.WriteAt(buf, int64(i%16)*4096)
			i++
		})
	})
	assert.Zero(t, reads, "allocations per read")
	assert.Zero(t, writes, "allocations per write")
}
