package kv

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
)

// A replica keeps its state in a log: a file of frames, a header first,
// then one record per version it stored, appended and synced before the
// replica acknowledges it. When the log holds many more records than keys,
// it is rewritten with one record per key, into a temporary file that is
// synced and renamed over it.
//
// A log that fails a checksum anywhere is damaged: the disk lost or
// mangled something it had stored, so some acknowledged write may be
// missing. Since a record is acknowledged only once synced, a crash alone
// leaves a clean log, but for a torn record at its end, which the replica
// cannot tell from a damaged acknowledged one; it takes it as damage too.
const (
	logFile = "log"
	tmpFile = "log.tmp"
)

// The kinds of record.
const (
	recHeader byte = 'H' // the first record of every log
	recEntry  byte = 'E' // a version of a key
)

// logMagic is the body of the header record.
const logMagic = "moonpool kv log v1"

// readAttempts is how many times the log is read before it is declared
// damaged: a disk may return corrupted bytes of an intact file, and reading
// again may give the right ones.
const readAttempts = 3

// compactSlack is how many records past twice its keys the log may hold
// before it is rewritten.
const compactSlack = 64

// wal is a replica's log.
type wal struct {
	p       providers.Providers
	f       providers.File // the open log; nil until it is known good
	end     int64          // where the next record goes
	records int            // records in the log, the header included
	slack   int            // compactSlack, or less when buggify shrinks it
	body    []byte         // scratch for encoding a record
	frame   []byte
	room    [2][48]byte // where body and frame start: a record is small
}

func newWAL(p providers.Providers) *wal {
	w := &wal{p: p}
	w.body, w.frame = w.room[0][:0], w.room[1][:0]
	return w
}

// A loadResult says what the disk held.
type loadResult int

const (
	logAbsent  loadResult = iota // no log: a new disk, or a wiped one
	logGood                      // every record checks out
	logDamaged                   // some record does not
)

// load reads the log. It returns the entries of its longest good prefix.
// An error is a failure to read, worth retrying.
func (w *wal) load() (map[string]entry, loadResult, error) {
	st := w.p.Storage
	if err := st.Remove(tmpFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, logAbsent, err // a rewrite that never completed
	}
	f, err := st.OpenFile(logFile, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]entry{}, logAbsent, nil
	}
	if err != nil {
		return nil, logAbsent, err
	}
	var entries map[string]entry
	good := false
	for range readAttempts {
		var b []byte
		if b, err = readAll(f); err != nil {
			f.Close()
			return nil, logAbsent, err
		}
		var n int
		entries, n, good = parseLog(b)
		if good {
			w.f, w.end, w.records, w.slack = f, int64(len(b)), n, compactSlack
			return entries, logGood, nil
		}
	}
	f.Close()
	return entries, logDamaged, nil
}

// parseLog returns the entries of b's longest good prefix, how many
// records it holds, and whether that prefix is all of b.
func parseLog(b []byte) (map[string]entry, int, bool) {
	entries := map[string]entry{}
	n := 0
	for len(b) > 0 {
		body, rest, err := nextFrame(b)
		if err != nil || len(body) == 0 {
			return entries, n, false
		}
		switch {
		case n == 0 && body[0] == recHeader && string(body[1:]) == logMagic:
		case n > 0 && body[0] == recEntry:
			// The strings are made only for a record that wins: a log
			// holds many versions of a key.
			d := decoder{b: body[1:]}
			key := d.bytes(MaxKey)
			tag := Tag{Time: d.uvarint(), ID: d.uint64()}
			value := d.bytes(MaxValue)
			if d.done() != nil {
				return entries, n, false
			}
			if cur, ok := entries[string(key)]; !ok || cur.Tag.Less(tag) {
				if !ok {
					cur.Key = string(key)
				}
				entries[cur.Key] = entry{Key: cur.Key, Tag: tag, Value: string(value)}
			}
		default:
			return entries, n, false
		}
		n++
		b = rest
	}
	return entries, n, n > 0
}

func readAll(f providers.File) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	b := make([]byte, fi.Size())
	n, err := f.ReadAt(b, 0)
	if err == io.EOF {
		err = nil // the file is shorter than it said: parse what there is
	}
	return b[:n], err
}

// append makes e durable at the end of the log.
func (w *wal) append(ctx context.Context, e entry) error {
	if w.f == nil {
		return errors.New("kv: the log is not open")
	}
	w.body = appendEntry(append(w.body[:0], recEntry), e)
	w.frame = appendFrame(w.frame[:0], w.body)
	_, err := w.f.WriteAt(w.frame, w.end)
	if err == nil && chaos.Buggify(ctx) {
		// A slow sync, as under a busy disk: the write is visible to
		// nobody yet, and the writer's quorum must wait or move on.
		err = w.p.Time.Sleep(ctx, time.Duration(1+w.p.Random.IntN(200))*time.Millisecond)
	}
	if err == nil {
		err = w.f.Sync()
	}
	if err != nil {
		// After a failed sync the record may never reach the disk, and a
		// later sync will not write it again: cut it off, and let the
		// next record take its place.
		_ = w.f.Truncate(w.end)
		return fmt.Errorf("kv: appending to the log: %w", err)
	}
	w.end += int64(len(w.frame))
	w.records++
	return nil
}

// needsCompaction reports whether the log has grown well past its live
// entries.
func (w *wal) needsCompaction(live int) bool {
	return w.records > 2*live+w.slack
}

// rewrite replaces the log with one that holds entries alone.
func (w *wal) rewrite(ctx context.Context, entries map[string]entry) error {
	st := w.p.Storage
	w.body = append(append(w.body[:0], recHeader), logMagic...)
	b := appendFrame(nil, w.body)
	for _, e := range slices.SortedFunc(maps.Values(entries), func(a, b entry) int { return cmp.Compare(a.Key, b.Key) }) {
		w.body = appendEntry(append(w.body[:0], recEntry), e)
		b = appendFrame(b, w.body)
	}
	f, err := st.OpenFile(tmpFile, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(b, 0)
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = st.Rename(tmpFile, logFile)
	}
	if err != nil {
		f.Close()
		_ = st.Remove(tmpFile)
		return fmt.Errorf("kv: rewriting the log: %w", err)
	}
	// The new log is in place: append to it from now on.
	if w.f != nil {
		w.f.Close()
	}
	w.f, w.end, w.records = f, int64(len(b)), len(entries)+1
	// Buggify shrinks the slack until the next rewrite, so that rewrites,
	// and crashes during them, are common.
	w.slack = chaos.Knob(ctx, compactSlack, 1)
	if err := w.syncDir(); err != nil {
		return fmt.Errorf("kv: rewriting the log: %w", err)
	}
	return nil
}

// syncDir makes the directory's changes durable, as a real file system
// needs after a rename.
func (w *wal) syncDir() error {
	f, err := w.p.Storage.Open(".")
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (w *wal) close() {
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
}
