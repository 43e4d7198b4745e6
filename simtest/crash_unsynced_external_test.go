package simtest_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// recordSize spans three sectors or more wherever a record starts.
const recordSize = 1500

// syncedLog appends records of recordSize bytes, each synced before the
// next after a pause, as a log that acknowledges each record does; at
// each boot it counts in torn whether its last record came back in part.
func syncedLog(torn, boots *int) func() simtest.Process {
	return func() simtest.Process {
		return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
			f, err := p.Storage.OpenFile("log", os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
			if err != nil {
				return err
			}
			info, err := f.Stat()
			if err != nil {
				return err
			}
			*boots++
			if info.Size()%recordSize != 0 {
				*torn++
				if err := f.Truncate(info.Size() - info.Size()%recordSize); err != nil {
					return err
				}
			}
			record := bytes.Repeat([]byte{'r'}, recordSize)
			for {
				if _, err := f.Write(record); err != nil {
					return err
				}
				if err := f.Sync(); err != nil {
					return err
				}
				if err := p.Time.Sleep(ctx, 100*time.Millisecond); err != nil {
					return err
				}
			}
		})
	}
}

// aimedCrashes is attrition's crashes, aimed at unsynced changes with
// probability p, down for 100 ms to 1 s, on disks with the default
// latencies and none of their faults.
func aimedCrashes(p float64) chaos.Config {
	a := chaos.DefaultAttrition()
	a.Graceful, a.PowerLoss, a.CrashAtUnsyncedWriteProb = 0, 0, p
	a.DownFor = chaos.Range{Min: 100 * time.Millisecond, Max: time.Second}
	cfg := chaos.Off()
	cfg.Attrition = a
	cfg.Storage.WriteLatency, cfg.Storage.SyncLatency = chaos.DefaultStorage().WriteLatency, chaos.DefaultStorage().SyncLatency
	return cfg
}

// A crash aimed at an unsynced write (CrashAtUnsyncedWriteProb) strikes just
// after a write and before its sync, and so tears the record a log was
// writing far more often than crashes at random instants, which mostly
// find the log asleep; the chaos line says it is on.
func TestCrashAtUnsyncedWriteTearsTheRecordBeingWritten(t *testing.T) {
	run := func(p float64) (torn, boots int, report string) {
		cfg := aimedCrashes(p)
		cfg.Storage.TornWriteProb = 0.5
		res := simtest.Simulate(func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "log", SoleCopy: true, New: syncedLog(&torn, &boots)})
			c.Run(simtest.Phases{Chaos: time.Minute})
		}, simtest.Chaos(cfg), simtest.Seeds(10), simtest.KeepFailures(false))
		require.Zero(t, res.Failed, res.Report)
		return torn, boots, res.Report
	}
	tornAimed, bootsAimed, report := run(1)
	tornRandom, bootsRandom, _ := run(0)
	require.Greater(t, bootsAimed, 50, "crashes came")
	require.Greater(t, bootsRandom, 50, "crashes came")
	assert.Greater(t, tornAimed, bootsAimed/4, "a crash just after a write tears its record in most boots: %d of %d", tornAimed, bootsAimed)
	assert.Less(t, tornRandom, bootsRandom/20, "a crash at a random instant seldom finds a record unsynced: %d of %d", tornRandom, bootsRandom)
	t.Logf("torn: %d of %d boots aimed, %d of %d at random", tornAimed, bootsAimed, tornRandom, bootsRandom)
	assert.Contains(t, report, "100% of crashes and power losses at an unsynced write (CrashAtUnsyncedWriteProb)")
	// Each aimed crash is one crash in the faults' counts, not two.
	m := regexp.MustCompile(`faults seen: (\d+) reboots \((\d+) crashes\)`).FindStringSubmatch(report)
	require.NotNil(t, m, report)
	assert.Equal(t, m[1], m[2], "every reboot a crash, none other: %s", m[0])
}

// A failed seed whose disks corrupted, misdirected or lost writes, in a
// cluster whose processes keep the only copy of their data, says that no
// code survives such a write and how to switch them off; one whose
// processes are not SoleCopy, or whose disks wrote faithfully, does not.
func TestASoleCopyUnderWriteFaultsIsNamedInTheFailure(t *testing.T) {
	run := func(sole bool, corrupt float64) string {
		cfg := chaos.Off()
		cfg.Storage.WriteCorruptionProb = corrupt
		res := simtest.Simulate(func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "store", SoleCopy: sole, New: func() simtest.Process {
				return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
					want := bytes.Repeat([]byte{'d'}, 512)
					f, err := p.Storage.OpenFile("data", os.O_RDWR|os.O_CREATE, 0o644)
					if err != nil {
						return err
					}
					if _, err := f.WriteAt(want, 0); err != nil {
						return err
					}
					got := make([]byte, len(want))
					if _, err := f.ReadAt(got, 0); err != nil {
						return err
					}
					if !bytes.Equal(got, want) {
						return errors.New("the data read back is not what was written")
					}
					return p.Time.Sleep(ctx, time.Hour)
				})
			}})
			s.Sleep(time.Second)
			s.Errorf("the seed fails")
		}, simtest.Chaos(cfg), simtest.Seeds(1), simtest.KeepFailures(false))
		require.Equal(t, 1, res.Failed)
		return res.Report
	}
	const hint = `the disks took 1 corrupted write, and Processes "store" keep the only copy of their data (SoleCopy), which such a write destroys past any recovery: ` +
		`if a process's lost data failed the seed, switch those faults off for the Run (cfg.Storage.Off = []string{"write-corruption", "misdirected-write", "phantom-write"}), as SoleCopy's doc says`
	assert.Contains(t, run(true, 1), hint)
	assert.NotContains(t, run(false, 1), "SoleCopy")
	assert.NotContains(t, run(true, 0), "SoleCopy")
}

// snapshotter writes a snapshot of four records to snap.tmp and renames
// it over snap, then syncs it (renameFirst: the rename before the sync,
// the classic bug) or syncs it first, as a store's compaction does; at
// each boot it counts in broken whether snap came back short.
func snapshotter(renameFirst bool, broken, boots *int) func() simtest.Process {
	return func() simtest.Process {
		return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
			*boots++
			if info, err := p.Storage.Stat("snap"); err == nil && info.Size() != 4*recordSize {
				*broken++
			}
			record := bytes.Repeat([]byte{'s'}, recordSize)
			for {
				f, err := p.Storage.OpenFile("snap.tmp", os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
				if err != nil {
					return err
				}
				for range 4 {
					if _, err := f.Write(record); err != nil {
						return err
					}
				}
				if !renameFirst {
					if err := f.Sync(); err != nil {
						return err
					}
				}
				if err := p.Storage.Rename("snap.tmp", "snap"); err != nil {
					return err
				}
				if err := f.Sync(); err != nil {
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
				dir, err := p.Storage.Open(".")
				if err != nil {
					return err
				}
				if err := errors.Join(dir.Sync(), dir.Close()); err != nil {
					return err
				}
				if err := p.Time.Sleep(ctx, 200*time.Millisecond); err != nil {
					return err
				}
			}
		})
	}
}

// Once a process has renamed a file holding unsynced data, half of the
// crashes aimed at its unsynced changes wait for its next such rename,
// which the file's own writes always come before: a snapshot renamed
// into place before its sync comes back short after many boots with the
// aim, and after none when it syncs before the rename.
func TestCrashAtUnsyncedWriteWaitsForARenameOfUnsyncedData(t *testing.T) {
	run := func(renameFirst bool, p float64) (broken, boots, atRename int) {
		cfg := aimedCrashes(p)
		res := simtest.Simulate(func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "snap", SoleCopy: true, New: snapshotter(renameFirst, &broken, &boots)})
			aims := s.Watch("aimed crash")
			c.Run(simtest.Phases{Chaos: time.Minute})
			for _, e := range aims.Next() {
				if strings.Contains(e.Msg, "renamed a file whose data has not been synced") {
					atRename++
				}
			}
		}, simtest.Chaos(cfg), simtest.Seeds(10), simtest.KeepFailures(false))
		require.Zero(t, res.Failed, res.Report)
		return broken, boots, atRename
	}
	broken, boots, atRename := run(true, 0.5)
	require.Greater(t, boots, 50, "crashes came")
	assert.Greater(t, broken, boots/10, "a crash just after the rename finds the snapshot unwritten: %d of %d boots", broken, boots)
	assert.Greater(t, atRename, boots/10, "aims struck at the rename")
	random, randomBoots, _ := run(true, 0)
	assert.Less(t, random, broken/3, "crashes at random instants seldom fall between the rename and its sync: %d of %d boots", random, randomBoots)
	t.Logf("short snapshots: %d of %d boots aimed (%d at the rename), %d of %d at random", broken, boots, atRename, random, randomBoots)
	synced, syncedBoots, atRename := run(false, 0.5)
	require.Greater(t, syncedBoots, 50)
	assert.Zero(t, synced, "a snapshot synced before its rename never comes back short")
	assert.Zero(t, atRename, "no rename moved unsynced data")
}
