package etcdraft

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"go.etcd.io/raft/v3/raftpb"

	"github.com/moonpool-go/moonpool/providers"
)

// The log keeps three copies, in three files, of one stream of records:
// each record is a hard state or an entry, with its length, a CRC-32C and
// a sequence number. Every copy gets the same bytes at the same offsets,
// so they are read in step, record by record: a record that a copy lost
// to a corrupted, misdirected or phantom write is read from another. A
// record is good when its checksum holds and its sequence number follows
// the last one's (a misdirected write can leave a whole record of the
// stream at the wrong place). A record that a copy lacks is written back
// to it. The log ends at the first offset where no copy has a good
// record: a torn tail ends every copy there, and held nothing that was
// synced. The copies are cut there, synced, and appended to.
//
// What the copies cannot tell is the same batch lost in all of them,
// which reads as a torn tail and cuts acknowledged entries off. With two
// copies, at the default rates (about one write in 770 damaged), that was
// one batch in 600,000: one seed in 1,500 or so. With three it is one
// batch in 450 million.

var copies = [3]string{"wal-a", "wal-b", "wal-c"}

const (
	kindHardState byte = 1
	kindEntry     byte = 2
	headerLen          = 8 // length and checksum
	bodyHead           = 9 // sequence number and kind
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// wal is an open log: its copies, appended to in step at end.
type wal struct {
	files   [len(copies)]providers.File
	seq     uint64
	end     int64
	buf     []byte
	retried int // batches written to a copy again after a failed sync
}

// recovered is what the log holds.
type recovered struct {
	hs      raftpb.HardState
	entries []raftpb.Entry
	// repaired counts the records that some copy had bad and another
	// had.
	repaired int
}

// openWAL reads the log, writes back to each copy the records it lacks,
// cuts every copy where the log ends, and opens it for appending.
func openWAL(st providers.Storage) (*wal, recovered, error) {
	var data [len(copies)][]byte
	w := &wal{}
	for i, name := range copies {
		f, err := st.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o666)
		if err != nil {
			return nil, recovered{}, err
		}
		w.files[i] = f
		if data[i], err = io.ReadAll(f); err != nil {
			return nil, recovered{}, fmt.Errorf("wal: read %s: %w", name, err)
		}
	}
	// A copy created here is durable only once its directory is synced:
	// a crash before then may undo the create, and every record synced
	// into the file would go with it.
	if err := syncDir(st, "."); err != nil {
		return nil, recovered{}, fmt.Errorf("wal: sync the log's directory: %w", err)
	}
	var r recovered
	off := 0
	for {
		var body []byte
		size, from := 0, -1
		var bad []int
		for i := range copies {
			if b, n, ok := recordAt(data[i], off, w.seq); !ok {
				bad = append(bad, i)
			} else if from < 0 {
				body, size, from = b, n, i
			}
		}
		if from < 0 {
			break
		}
		// A record some copy lacks is written back to it, at its
		// place: left out, it would be in fewer copies from now on,
		// and one more fault there would end the log at it.
		for _, i := range bad {
			if _, err := w.files[i].WriteAt(data[from][off:off+size], int64(off)); err != nil {
				return nil, recovered{}, fmt.Errorf("wal: repair %s: %w", copies[i], err)
			}
		}
		if len(bad) > 0 {
			r.repaired++
		}
		if err := r.add(body); err != nil {
			return nil, recovered{}, err
		}
		w.seq = binary.LittleEndian.Uint64(body)
		off += size
	}
	for i, f := range w.files {
		if err := f.Truncate(int64(off)); err != nil {
			return nil, recovered{}, fmt.Errorf("wal: cut %s: %w", copies[i], err)
		}
		if err := f.Sync(); err != nil {
			return nil, recovered{}, fmt.Errorf("wal: sync %s: %w", copies[i], err)
		}
	}
	w.end = int64(off)
	return w, r, nil
}

// recordAt returns the body of the record at off in data, and the
// record's whole size, when it is good: its checksum holds and its
// sequence number follows last (any number, when last is zero).
func recordAt(data []byte, off int, last uint64) (body []byte, size int, ok bool) {
	if off+headerLen > len(data) {
		return nil, 0, false
	}
	rec := data[off:]
	n := int(binary.LittleEndian.Uint32(rec))
	if n < bodyHead || n > len(rec)-headerLen {
		return nil, 0, false
	}
	body = rec[headerLen : headerLen+n]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(rec[4:]) {
		return nil, 0, false
	}
	if seq := binary.LittleEndian.Uint64(body); last != 0 && seq != last+1 {
		return nil, 0, false
	}
	return body, headerLen + n, true
}

// add applies one record's body to r.
func (r *recovered) add(body []byte) error {
	switch body[8] {
	case kindHardState:
		if err := r.hs.Unmarshal(body[bodyHead:]); err != nil {
			return fmt.Errorf("wal: a hard state that passes its checksum does not decode: %w", err)
		}
	case kindEntry:
		var e raftpb.Entry
		if err := e.Unmarshal(body[bodyHead:]); err != nil {
			return fmt.Errorf("wal: an entry that passes its checksum does not decode: %w", err)
		}
		// An entry at an index the log already has replaces it and
		// everything after, as raft's storage does.
		if len(r.entries) > 0 {
			first := r.entries[0].Index
			next := first + uint64(len(r.entries))
			switch {
			case e.Index > next:
				return fmt.Errorf("wal: entry %d follows entry %d", e.Index, next-1)
			case e.Index < first:
				r.entries = r.entries[:0]
			default:
				r.entries = r.entries[:e.Index-first]
			}
		}
		r.entries = append(r.entries, e)
	default:
		return fmt.Errorf("wal: a record of unknown kind %d passes its checksum", body[8])
	}
	return nil
}

func (w *wal) record(kind byte, size int, marshal func([]byte) (int, error)) {
	w.seq++
	start := len(w.buf)
	w.buf = append(w.buf, make([]byte, headerLen+bodyHead+size)...)
	rec := w.buf[start:]
	binary.LittleEndian.PutUint32(rec, uint32(bodyHead+size))
	binary.LittleEndian.PutUint64(rec[headerLen:], w.seq)
	rec[headerLen+8] = kind
	if _, err := marshal(rec[headerLen+bodyHead:]); err != nil {
		panic(fmt.Sprintf("wal: marshal: %v", err)) // sized by Size: cannot fail
	}
	binary.LittleEndian.PutUint32(rec[4:], crc32.Checksum(rec[headerLen:], castagnoli))
}

// encode fills w.buf with the records of a Ready's entries and hard
// state. The entries go first: a log cut inside the batch then never
// holds a commit index beyond its last entry.
func (w *wal) encode(hs raftpb.HardState, entries []raftpb.Entry) {
	w.buf = w.buf[:0]
	for _, e := range entries {
		w.record(kindEntry, e.Size(), e.MarshalTo)
	}
	if hs != (raftpb.HardState{}) {
		w.record(kindHardState, hs.Size(), hs.MarshalTo)
	}
}

// save appends a Ready's entries and hard state to every copy, at the
// same offset, and syncs them. A sync that fails leaves the batch
// readable but not durable, and a second sync would not write it (Linux
// drops the pages' dirty state with the error); the batch is still in
// w.buf, so save writes it again, which dirties it anew, and syncs once
// more (counted in retried). A copy that fails twice lacks the batch
// durably, and the next boot after a crash reads it from the others and
// writes it back. The log is as safe as its copies that hold the batch:
// when two or more failed, nothing says what the disk will keep, and save
// returns an error; the caller restarts and reads the log again, as etcd
// and PostgreSQL do after a failed fsync.
func (w *wal) save(hs raftpb.HardState, entries []raftpb.Entry) error {
	w.encode(hs, entries)
	if len(w.buf) == 0 {
		return nil
	}
	failed := 0
	var first error
	for i := range w.files {
		if err := w.put(i); err != nil {
			failed++
			first = cmp.Or(first, err)
		}
	}
	w.end += int64(len(w.buf))
	if failed >= 2 {
		return fmt.Errorf("%w, and %d of the log's other copies failed too", first, failed-1)
	}
	return nil
}

// put writes w.buf to copy i at the log's end and syncs it, writing it
// again after a failed sync (see save).
func (w *wal) put(i int) error {
	f := w.files[i]
	var err error
	for try := range 2 {
		if try > 0 {
			w.retried++
		}
		if _, err := f.WriteAt(w.buf, w.end); err != nil {
			return fmt.Errorf("wal: write %s: %w", copies[i], err)
		}
		if err = f.Sync(); err == nil {
			return nil
		}
	}
	return fmt.Errorf("wal: sync %s: %w", copies[i], err)
}

// syncDir makes the entries of the directory name durable.
func syncDir(st providers.Storage, name string) error {
	d, err := st.Open(name)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
