package wal_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/examples/wal"
	"github.com/moonpool-go/moonpool/simtest"
)

var planted = flag.Bool("planted", false, "run the careless log, which acknowledges before syncing and trusts what it reads")

// faults is the disk the log runs on: every default fault, but those that
// destroy data already stored, which no single copy survives.
func faults() chaos.Storage {
	f := chaos.DefaultStorage()
	f.Off = []string{"write-corruption", "misdirected-write", "phantom-write"}
	return f
}

// TestWAL appends records to a log while the disk crashes at a random
// moment, recovers, and goes again, three times a seed. After each
// recovery the log must hold every record it held before, then some of the
// records appended since, in order: all those acknowledged, maybe some
// that were not, and nothing else.
func TestWAL(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) { crashAndRecover(s, wal.Options{Careless: *planted}) },
		simtest.Storage(faults()), simtest.KeepFailures(!*planted))
}

func crashAndRecover(s *simtest.S, opts wal.Options) {
	disk := s.Disk("wal")
	rnd := s.Providers().Random
	var held [][]byte // what the log held after the last recovery
	for round := range 3 {
		log, recs := open(s, disk, opts)
		checkRecovery(s, round, held, recs)
		held = recs

		var appended [][]byte // attempted this round, in order
		acked := 0
		writer := s.Go("writer", func(ctx context.Context) error {
			for i := 0; ; i++ {
				rec := record(round, i, rnd.IntN(1000))
				appended = append(appended, rec)
				if err := log.Append(rec); err != nil {
					return nil // the disk crashed, or a sync failed: stop
				}
				acked++
			}
		})
		s.Sleep(time.Duration(1+rnd.IntN(100)) * time.Millisecond)
		disk.Crash()
		require.NoError(s, writer.Join(s.Context()))
		log.Close()
		held = expect{held: held, appended: appended, acked: acked}.next(s, disk, opts)
	}
}

// record returns record i of a round: its name, then n letters that differ
// from those of every other record, so that no sector of one record can
// pass for a sector of another (a misdirected read of a look-alike sector
// would return the right bytes by luck).
func record(round, i, n int) []byte {
	rec := fmt.Appendf(nil, "round %d record %d ", round, i)
	r := rand.New(rand.NewPCG(uint64(round), uint64(i)))
	for range n {
		rec = append(rec, byte('a'+r.IntN(26)))
	}
	return rec
}

// open opens and recovers the log. A recovery that fails (its sync of the
// cut may fail) is tried again, as a supervisor restarts a process.
func open(s *simtest.S, disk *simtest.Disk, opts wal.Options) (*wal.Log, [][]byte) {
	for try := 1; ; try++ {
		log, recs, err := wal.Open(disk.Storage(), "log", opts)
		if err == nil {
			return log, recs
		}
		if try == 10 {
			s.Fatalf("recovery failed %d times; the last time: %v", try, err)
		}
		s.Logf("recovery failed, trying again: %v", err)
	}
}

// expect is what the next recovery may find.
type expect struct {
	held     [][]byte
	appended [][]byte
	acked    int
}

// next recovers the log once more and checks it against e, returning what
// it holds.
func (e expect) next(s *simtest.S, disk *simtest.Disk, opts wal.Options) [][]byte {
	log, recs := open(s, disk, opts)
	defer log.Close()
	if len(recs) < len(e.held) || !equal(recs[:len(e.held)], e.held) {
		s.Fatalf("after a crash the log lost records it held before: it held %d, now %d", len(e.held), len(recs))
	}
	tail := recs[len(e.held):]
	for i, r := range tail {
		switch {
		case i >= len(e.appended):
			s.Fatalf("after a crash the log holds a record that was never appended, at position %d: %.40q", len(e.held)+i, r)
		case !bytes.Equal(r, e.appended[i]):
			at := 0
			for at < min(len(r), len(e.appended[i])) && r[at] == e.appended[i][at] {
				at++
			}
			s.Fatalf("after a crash the log holds a record that was never appended, at position %d: %.40q, %d bytes, which differs from the record appended there (%d bytes) from byte %d on",
				len(e.held)+i, r, len(r), len(e.appended[i]), at)
		}
	}
	if len(tail) < e.acked {
		s.Fatalf("after a crash the log lost acknowledged records: %d were acknowledged since the last recovery, %d recovered; the first lost is %.40q",
			e.acked, len(tail), e.appended[len(tail)])
	}
	s.Logf("recovered %d records: %d acknowledged, %d appended", len(tail), e.acked, len(e.appended))
	return recs
}

func checkRecovery(s *simtest.S, round int, held, recs [][]byte) {
	if round > 0 && !equal(held, recs) {
		s.Fatalf("recovering twice gave different logs: %d records, then %d", len(held), len(recs))
	}
}

func equal(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// TestCarelessLogIsCaught runs the careless log as TestWAL -planted does, and
// checks that the simulation catches it within the default seeds, with a
// replay line. Run it with -v to read the failure report.
func TestCarelessLogIsCaught(t *testing.T) {
	c := &catcher{TB: t}
	simtest.Run(c, func(s *simtest.S) { crashAndRecover(s, wal.Options{Careless: true}) },
		simtest.Storage(faults()))
	require.NotEmpty(t, c.errors, "the careless log passed every seed")
	report := strings.Join(c.errors, "\n")
	assert.Contains(t, report, "replay: go test -run '^TestCarelessLogIsCaught$' ./examples/wal -simseed=")
	assert.Contains(t, report, "after a crash the log")
	t.Log("the careless log failed, as it should:\n" + report)
}

// catcher is a testing.TB that keeps the errors a Run reports instead of
// failing the test.
type catcher struct {
	testing.TB
	errors []string
}

func (c *catcher) Error(args ...any) { c.errors = append(c.errors, fmt.Sprint(args...)) }
func (c *catcher) Errorf(format string, args ...any) {
	c.errors = append(c.errors, fmt.Sprintf(format, args...))
}
func (c *catcher) Fail()        {}
func (c *catcher) Failed() bool { return len(c.errors) > 0 }

// TestWALKeepsItsFileWhenCrashesLoseDirectoryChanges runs the safe log
// on a disk whose crashes undo the creates whose directory was not synced,
// as a real file system may: a log that syncs its records but not the
// directory it created its file in loses the file, and every record.
func TestWALKeepsItsFileWhenCrashesLoseDirectoryChanges(t *testing.T) {
	lossy := faults()
	lossy.LoseUnsyncedDirectories = true
	simtest.Run(t, func(s *simtest.S) { crashAndRecover(s, wal.Options{}) },
		simtest.Storage(lossy), simtest.Seeds(30))
}
