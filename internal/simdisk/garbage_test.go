package simdisk

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
)

// garbage is a fast disk whose never-written sectors read as garbage.
var garbage = chaos.Storage{UnwrittenGarbage: true}

// readAt reads n bytes at off of name.
func readAt(t *testing.T, st providers.Storage, name string, off int64, n int) []byte {
	t.Helper()
	f, err := st.Open(name)
	require.NoError(t, err)
	defer f.Close()
	b := make([]byte, n)
	k, err := f.ReadAt(b, off)
	if err != io.EOF {
		require.NoError(t, err)
	}
	return b[:k]
}

func zeros(n int) []byte { return make([]byte, n) }

func TestHolePastEOFReadsGarbage(t *testing.T) {
	var hole, again, zeroHole []byte
	body := func(out *[]byte) func(ctx context.Context, d *Disk, st providers.Storage) {
		return func(ctx context.Context, d *Disk, st providers.Storage) {
			f, err := st.Create("f")
			require.NoError(t, err)
			_, err = f.WriteAt([]byte("head"), 0)
			require.NoError(t, err)
			_, err = f.WriteAt([]byte("tail"), 3000)
			require.NoError(t, err)
			require.NoError(t, f.Close())
			*out = readAt(t, st, "f", 0, 3004)
		}
	}
	res := run(t, 1, garbage, body(&hole))
	run(t, 1, garbage, body(&again))
	run(t, 1, fast, body(&zeroHole))

	require.Len(t, hole, 3004)
	assert.Equal(t, "head", string(hole[:4]))
	assert.Equal(t, "tail", string(hole[3000:]))
	assert.NotEqual(t, zeros(512), hole[1024:1536], "a sector never written is not zeros")
	assert.NotEqual(t, zeros(508), hole[4:512], "nor is the unwritten rest of a written sector")
	assert.Equal(t, hole, again, "the garbage is the seed's: a replay reads the same")
	assert.Equal(t, zeros(2996), zeroHole[4:3000], "without UnwrittenGarbage, holes read as zeros, as POSIX says")
	assert.Contains(t, timeline(res), "never written: garbage", "the timeline notes the read")

	var other []byte
	run(t, 2, garbage, body(&other))
	assert.NotEqual(t, hole, other, "another seed, other garbage")
}

func TestTruncateGrowthReadsGarbage(t *testing.T) {
	run(t, 3, garbage, func(ctx context.Context, d *Disk, st providers.Storage) {
		writeFile(t, st, "f", bytes.Repeat([]byte("x"), 700), true)
		f, err := st.OpenFile("f", os.O_RDWR, 0)
		require.NoError(t, err)
		require.NoError(t, f.Truncate(4096))
		got := readAt(t, st, "f", 0, 4096)
		assert.Equal(t, bytes.Repeat([]byte("x"), 700), got[:700])
		assert.NotEqual(t, zeros(324), got[700:1024], "the space truncate adds is garbage")
		assert.NotEqual(t, zeros(512), got[2048:2560])

		// Shrinking and growing again: what was cut off reads as garbage
		// too, not as the old data nor as zeros.
		require.NoError(t, f.Truncate(100))
		require.NoError(t, f.Truncate(700))
		got = readAt(t, st, "f", 0, 700)
		assert.Equal(t, bytes.Repeat([]byte("x"), 100), got[:100])
		assert.NotEqual(t, bytes.Repeat([]byte("x"), 600), got[100:])
		assert.NotEqual(t, zeros(600), got[100:])
		require.NoError(t, f.Close())

		// The same never-written sector reads the same each time.
		assert.Equal(t, readAt(t, st, "f", 512, 188), readAt(t, st, "f", 512, 188))
	})
}

func TestCrashExposesGarbageWithinTheSyncedSize(t *testing.T) {
	run(t, 4, garbage, func(ctx context.Context, d *Disk, st providers.Storage) {
		// The size is synced first (a preallocated file), the data after
		// it never: after the crash the file is its full size, and the
		// data that did not reach the disk reads as garbage.
		f, err := st.Create("log")
		require.NoError(t, err)
		require.NoError(t, f.Truncate(2048))
		require.NoError(t, f.Sync())
		_, err = f.WriteAt(bytes.Repeat([]byte("r"), 1024), 0)
		require.NoError(t, err)
		d.Crash()
		got := readAt(t, st, "log", 0, 2048)
		require.Len(t, got, 2048)
		assert.NotEqual(t, bytes.Repeat([]byte("r"), 1024), got[:1024], "the unsynced data is gone")
		assert.NotEqual(t, zeros(1024), got[:1024], "and what is there is not zeros")
	})
}

func TestUnwrittenGarbageDrawsNothing(t *testing.T) {
	// A run that never reads unwritten space is the same run whether its
	// disk has garbage or not: the trace hash does not move.
	body := func(ctx context.Context, d *Disk, st providers.Storage) {
		writeFile(t, st, "f", bytes.Repeat([]byte("y"), 5000), true)
		_ = readAt(t, st, "f", 0, 5000)
	}
	cfg := chaos.DefaultStorage()
	off := cfg
	off.UnwrittenGarbage = false
	assert.Equal(t, run(t, 5, off, body).Trace, run(t, 5, cfg, body).Trace)
}

// A log whose reader takes a zero length for its end, and trusts what it
// reads: the bug UnwrittenGarbage exists to catch. Each record is a
// length byte and that many bytes; the file is preallocated.

func appendRecords(t *testing.T, st providers.Storage, recs []string) {
	f, err := st.Create("log")
	require.NoError(t, err)
	require.NoError(t, f.Truncate(4096)) // preallocate
	require.NoError(t, f.Sync())
	off := int64(0)
	for _, r := range recs {
		_, err := f.WriteAt(append([]byte{byte(len(r))}, r...), off)
		require.NoError(t, err)
		off += int64(1 + len(r))
	}
	require.NoError(t, f.Close())
}

// naiveRecover reads records until a zero length.
func naiveRecover(t *testing.T, st providers.Storage) []string {
	b := readAt(t, st, "log", 0, 4096)
	var out []string
	for off := 0; off < len(b) && b[off] != 0; {
		n := int(b[off])
		if off+1+n > len(b) {
			break
		}
		out = append(out, string(b[off+1:off+1+n]))
		off += 1 + n
	}
	return out
}

func TestGarbageCatchesAReaderThatTrustsZeros(t *testing.T) {
	recs := []string{"alpha", "beta", "gamma"}
	var withZeros, withGarbage []string
	run(t, 6, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		appendRecords(t, st, recs)
		withZeros = naiveRecover(t, st)
	})
	run(t, 6, garbage, func(ctx context.Context, d *Disk, st providers.Storage) {
		appendRecords(t, st, recs)
		withGarbage = naiveRecover(t, st)
	})
	assert.Equal(t, recs, withZeros, "on zeros the bug hides: the reader stops at the first zero")
	require.Greater(t, len(withGarbage), len(recs), "on garbage the reader takes noise for records")
	assert.Equal(t, recs, withGarbage[:len(recs)])
}
