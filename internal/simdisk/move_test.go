package simdisk

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// Only a rename that moves a file whose data no sync has made durable
// counts in the renaming task's group (sim.World.UnsyncedMove): not one
// of a synced file, nor a failed one, nor one of a directory, which has
// no data of its own.
func TestARenameOfUnsyncedDataCountsInItsGroup(t *testing.T) {
	w := sim.New(sim.Config{Seed: 1})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		d, err := New(w, "n1", fast)
		require.NoError(t, err)
		st := d.Storage()
		g := w.NewGroup("proc")
		var counts []int
		h := g.Go(ctx, "renames", func(context.Context) error {
			note := func() { counts = append(counts, g.UnsyncedMoves()) }
			writeFile(t, st, "synced.tmp", []byte("data"), true)
			require.NoError(t, st.Rename("synced.tmp", "synced"))
			note()
			require.Error(t, st.Rename("missing", "elsewhere"))
			note()
			require.NoError(t, st.Mkdir("dir", 0o755))
			writeFile(t, st, "dir/unsynced", []byte("data"), false)
			require.NoError(t, st.Rename("dir", "dir2"))
			note()
			writeFile(t, st, "unsynced.tmp", []byte("data"), false)
			require.NoError(t, st.Rename("unsynced.tmp", "unsynced"))
			note()
			return nil
		})
		require.NoError(t, h.Join(ctx))
		assert.Equal(t, []int{0, 0, 0, 1}, counts)
		return nil
	})
	require.NoError(t, res.Err)
}
