package simtest_test

import (
	"context"
	"io/fs"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// lateDisk is a workload whose Check is the first to use the disks "late"
// and "other", and uses "early" again.
type lateDisk struct {
	s      *simtest.S
	faults map[string]chaos.Storage
}

func (w *lateDisk) Setup(ctx context.Context, p providers.Providers) error {
	w.s.Disk("early")
	return nil
}
func (w *lateDisk) Run(ctx context.Context, p providers.Providers) error { return nil }
func (w *lateDisk) Check(ctx context.Context, p providers.Providers) error {
	w.faults = map[string]chaos.Storage{}
	for _, addr := range []string{"early", "late", "other"} {
		d := w.s.Disk(addr)
		w.faults[addr] = d.Config()
		writeAll(w.s, d.Storage(), "f", "stored", true)
		got, err := fs.ReadFile(providers.StorageFS(d.Storage()), "f")
		require.NoError(w.s, err)
		assert.Equal(w.s, "stored", string(got), "disk %s after quiesce", addr)
	}
	return nil
}

// TestQuiesceTurnsOffEveryDisk checks that the end of chaos turns off the
// faults of every disk: those already made, and those first used by a
// check, even when configured by address.
func TestQuiesceTurnsOffEveryDisk(t *testing.T) {
	phantom := chaos.NoStorageFaults()
	phantom.PhantomWriteProb = 1
	simtest.Run(t, func(s *simtest.S) {
		w := &lateDisk{s: s}
		s.Boot().Run(simtest.Phases{Chaos: time.Second}, w)
		for _, addr := range []string{"early", "late", "other"} {
			assert.Equal(s, chaos.NoStorageFaults(), w.faults[addr], "disk %s", addr)
		}
	}, simtest.Seeds(2), simtest.Chaos(chaos.Off()), simtest.Storage(phantom),
		simtest.DiskStorage("early", phantom), simtest.DiskStorage("late", phantom))
}
