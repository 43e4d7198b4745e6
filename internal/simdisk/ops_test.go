package simdisk

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// TestOpsNameTheirOperationAndFile checks that an observed run hears each
// operation of a disk by its own name and file, a rename by both names,
// and not a namespace change as a write of nothing.
func TestOpsNameTheirOperationAndFile(t *testing.T) {
	w := sim.New(sim.Config{Seed: 3})
	var got []string
	w.ObserveOps(func(o sim.Op) {
		require.Equal(t, sim.OpDisk, o.Kind)
		require.Equal(t, "db", o.From)
		got = append(got, o.What+" "+o.File)
	})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		d, err := New(w, "db", chaos.Storage{})
		if err != nil {
			return err
		}
		s := d.Storage()
		if err := s.Mkdir("dir", 0o755); err != nil {
			return err
		}
		f, err := s.Create("dir/a")
		if err != nil {
			return err
		}
		if _, err := f.Write([]byte("x")); err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return err
		}
		if err := f.Truncate(0); err != nil {
			return err
		}
		if err := s.Rename("dir/a", "dir/b"); err != nil {
			return err
		}
		if _, err := s.Stat("dir/b"); err != nil {
			return err
		}
		return s.Remove("dir/b")
	})
	require.NoError(t, res.Err)
	want := []string{
		"disk mkdir dir", "disk open dir/a", "disk write dir/a", "disk sync dir/a",
		"disk truncate dir/a", "disk rename dir/a -> dir/b", "disk stat dir/b", "disk remove dir/b",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the ops heard (-want +got):\n%s", diff)
	}
}
