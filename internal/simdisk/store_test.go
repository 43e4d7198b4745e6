package simdisk

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// A store, as through a shared mapping, writes within the file and never
// grows it; it is unsynced, so a kill keeps it and a crash loses it; and
// a handle that no longer works stores nothing. Every handle of a file,
// whatever its name, shares the file's slot for its mappings.
func TestAStoreIsAnUnsyncedWriteWithinTheFile(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		writeFile(t, st, "f", []byte("0123456789"), true)
		f, err := st.OpenFile("f", os.O_RDWR, 0)
		require.NoError(t, err)
		s := f.(*file)
		require.Equal(t, 3, s.Store([]byte("abc"), 2))
		require.Equal(t, 2, s.Store([]byte("XYZ"), 8), "cut at the file's end")
		require.Equal(t, 0, s.Store([]byte("!"), 10))
		require.Equal(t, "01abc567XY", string(readFile(t, st, "f")))

		require.NoError(t, st.Rename("f", "g"))
		g, err := st.Open("g")
		require.NoError(t, err)
		*s.Mappings() = "maps"
		require.Equal(t, any("maps"), *g.(*file).Mappings())

		d.Kill()
		require.Equal(t, -1, s.Store([]byte("k"), 0), "the handle ended with the kill")
		require.Equal(t, "01abc567XY", string(readFile(t, st, "g")), "a kill keeps what was stored")
		d.Crash()
		require.Equal(t, "0123456789", string(readFile(t, st, "g")), "a crash loses it: it was never synced")

		p := d.Process()
		h, err := p.Storage().OpenFile("g", os.O_RDWR, 0)
		require.NoError(t, err)
		p.Exit()
		require.Equal(t, -1, h.(*file).Store([]byte("x"), 0), "its process exited")
	})
}
