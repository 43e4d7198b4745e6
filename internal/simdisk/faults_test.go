package simdisk

import (
	"bytes"
	"context"
	"io/fs"
	"math/bits"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
)

// pattern returns n bytes in which every 4-byte group differs, so that a
// sector read from the wrong place shows.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/SectorSize)
	}
	return b
}

func bitDiff(a, b []byte) int {
	n := 0
	for i := range a {
		n += bits.OnesCount8(a[i] ^ b[i])
	}
	return n
}

// sectorsDiffering lists the sectors in which a and b differ.
func sectorsDiffering(a, b []byte) []int {
	var out []int
	for s := 0; s*SectorSize < len(a); s++ {
		end := min(len(a), (s+1)*SectorSize)
		if !bytes.Equal(a[s*SectorSize:end], b[s*SectorSize:end]) {
			out = append(out, s)
		}
	}
	return out
}

// withFault returns a faultless configuration with one setting changed.
func withFault(set func(*chaos.Storage)) chaos.Storage {
	var c chaos.Storage
	set(&c)
	return c
}

func TestReadCorruption(t *testing.T) {
	data := pattern(4096)
	var d *Disk
	res := run(t, 1, fast, func(ctx context.Context, dd *Disk, st providers.Storage) {
		d = dd
		writeFile(t, st, "f", data, true)
		require.NoError(t, d.SetConfig(withFault(func(c *chaos.Storage) { c.ReadCorruptionProb = 1 })))
		f, err := st.Open("f")
		require.NoError(t, err)
		got := make([]byte, len(data))
		_, err = f.ReadAt(got, 0)
		require.NoError(t, err, "a corrupted read reports success")
		assert.Len(t, sectorsDiffering(got, data), 1, "one sector is hit")
		assert.GreaterOrEqual(t, bitDiff(got, data), 1)
		assert.LessOrEqual(t, bitDiff(got, data), 8)

		require.NoError(t, d.SetConfig(fast))
		_, err = f.ReadAt(got, 0)
		require.NoError(t, err)
		assert.Equal(t, data, got, "the stored data was intact: a retry succeeds")
	})
	assert.Equal(t, 1, d.Stats().ReadCorruptions)
	assert.Contains(t, timeline(res), "disk n1: read-corruption: f: sector ")
}

func TestWriteCorruption(t *testing.T) {
	data := pattern(4096)
	var d *Disk
	res := run(t, 1, withFault(func(c *chaos.Storage) { c.WriteCorruptionProb = 1 }), func(ctx context.Context, dd *Disk, st providers.Storage) {
		d = dd
		writeFile(t, st, "f", data, true)
		require.NoError(t, d.SetConfig(fast))
		got := readFile(t, st, "f")
		assert.Len(t, sectorsDiffering(got, data), 1)
		assert.LessOrEqual(t, bitDiff(got, data), 8)
		assert.Equal(t, got, readFile(t, st, "f"), "the damage is stored")
	})
	assert.Equal(t, 1, d.Stats().WriteCorruptions)
	assert.Contains(t, timeline(res), "disk n1: write-corruption: f: sector ")
}

func TestMisdirectedRead(t *testing.T) {
	data := pattern(20 * SectorSize)
	var d *Disk
	res := run(t, 1, fast, func(ctx context.Context, dd *Disk, st providers.Storage) {
		d = dd
		writeFile(t, st, "f", data, true)
		require.NoError(t, d.SetConfig(withFault(func(c *chaos.Storage) { c.MisdirectedReadProb = 1 })))
		f, err := st.Open("f")
		require.NoError(t, err)
		got := make([]byte, SectorSize)
		_, err = f.ReadAt(got, 10*SectorSize)
		require.NoError(t, err)
		assert.NotEqual(t, data[10*SectorSize:11*SectorSize], got)
		found := false
		for s := 2; s <= 18; s++ {
			if bytes.Equal(got, data[s*SectorSize:(s+1)*SectorSize]) {
				found = true
			}
		}
		assert.True(t, found, "the data of a sector within 8 of the one asked for")
	})
	assert.Equal(t, 1, d.Stats().MisdirectedReads)
	assert.Contains(t, timeline(res), "disk n1: misdirected-read: f: sector 10 read from sector ")
}

func TestMisdirectedWrite(t *testing.T) {
	old := pattern(20 * SectorSize)
	var d *Disk
	run(t, 1, fast, func(ctx context.Context, dd *Disk, st providers.Storage) {
		d = dd
		writeFile(t, st, "f", old, true)
		require.NoError(t, d.SetConfig(withFault(func(c *chaos.Storage) { c.MisdirectedWriteProb = 1 })))
		f, err := st.OpenFile("f", os.O_RDWR, 0)
		require.NoError(t, err)
		_, err = f.WriteAt(bytes.Repeat([]byte{0xEE}, SectorSize), 10*SectorSize)
		require.NoError(t, err)
		require.NoError(t, d.SetConfig(fast))
		got := readFile(t, st, "f")
		diff := sectorsDiffering(got, old)
		require.Len(t, diff, 1, "one sector changed")
		assert.NotEqual(t, 10, diff[0], "but not the one written")
		assert.InDelta(t, 10, diff[0], 8)
	})
	assert.Equal(t, 1, d.Stats().MisdirectedWrites)
}

func TestPhantomWrite(t *testing.T) {
	var d *Disk
	res := run(t, 1, withFault(func(c *chaos.Storage) { c.PhantomWriteProb = 1 }), func(ctx context.Context, dd *Disk, st providers.Storage) {
		d = dd
		f, err := st.Create("f")
		require.NoError(t, err)
		n, err := f.Write([]byte("acknowledged"))
		require.NoError(t, err, "a phantom write reports success")
		assert.Equal(t, 12, n)
		require.NoError(t, f.Sync())
		assert.Equal(t, make([]byte, 12), readFile(t, st, "f"), "the size grew, the data never landed")
	})
	assert.Equal(t, 1, d.Stats().PhantomWrites)
	assert.Contains(t, timeline(res), "disk n1: phantom-write: f: 12 bytes at 0 acknowledged, not stored")
}

func TestSyncFailureLosesDataOnce(t *testing.T) {
	var d *Disk
	res := run(t, 1, fast, func(ctx context.Context, dd *Disk, st providers.Storage) {
		d = dd
		writeFile(t, st, "f", []byte("durable "), true)
		f, err := st.OpenFile("f", os.O_RDWR|os.O_APPEND, 0)
		require.NoError(t, err)
		_, err = f.Write([]byte("doomed"))
		require.NoError(t, err)

		require.NoError(t, d.SetConfig(withFault(func(c *chaos.Storage) { c.SyncFailureProb = 1 })))
		err = f.Sync()
		assert.ErrorIs(t, err, syscall.EIO)
		var pe *fs.PathError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, "sync", pe.Op)

		require.NoError(t, d.SetConfig(fast))
		assert.Equal(t, "durable doomed", string(readFile(t, st, "f")), "still readable from the page cache")
		require.NoError(t, f.Sync(), "the error is reported once: the retry succeeds")

		d.Stop()
		assert.Equal(t, "durable \x00\x00\x00\x00\x00\x00", string(readFile(t, st, "f")),
			"the size was synced by the retry, the data never: not even a graceful stop writes it")
	})
	assert.Equal(t, 1, d.Stats().SyncFailures)
	tl := timeline(res)
	assert.Contains(t, tl, "disk n1: sync-failure: f: EIO; 1 unsynced sectors will never reach the disk")
	assert.Contains(t, tl, "disk n1: stop: unsynced data written out; 1 sector that a failed sync kept from the disk, readable until now, is gone\n",
		"the stop says what it dropped, as a crash does")
}

// A stop with nothing a failed sync kept says only what it wrote.
func TestAStopWithNoFailedSyncSaysItWroteEverything(t *testing.T) {
	res := run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		writeFile(t, st, "f", []byte("kept"), false)
		d.Stop()
		assert.Equal(t, "kept", string(readFile(t, st, "f")))
	})
	assert.Contains(t, timeline(res), "disk n1: stop: unsynced data written out\n")
}

// A crash after a failed sync drops what the sync kept from the disk,
// readable until then: the crash's entry says so, though it lost no
// unsynced sector, as a file that reads otherwise after it would
// otherwise have no cause on the timeline.
func TestACrashAfterAFailedSyncSaysWhatItDropped(t *testing.T) {
	res := run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		writeFile(t, st, "f", pattern(2*SectorSize), true)
		f, err := st.OpenFile("f", os.O_RDWR, 0)
		require.NoError(t, err)
		_, err = f.WriteAt([]byte("doomed"), 0)
		require.NoError(t, err)
		require.NoError(t, d.SetConfig(withFault(func(c *chaos.Storage) { c.SyncFailureProb = 1 })))
		require.ErrorIs(t, f.Sync(), syscall.EIO)
		require.NoError(t, d.SetConfig(fast))
		d.Crash()
		assert.Equal(t, pattern(2*SectorSize), readFile(t, st, "f"), "the failed sync's sector never reached the disk")
	})
	tl := timeline(res)
	assert.Contains(t, tl, "crash: unsynced changes in 0 files: 0 sectors lost, 0 kept; ")
	assert.Contains(t, tl, "; 1 sector that a failed sync kept from the disk, readable until now, is gone\n")
}

func TestSyncFailureNeedsUnsyncedData(t *testing.T) {
	run(t, 1, withFault(func(c *chaos.Storage) { c.SyncFailureProb = 1 }), func(ctx context.Context, d *Disk, st providers.Storage) {
		f, err := st.Create("f")
		require.NoError(t, err)
		require.NoError(t, f.Sync(), "nothing to write back, nothing to fail")
		assert.Zero(t, d.Stats().SyncFailures)
	})
}

func TestTornWrites(t *testing.T) {
	data := pattern(64 * SectorSize)
	for _, tc := range []struct {
		p        float64
		min, max int
	}{{0, 0, 0}, {1, 64, 64}, {0.5, 16, 48}} {
		var d *Disk
		res := run(t, 3, withFault(func(c *chaos.Storage) { c.TornWriteProb = tc.p }), func(ctx context.Context, dd *Disk, st providers.Storage) {
			d = dd
			writeFile(t, st, "f", data, false)
			d.Crash()
			got := readFile(t, st, "f")
			kept := 0
			for s := 0; s*SectorSize < len(got); s++ {
				sec := got[s*SectorSize : (s+1)*SectorSize]
				if bytes.Equal(sec, data[s*SectorSize:(s+1)*SectorSize]) {
					kept++
				} else {
					assert.Equal(t, make([]byte, SectorSize), sec, "a sector is kept whole or not at all")
				}
			}
			assert.Equal(t, d.Stats().TornSectors, kept)
			if kept > 0 {
				last := len(got)/SectorSize - 1
				assert.Equal(t, data[last*SectorSize:(last+1)*SectorSize], got[last*SectorSize:],
					"the file grew to cover its last kept sector")
			}
		})
		assert.GreaterOrEqual(t, d.Stats().TornSectors, tc.min, "TornWriteProb %v", tc.p)
		assert.LessOrEqual(t, d.Stats().TornSectors, tc.max, "TornWriteProb %v", tc.p)
		if tc.p > 0 {
			assert.Contains(t, timeline(res), "disk n1: torn-write: f: ")
		}
		if tc.p == 1 {
			assert.Contains(t, timeline(res), "disk n1: torn-write: f: 64 of 64 unsynced sectors reached the disk, every one, so nothing tore: sectors 0-63 (bytes 0-32767)")
		}
		assert.Contains(t, timeline(res), "disk n1: crash: unsynced changes in 1 file (f: bytes 0-32767): ")
	}
}

func TestSectorRanges(t *testing.T) {
	assert.Equal(t, "sector 7 (bytes 3584-4095)", sectorRanges([]int64{7}))
	assert.Equal(t, "sectors 6-7 (bytes 3072-4095), sector 9 (bytes 4608-5119)", sectorRanges([]int64{6, 7, 9}))
	assert.Equal(t, "sector 0 (bytes 0-511), sector 2 (bytes 1024-1535), sector 4 (bytes 2048-2559), sector 6 (bytes 3072-3583), and 2 more runs",
		sectorRanges([]int64{0, 2, 4, 6, 8, 10}))
}

func TestStall(t *testing.T) {
	cfg := withFault(func(c *chaos.Storage) {
		c.Stall = chaos.StorageEpisode{Prob: 1, Duration: chaos.Range{Min: time.Second, Max: time.Second}}
	})
	var d *Disk
	res := run(t, 1, cfg, func(ctx context.Context, dd *Disk, st providers.Storage) {
		d = dd
		_, err := st.Create("f")
		require.NoError(t, err)
		assert.Equal(t, time.Second, d.w.Now(), "the first operation waits out the stall")
		_, err = st.Stat("f")
		require.NoError(t, err)
		assert.Equal(t, 2*time.Second, d.w.Now(), "once a stall is over, the next operation may start another")
	})
	assert.Equal(t, 2, d.Stats().Stalls)
	assert.Contains(t, timeline(res), "disk n1: stall: the disk stops serving for 1s")
}

func TestThrottle(t *testing.T) {
	cfg := withFault(func(c *chaos.Storage) {
		c.IOPS = 1000
		c.Throttle = chaos.StorageEpisode{Prob: 1, Duration: chaos.Range{Min: time.Minute, Max: time.Minute}}
		c.ThrottleFactor = 10
	})
	var d *Disk
	res := run(t, 1, cfg, func(ctx context.Context, dd *Disk, st providers.Storage) {
		d = dd
		_, err := st.Create("f")
		require.NoError(t, err)
		assert.Equal(t, 10*time.Millisecond, d.w.Now(), "1ms of service, ten times slower")
	})
	assert.Equal(t, 1, d.Stats().Throttles)
	assert.Contains(t, timeline(res), "disk n1: throttle: the disk runs 10 times slower for 1m0s")
}

func TestThrottleSaturatesInsteadOfOverflowing(t *testing.T) {
	// A write of 1 GiB at 1 byte per second occupies the device for
	// maxService; a million times that is past int64, which must not wrap
	// into an instant disk.
	cfg := withFault(func(c *chaos.Storage) {
		c.Bandwidth = 1
		c.Throttle = chaos.StorageEpisode{Prob: 1, Duration: chaos.Range{Min: time.Minute, Max: time.Minute}}
		c.ThrottleFactor = chaos.MaxThrottleFactor
	})
	var d *Disk
	run(t, 1, cfg, func(ctx context.Context, dd *Disk, st providers.Storage) {
		d = dd
		assert.Equal(t, maxService, d.schedule(opWrite, 1<<30, 0, "write", "f", ""), "saturated, not wrapped")
	})
}

func TestOffSwitchesFaultsByName(t *testing.T) {
	cfg := withFault(func(c *chaos.Storage) {
		c.PhantomWriteProb = 1
		c.Off = []string{"phantom-write"}
	})
	run(t, 1, cfg, func(ctx context.Context, d *Disk, st providers.Storage) {
		writeFile(t, st, "f", []byte("kept"), true)
		assert.Equal(t, "kept", string(readFile(t, st, "f")))
		assert.Zero(t, d.Stats().PhantomWrites)
		assert.Zero(t, d.Config().PhantomWriteProb, "Config shows what the disk acts on")
	})
}

func TestRandomizedDisksDiffer(t *testing.T) {
	seen := map[float64]bool{}
	for seed := range uint64(20) {
		run(t, seed, chaos.RandomStorage(), func(ctx context.Context, d *Disk, st providers.Storage) {
			cfg := d.Config()
			assert.False(t, cfg.Randomize)
			assert.LessOrEqual(t, cfg.ReadCorruptionProb, 3*chaos.DefaultStorage().ReadCorruptionProb)
			seen[cfg.ReadCorruptionProb] = true
		})
	}
	assert.Greater(t, len(seen), 10, "seeds draw different intensities")
	assert.True(t, seen[0], "some seeds switch a fault off")
}

func TestDefaultFaultsFireAndAreRecorded(t *testing.T) {
	// A busy disk under the default configuration meets several kinds of
	// fault within a few seeds.
	kinds := map[string]bool{}
	for seed := range uint64(5) {
		var d *Disk
		run(t, seed, chaos.DefaultStorage(), func(ctx context.Context, dd *Disk, st providers.Storage) {
			d = dd
			f, err := st.Create("f")
			require.NoError(t, err)
			buf := make([]byte, 4096)
			for i := range 2000 {
				_, _ = f.WriteAt(buf, int64(i%64)*4096)
				_, _ = f.ReadAt(buf, int64(i%64)*4096)
				if i%10 == 0 {
					_ = f.Sync()
				}
			}
		})
		s := d.Stats()
		for name, n := range map[string]int{
			"read-corruption": s.ReadCorruptions, "write-corruption": s.WriteCorruptions,
			"sync-failure": s.SyncFailures, "stall": s.Stalls,
		} {
			if n > 0 {
				kinds[name] = true
			}
		}
	}
	assert.True(t, kinds["read-corruption"])
	assert.True(t, kinds["write-corruption"])
}
