package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path"

	"github.com/moonpool-go/moonpool/providers"
)

// Options choose between the safe log and the careless one.
type Options struct {
	// Careless breaks the two rules that make a log safe: Append
	// acknowledges a record before it is synced (it syncs every
	// CarelessBatch records, a group commit done wrong), and recovery
	// believes whatever the file holds (records carry no checksum).
	Careless bool
}

// CarelessBatch is how many records a careless log appends between syncs.
const CarelessBatch = 8

// MaxRecord is the largest record a Log takes.
const MaxRecord = 1 << 20

// A record on disk is its length, a CRC-32C of the length and the data
// (zero in a careless log, which never checks it), then the data.
const headerSize = 8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// readRetries is how many times recovery reads a record again when its
// checksum fails: a disk may return a corrupted or misdirected read of
// intact data, and reading again may give the right bytes.
const readRetries = 10

// Log is a write-ahead log kept in one file of a Storage. It is not safe
// for concurrent use.
type Log struct {
	f       providers.File
	end     int64 // where the next record goes
	opts    Options
	pending int   // careless: records appended since the last sync
	broken  error // set when a write or sync failed: the log takes no more
}

// ErrBroken is wrapped by every Append after one failed: after a failed
// sync, what the log wrote may or may not be on the disk, and the only
// safe way on is to recover it anew.
var ErrBroken = errors.New("wal: an earlier write or sync failed; reopen the log to recover it")

// ErrCorrupt is wrapped by Open when a record fails its checksum every
// time it is read and a valid record follows it. A crash tears only the
// last record, so the disk damaged data it had stored; cutting the log
// there would lose the records that follow, and the log refuses.
var ErrCorrupt = errors.New("wal: a record in the middle of the log is corrupt")

// Open opens the log in the named file of st, creating it if needed, and
// recovers it: it returns the records the file holds, oldest first. The
// safe log stops at the first record whose checksum fails even after
// reading it again (the tail that a crash tore), cuts the file there and
// syncs, so that new records follow the last good one; then it syncs the
// directory, so that the file itself survives a crash.
func Open(st providers.Storage, name string, opts Options) (*Log, [][]byte, error) {
	f, err := st.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("wal: %w", err)
	}
	l := &Log{f: f, opts: opts}
	recs, err := l.recover()
	if err == nil && !opts.Careless {
		err = syncDir(st, path.Dir(name))
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return l, recs, nil
}

// syncDir syncs the directory that holds the log, so that the file's
// entry in it is durable: a file created and synced, in a directory that
// was not, may be gone after a crash, with every record in it. It syncs
// on every Open, since the Open that created the file may have crashed
// before its directory sync.
func syncDir(st providers.Storage, dir string) error {
	d, err := st.Open(dir)
	if err != nil {
		return fmt.Errorf("wal: open the log's directory to sync it: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("wal: sync the log's directory: %w", err)
	}
	return nil
}

func (l *Log) recover() ([][]byte, error) {
	info, err := l.f.Stat()
	if err != nil {
		return nil, fmt.Errorf("wal: %w", err)
	}
	size := info.Size()
	var recs [][]byte
	off := int64(0)
	for off+headerSize <= size {
		rec, ok, err := l.readRecord(off, size)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		recs = append(recs, rec)
		off += headerSize + int64(len(rec))
	}
	l.end = off
	if l.opts.Careless {
		return recs, nil
	}
	// Cut the torn tail, so that the next record is not written after
	// garbage.
	if off < size {
		if err := l.f.Truncate(off); err != nil {
			return nil, fmt.Errorf("wal: cut the torn tail: %w", err)
		}
	}
	// Make the log as recovered durable before appending to it, even when
	// there was nothing to cut: an earlier recovery may have cut the tail
	// and failed to sync the cut, which looks done (the size is right)
	// but is not. A crash would bring the cut records back.
	if err := l.f.Sync(); err != nil {
		return nil, fmt.Errorf("wal: sync the recovered log: %w", err)
	}
	return recs, nil
}

// readRecord reads the record at off. ok is false at the end of the log:
// no room for the record, a zero length, or (in a safe log) a record whose
// checksum fails every time and after which no valid record starts: the
// tail a crash tore.
func (l *Log) readRecord(off, size int64) (rec []byte, ok bool, err error) {
	tries := 1
	if !l.opts.Careless {
		tries += readRetries
	}
	for range tries {
		var hdr [headerSize]byte
		if _, err := l.f.ReadAt(hdr[:], off); err != nil {
			return nil, false, fmt.Errorf("wal: %w", err)
		}
		n := int64(binary.LittleEndian.Uint32(hdr[0:4]))
		if n == 0 || n > MaxRecord || off+headerSize+n > size {
			continue
		}
		data := make([]byte, n)
		if _, err := l.f.ReadAt(data, off+headerSize); err != nil && err != io.EOF {
			return nil, false, fmt.Errorf("wal: %w", err)
		}
		if l.opts.Careless || binary.LittleEndian.Uint32(hdr[4:8]) == checksum(hdr[0:4], data) {
			return data, true, nil
		}
	}
	if l.opts.Careless {
		return nil, false, nil
	}
	// Append syncs each record before it writes the next, so a crash
	// tears only the last one: a valid record after this one proves that
	// the disk damaged it where it was stored. (With several records per
	// sync, sectors tear independently, and a crash alone can leave a
	// valid record after a torn one.)
	if after, err := l.validAfter(off, size); err != nil || after >= 0 {
		if err == nil {
			err = fmt.Errorf("%w: the record at offset %d fails its checksum, and a valid one follows at %d", ErrCorrupt, off, after)
		}
		return nil, false, err
	}
	return nil, false, nil
}

// validAfter returns the offset of the first valid record that starts
// after off, or -1. It reads the rest of the file a few times, since a
// read may come back corrupted and hide a record.
func (l *Log) validAfter(off, size int64) (int64, error) {
	buf := make([]byte, size-off)
	for range 3 {
		if _, err := l.f.ReadAt(buf, off); err != nil && err != io.EOF {
			return -1, fmt.Errorf("wal: %w", err)
		}
		for p := int64(1); p+headerSize <= int64(len(buf)); p++ {
			n := int64(binary.LittleEndian.Uint32(buf[p:]))
			if n == 0 || n > MaxRecord || p+headerSize+n > int64(len(buf)) {
				continue
			}
			if binary.LittleEndian.Uint32(buf[p+4:]) == checksum(buf[p:p+4], buf[p+headerSize:p+headerSize+n]) {
				return off + p, nil
			}
		}
	}
	return -1, nil
}

func checksum(length, data []byte) uint32 {
	return crc32.Update(crc32.Checksum(length, castagnoli), castagnoli, data)
}

// Append adds rec to the log. When it returns nil, rec is durable: a crash
// will not lose it (a careless log only pretends so). An error means rec
// may or may not be in the log; the Log then refuses more appends
// ([ErrBroken]) until it is opened again.
func (l *Log) Append(rec []byte) error {
	if l.broken != nil {
		return fmt.Errorf("%w (%v)", ErrBroken, l.broken)
	}
	if len(rec) == 0 || len(rec) > MaxRecord {
		return fmt.Errorf("wal: a record must hold 1 to %d bytes; this one holds %d", MaxRecord, len(rec))
	}
	buf := make([]byte, headerSize+len(rec))
	binary.LittleEndian.PutUint32(buf[0:4], uint32(len(rec)))
	if !l.opts.Careless {
		binary.LittleEndian.PutUint32(buf[4:8], checksum(buf[0:4], rec))
	}
	copy(buf[headerSize:], rec)
	if _, err := l.f.WriteAt(buf, l.end); err != nil {
		l.broken = err
		return fmt.Errorf("wal: append: %w", err)
	}
	l.end += int64(len(buf))
	if l.opts.Careless {
		if l.pending++; l.pending < CarelessBatch {
			return nil // acknowledged, not yet durable: the bug
		}
		l.pending = 0
	}
	if err := l.f.Sync(); err != nil {
		// After a failed sync the data may be gone for good, and a
		// second sync would say nothing (fsyncgate): stop here.
		l.broken = err
		return fmt.Errorf("wal: append: %w", err)
	}
	return nil
}

// Close closes the log's file. Records not yet acknowledged may be lost.
func (l *Log) Close() error { return l.f.Close() }
