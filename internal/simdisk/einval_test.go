package simdisk

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// What Linux refuses with EINVAL is package os's bare syscall.EINVAL, as
// OSStorage gives it: errors.As finds the Errno, the text is Linux's, and
// fs.ErrInvalid does not match.
func TestEINVALIsTheErrno(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		require.NoError(t, st.Mkdir("d", 0o755))
		f, err := st.Create("f")
		require.NoError(t, err)
		truncErr := f.Truncate(-1)
		_, seekErr := f.Seek(-1, io.SeekStart)
		_, whenceErr := f.Seek(0, 7)
		renameErr := st.Rename("d", "d/e")
		var le *os.LinkError
		require.ErrorAs(t, renameErr, &le)
		require.NoError(t, f.Close())
		for _, c := range []struct {
			err  error
			want string
		}{
			{truncErr, "truncate f: invalid argument"},
			{seekErr, "seek f: invalid argument"},
			{whenceErr, "seek f: invalid argument"},
			{st.Remove("."), "removeat .: invalid argument"},
			{renameErr, "renameat d d/e: invalid argument"},
		} {
			var errno syscall.Errno
			require.ErrorAs(t, c.err, &errno, c.want)
			assert.Equal(t, syscall.EINVAL, errno, c.want)
			assert.Equal(t, c.want, c.err.Error())
			assert.False(t, errors.Is(c.err, fs.ErrInvalid), c.want)
		}
	})
}
