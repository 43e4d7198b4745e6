package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// The store's files in its directory.
const (
	fileName = "raft.log"
	tempName = "raft.log.tmp"
)

// ErrClosed is returned by the methods of a closed [Store].
var ErrClosed = errors.New("store: the store is closed")

// errNotFound is what [Store.Get] returns for a key never set: raft tells
// it from a failure by its text.
var errNotFound = errors.New("not found")

// A Store is a [raft.LogStore] and a [raft.StableStore] kept in one
// append-only file. Its methods are safe for concurrent use.
type Store struct {
	mu   sync.Mutex
	dir  string
	f    *os.File // nil once closed
	size int64    // of the file: where the next record goes

	logs        map[uint64]*raft.Log
	first, last uint64 // 0, 0 when there are no entries
	kv          map[string][]byte
	live        int64 // the bytes a rewrite would write

	// broken is set when a change could not be made durable, not even by
	// a rewrite: the next change rewrites the file first.
	broken error
	// slack is how far the file may grow past four times its live bytes
	// before it is rewritten.
	slack int64
	// rewrites counts the rewrites, for tests.
	rewrites int
}

var (
	_ raft.LogStore    = (*Store)(nil)
	_ raft.StableStore = (*Store)(nil)
)

// Open opens the store in dir, creating dir and the store's file if need
// be, and reads the file back. A torn record at the end of the file, left
// by a crash in the middle of an append, is cut off, and the cut synced,
// before Open returns.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: create the directory: %w", err)
	}
	// A temporary file is a rewrite that a crash interrupted before its
	// rename: the store's file is still the whole truth.
	if err := os.Remove(filepath.Join(dir, tempName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("store: remove an interrupted rewrite: %w", err)
	}
	s := &Store{dir: dir, logs: map[uint64]*raft.Log{}, kv: map[string][]byte{}, slack: 32 << 10}
	path := filepath.Join(dir, fileName)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := s.rewrite(); err != nil {
			return nil, err
		}
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("store: read %s: %w", path, err)
	}
	end := s.replay(data)
	// A record that fails its checksum may have been read wrong, not
	// written wrong: read the file again before cutting it.
	for try := 0; try < 2 && end < int64(len(data)); try++ {
		again, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("store: read %s: %w", path, err)
		}
		s.logs, s.first, s.last, s.kv, s.live = map[uint64]*raft.Log{}, 0, 0, map[string][]byte{}, 0
		data = again
		end = s.replay(data)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s.f, s.size = f, end
	if end < int64(len(data)) {
		// The torn tail was never acknowledged: every acknowledged change
		// was synced, and a sync covers all the records before it.
		if err := f.Truncate(end); err != nil {
			f.Close()
			return nil, fmt.Errorf("store: cut the torn end of %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("store: sync %s after cutting its torn end: %w", path, err)
		}
	}
	return s, nil
}

// replay applies the records of data in order, and returns the offset of
// the first byte that is not part of a whole, sound record.
func (s *Store) replay(data []byte) int64 {
	off := 0
	for {
		body, n := readRecord(data[off:])
		if n == 0 || s.apply(body) != nil {
			return int64(off)
		}
		off += n
	}
}

// Close closes the store's file. Every change made was already synced.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return ErrClosed
	}
	err := s.f.Close()
	s.f = nil
	return err
}

// FirstIndex returns the index of the first entry, or 0 if there is none.
func (s *Store) FirstIndex() (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first, nil
}

// LastIndex returns the index of the last entry, or 0 if there is none.
func (s *Store) LastIndex() (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, nil
}

// GetLog copies the entry at index into log, or returns
// [raft.ErrLogNotFound].
func (s *Store) GetLog(index uint64, log *raft.Log) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.logs[index]
	if !ok {
		return raft.ErrLogNotFound
	}
	*log = *l
	return nil
}

// StoreLog stores one entry.
func (s *Store) StoreLog(log *raft.Log) error { return s.StoreLogs([]*raft.Log{log}) }

// StoreLogs stores entries, durably, before it returns.
func (s *Store) StoreLogs(logs []*raft.Log) error {
	if len(logs) == 0 {
		return nil
	}
	return s.change(encodeLogs(nil, logs))
}

// DeleteRange deletes the entries from min to max, both included.
func (s *Store) DeleteRange(min, max uint64) error {
	b := []byte{recDelete}
	b = binary.AppendUvarint(b, min)
	b = binary.AppendUvarint(b, max)
	return s.change(b)
}

// Set sets key to val, durably, before it returns.
func (s *Store) Set(key, val []byte) error {
	b := []byte{recSet}
	b = appendBytes(b, key)
	b = appendBytes(b, val)
	return s.change(b)
}

// Get returns the value of key, or an error "not found" (as raft expects)
// if it was never set.
func (s *Store) Get(key []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.kv[string(key)]
	if !ok {
		return nil, errNotFound
	}
	return slices.Clone(v), nil
}

// SetUint64 sets key to val.
func (s *Store) SetUint64(key []byte, val uint64) error {
	return s.Set(key, binary.BigEndian.AppendUint64(nil, val))
}

// GetUint64 returns the value of key, or 0 if it was never set.
func (s *Store) GetUint64(key []byte) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.kv[string(key)]
	if !ok {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("store: the value of %q is %d bytes long, not a uint64's 8", key, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// change applies one record's body to the store and makes it durable: it
// appends the record and syncs, or, when that fails or the file has grown
// too long, rewrites the file whole.
func (s *Store) change(body []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return ErrClosed
	}
	if err := s.apply(body); err != nil {
		return err
	}
	if s.broken != nil {
		if err := s.rewrite(); err != nil {
			return err
		}
		return nil
	}
	rec := appendRecord(nil, body)
	_, err := s.f.WriteAt(rec, s.size)
	if err == nil {
		err = s.f.Sync()
	}
	if err == nil {
		s.size += int64(len(rec))
		if s.size <= 4*s.live+s.slack {
			return nil
		}
	}
	// After a failed write or sync, which of the file's unsynced bytes
	// survive a crash is anyone's guess, and later records would lie
	// beyond a hole: put the whole state down again instead.
	if rerr := s.rewrite(); rerr != nil {
		if err != nil {
			return fmt.Errorf("store: %w, and rewriting the file failed too: %w", err, rerr)
		}
		return rerr
	}
	return nil
}

// rewrite writes the store's whole state to a temporary file, syncs it,
// renames it over the store's file and syncs the directory, trying up to
// three times. If every try fails the store is marked broken, and the
// next change tries again.
func (s *Store) rewrite() error {
	var err error
	for range 3 {
		if err = s.rewriteOnce(); err == nil {
			s.broken = nil
			s.rewrites++
			return nil
		}
	}
	s.broken = err
	return err
}

func (s *Store) rewriteOnce() error {
	var buf []byte
	for _, k := range slices.Sorted(maps.Keys(s.kv)) {
		b := []byte{recSet}
		b = appendBytes(b, []byte(k))
		b = appendBytes(b, s.kv[k])
		buf = appendRecord(buf, b)
	}
	const batch = 256
	var logs []*raft.Log
	for i := s.first; i != 0 && i <= s.last; i++ {
		if l, ok := s.logs[i]; ok {
			logs = append(logs, l)
		}
		if len(logs) == batch || i == s.last {
			buf = appendRecord(buf, encodeLogs(nil, logs))
			logs = logs[:0]
		}
	}
	temp, path := filepath.Join(s.dir, tempName), filepath.Join(s.dir, fileName)
	f, err := os.OpenFile(temp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("store: create %s: %w", temp, err)
	}
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return fmt.Errorf("store: write %s: %w", temp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("store: sync %s: %w", temp, err)
	}
	if err := os.Rename(temp, path); err != nil {
		f.Close()
		return fmt.Errorf("store: rename %s to %s: %w", temp, path, err)
	}
	if err := syncDir(s.dir); err != nil {
		f.Close()
		return err
	}
	if s.f != nil {
		s.f.Close()
	}
	s.f, s.size = f, int64(len(buf))
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: open the directory to sync it: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: sync the directory %s: %w", dir, err)
	}
	return nil
}

// apply applies one record's body to the in-memory state.
func (s *Store) apply(body []byte) error {
	r := reader{b: body}
	switch r.byte() {
	case recLogs:
		n := r.uvarint()
		for range n {
			l := decodeLog(&r)
			if r.err != nil {
				return r.err
			}
			s.putLog(l)
		}
	case recDelete:
		from, to := r.uvarint(), r.uvarint()
		if r.err == nil {
			s.deleteRange(from, to)
		}
	case recSet:
		k, v := r.bytes(), r.bytes()
		if r.err == nil {
			if old, ok := s.kv[string(k)]; ok {
				s.live -= int64(len(k) + len(old) + overhead)
			}
			s.kv[string(k)] = v
			s.live += int64(len(k) + len(v) + overhead)
		}
	default:
		return errMalformed
	}
	if r.err == nil && len(r.b) != 0 {
		return errMalformed
	}
	return r.err
}

// overhead is about what a record's header and an entry's fixed fields
// take.
const overhead = 32

func (s *Store) putLog(l *raft.Log) {
	if old, ok := s.logs[l.Index]; ok {
		s.live -= logSize(old)
	}
	s.logs[l.Index] = l
	s.live += logSize(l)
	if s.first == 0 || l.Index < s.first {
		s.first = l.Index
	}
	if l.Index > s.last {
		s.last = l.Index
	}
}

func (s *Store) deleteRange(from, to uint64) {
	if s.first == 0 {
		return
	}
	lo, hi := max(from, s.first), min(to, s.last)
	for i := lo; i <= hi && i >= lo; i++ {
		if l, ok := s.logs[i]; ok {
			s.live -= logSize(l)
			delete(s.logs, i)
		}
	}
	switch {
	case len(s.logs) == 0:
		s.first, s.last = 0, 0
	case from <= s.first:
		for s.first = hi + 1; s.logs[s.first] == nil; s.first++ {
		}
	case to >= s.last:
		for s.last = lo - 1; s.logs[s.last] == nil; s.last-- {
		}
	}
}

func logSize(l *raft.Log) int64 { return int64(len(l.Data) + len(l.Extensions) + overhead) }

// The kinds of record.
const (
	recLogs   = 1 // entries: count, then each entry
	recDelete = 2 // a range of entries: min, max
	recSet    = 3 // a key of the stable store: key, value
)

// A record is its body's length (4 bytes, little-endian), a CRC-32C of
// that length and the body (4 bytes), and the body: a kind, then its
// fields as uvarints and length-prefixed byte strings.
const (
	headerSize = 8
	maxBody    = 64 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func appendRecord(b, body []byte) []byte {
	var h [headerSize]byte
	binary.LittleEndian.PutUint32(h[:4], uint32(len(body)))
	crc := crc32.Update(crc32.Checksum(h[:4], castagnoli), castagnoli, body)
	binary.LittleEndian.PutUint32(h[4:], crc)
	return append(append(b, h[:]...), body...)
}

// readRecord returns the body of the record at the start of b and the
// record's length, or 0 if b does not start with a whole, sound record.
func readRecord(b []byte) (body []byte, n int) {
	if len(b) < headerSize {
		return nil, 0
	}
	size := binary.LittleEndian.Uint32(b[:4])
	if size == 0 || size > maxBody || int64(size) > int64(len(b)-headerSize) {
		return nil, 0
	}
	body = b[headerSize : headerSize+int(size)]
	crc := crc32.Update(crc32.Checksum(b[:4], castagnoli), castagnoli, body)
	if crc != binary.LittleEndian.Uint32(b[4:8]) {
		return nil, 0
	}
	return slices.Clone(body), headerSize + int(size)
}

func encodeLogs(b []byte, logs []*raft.Log) []byte {
	b = append(b, recLogs)
	b = binary.AppendUvarint(b, uint64(len(logs)))
	for _, l := range logs {
		b = binary.AppendUvarint(b, l.Index)
		b = binary.AppendUvarint(b, l.Term)
		b = append(b, byte(l.Type))
		var at int64
		if !l.AppendedAt.IsZero() {
			at = l.AppendedAt.UnixNano()
		}
		b = binary.AppendVarint(b, at)
		b = appendBytes(b, l.Data)
		b = appendBytes(b, l.Extensions)
	}
	return b
}

func decodeLog(r *reader) *raft.Log {
	l := &raft.Log{Index: r.uvarint(), Term: r.uvarint(), Type: raft.LogType(r.byte())}
	if at := r.varint(); at != 0 {
		l.AppendedAt = time.Unix(0, at)
	}
	l.Data, l.Extensions = r.bytes(), r.bytes()
	if r.err == nil && l.Index == 0 {
		r.err = errMalformed
	}
	return l
}

func appendBytes(b, v []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(v))), v...)
}

var errMalformed = errors.New("store: a record whose checksum holds is malformed")

// reader decodes a record's body; its first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.err = errMalformed
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errMalformed
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errMalformed
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errMalformed
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	if n == 0 {
		return nil
	}
	return v
}
