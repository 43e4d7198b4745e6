package simdisk

import (
	"context"
	"errors"
	"io/fs"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
)

func isNoSpace(t *testing.T, err error) {
	t.Helper()
	var pe *fs.PathError
	require.ErrorAs(t, err, &pe, "a full disk's error is a *fs.PathError, as os.File's")
	assert.True(t, errors.Is(err, syscall.ENOSPC), "and it is ENOSPC: %v", err)
}

func TestCapacityWritesWhatFitsThenENOSPC(t *testing.T) {
	run(t, 1, chaos.Storage{Capacity: 4096}, func(ctx context.Context, d *Disk, st providers.Storage) {
		a, err := st.Create("a")
		require.NoError(t, err)
		n, err := a.Write(pattern(3000))
		require.NoError(t, err)
		require.Equal(t, 3000, n)

		// 3000 bytes take 6 sectors (3072 bytes); 1024 are free: the file
		// may grow to 4096 bytes.
		n, err = a.Write(pattern(2000))
		isNoSpace(t, err)
		assert.Equal(t, 1096, n, "the part that fits is written")
		fi, err := a.Stat()
		require.NoError(t, err)
		assert.Equal(t, int64(4096), fi.Size())

		b, err := st.Create("b")
		require.NoError(t, err)
		n, err = b.Write([]byte("x"))
		isNoSpace(t, err)
		assert.Zero(t, n)
		isNoSpace(t, b.Truncate(1))

		_, err = a.WriteAt(pattern(512), 0)
		assert.NoError(t, err, "overwriting space the file holds needs none")

		require.NoError(t, a.Close())
		require.NoError(t, st.Remove("a"))
		n, err = b.Write(pattern(4096))
		assert.NoError(t, err, "removing a file frees its space")
		assert.Equal(t, 4096, n)
		assert.Equal(t, 3, d.Stats().NoSpace)
	})
}

func TestCrashGivesBackUnsyncedSpace(t *testing.T) {
	run(t, 1, chaos.Storage{Capacity: 1024}, func(ctx context.Context, d *Disk, st providers.Storage) {
		f, err := st.Create("log")
		require.NoError(t, err)
		_, err = f.Write(pattern(1024))
		require.NoError(t, err)
		d.Crash()
		f, err = st.OpenFile("log", 0x1, 0) // O_WRONLY
		require.NoError(t, err)
		_, err = f.Write(pattern(1024))
		assert.NoError(t, err, "what the crash dropped no longer takes space")
	})
}

func TestFullEpisode(t *testing.T) {
	cfg := chaos.Storage{Full: chaos.StorageEpisode{Prob: 1, Duration: chaos.Range{Min: time.Second, Max: time.Second}}}
	run(t, 1, cfg, func(ctx context.Context, d *Disk, st providers.Storage) {
		f, err := st.Create("data")
		require.NoError(t, err)
		_, err = f.Write([]byte("hello"))
		isNoSpace(t, err)
		assert.Equal(t, 1, d.Stats().Fulls)
		assert.Equal(t, 1, d.Stats().NoSpace)

		d.cfg.Full.Prob = 0 // no new episode once this one ends
		require.NoError(t, d.w.Providers().Time.Sleep(ctx, time.Second))
		_, err = f.Write([]byte("hello"))
		assert.NoError(t, err, "the episode is over")
	})
}

func TestFullEpisodeIsValidated(t *testing.T) {
	err := chaos.Storage{Full: chaos.StorageEpisode{Prob: 0.1, Duration: chaos.Range{Min: time.Second, Max: time.Millisecond}}}.Validate()
	assert.ErrorContains(t, err, "chaos.Storage.Full.Duration is [1s, 1ms]; Min must not be above Max")
	err = chaos.Storage{Capacity: -1}.Validate()
	assert.ErrorContains(t, err, "chaos.Storage.Capacity is -1 bytes; it must be zero (no limit) or positive")
}
