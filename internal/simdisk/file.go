package simdisk

import (
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"syscall"

	"github.com/moonpool-go/moonpool/internal/plural"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// file is an open file of a disk.
type file struct {
	d      *Disk
	n      *node
	name   string // as opened
	flag   int
	off    int64
	gen    uint64 // the disk's gen when opened
	closed bool
	// owner is the process whose open file f is, until f closes; prev
	// and next link its open files. exited is set once the process's
	// exit closed f.
	owner      *Process
	prev, next *file
	exited     bool
}

var _ providers.File = (*file)(nil)

func (f *file) Name() string { return f.name }

// where names f for a determinism check's report (sim.World.Wrote).
func (f *file) where() string { return "file " + f.name + " on " + f.d.addr }

// check returns the error of an operation on a closed file, or on one
// whose disk went down since it was opened, or whose process exited.
func (f *file) check(op string) error {
	if err := f.d.w.Outlived(fs.ErrClosed); err != nil {
		// After the simulation ended, in a test's cleanup: there is
		// no disk left to ask.
		return pathErr(op, f.name, err)
	}
	f.d.w.EnterOp("file", op)
	if f.closed {
		return pathErr(op, f.name, fs.ErrClosed)
	}
	if f.exited {
		return pathErr(op, f.name, exitedError{f.d.addr})
	}
	if f.gen != f.d.gen {
		return pathErr(op, f.name, goneError{f.d.addr})
	}
	return nil
}

func (f *file) readable() bool { return f.flag&(os.O_WRONLY|os.O_RDWR) != os.O_WRONLY }
func (f *file) writable() bool { return f.flag&(os.O_WRONLY|os.O_RDWR) != 0 }

func (f *file) Read(p []byte) (int, error) {
	if err := f.check("read"); err != nil {
		return 0, err
	}
	n, err := f.pread("read", p, f.off)
	f.off += int64(n)
	if n > 0 && err == io.EOF {
		err = nil // as os.File: the bytes now, io.EOF on the next Read
	}
	return n, err
}

func (f *file) ReadAt(p []byte, off int64) (int, error) {
	// The checks in the order of *os.File, which reads nothing, and so
	// finds nothing wrong, when p is empty.
	switch {
	case off < 0:
		return 0, pathErr("readat", f.name, errNegativeOffset)
	case len(p) == 0:
		return 0, nil
	}
	if err := f.check("read"); err != nil {
		return 0, err
	}
	return f.pread("read", p, off)
}

// pread reads into p at off. It returns io.EOF when p could not be filled.
func (f *file) pread(op string, p []byte, off int64) (int, error) {
	switch {
	case len(p) == 0:
		return 0, nil // *os.File asks nothing of the system then
	case f.n.dir:
		return 0, pathErr(op, f.name, syscall.EISDIR)
	case !f.readable():
		return 0, pathErr(op, f.name, syscall.EBADF)
	}
	d, c := f.d, f.n.c
	n := 0
	if off < c.size {
		n = int(min(int64(len(p)), c.size-off))
	}
	done := d.schedule(opRead, int64(n), off, "read", f.name, "")
	if n > 0 {
		if g := c.readAt(p[:n], off); g > 0 {
			d.w.Log(fmt.Sprintf("disk %s: %s: read %s never written: garbage", d.addr, f.name, plural.Count(g, "sector")))
		}
		d.readFaults(f.name, c, p[:n], off)
	}
	d.stats.Reads++
	d.stats.BytesRead += int64(n)
	gen := d.gen
	d.wait(opRead, done, nil)
	if d.gen != gen {
		return 0, pathErr(op, f.name, goneError{d.addr})
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *file) Write(p []byte) (int, error) {
	if err := f.check("write"); err != nil {
		return 0, err
	}
	off := f.off
	if f.flag&os.O_APPEND != 0 && len(p) > 0 { // an empty write does not move to the end
		off = f.n.c.size
	}
	n, err := f.pwrite("write", p, off)
	f.off = off + int64(n)
	return n, err
}

func (f *file) WriteAt(p []byte, off int64) (int, error) {
	// The checks in the order of *os.File, as for ReadAt.
	switch {
	case f.flag&os.O_APPEND != 0:
		return 0, errAppendWriteAt
	case off < 0:
		return 0, pathErr("writeat", f.name, errNegativeOffset)
	case len(p) == 0:
		return 0, nil
	}
	if err := f.check("write"); err != nil {
		return 0, err
	}
	return f.pwrite("write", p, off)
}

// pwrite writes p at off.
func (f *file) pwrite(op string, p []byte, off int64) (int, error) {
	switch {
	case !f.writable():
		return 0, pathErr(op, f.name, syscall.EBADF)
	case off > math.MaxInt64-int64(len(p)):
		return 0, pathErr(op, f.name, errOffsetTooLarge)
	case len(p) == 0:
		return 0, nil
	}
	d, c := f.d, f.n.c
	var full error
	// What the timeline tells of a write cut short: the bytes asked, and why.
	var asked int64
	var cut error
	if k := fits(d.free(), c.size, off, len(p)); k < len(p) {
		d.stats.NoSpace++
		full = pathErr(op, f.name, syscall.ENOSPC)
		asked, cut = int64(len(p)), syscall.ENOSPC
		if k == 0 {
			d.refused(f.name, asked, off, cut)
			return 0, full
		}
		p = p[:k]
	}
	if d.w.HashesData() {
		d.w.Wrote(f, f.where, uint64(off), p)
	}
	done := d.scheduleCut(opWrite, int64(len(p)), off, "write", f.name, "", asked, cut)
	f.put(p, off)
	gen := d.gen
	d.wait(opWrite, done, nil)
	if d.gen != gen {
		return 0, pathErr(op, f.name, goneError{d.addr})
	}
	if full != nil {
		return len(p), full
	}
	if f.flag&os.O_SYNC != 0 {
		if err := f.sync(op); err != nil {
			return len(p), err
		}
		return len(p), nil
	}
	d.w.UnsyncedWrite() // where a crash aimed at unsynced data strikes
	return len(p), nil
}

func (f *file) Sync() error {
	if err := f.check("sync"); err != nil {
		return err
	}
	return f.sync("sync")
}

// sync flushes the file. Whether it fails is drawn when it is submitted;
// its effect lands when it completes, unless the disk crashed meanwhile.
func (f *file) sync(op string) error {
	d := f.d
	gen := d.gen
	if f.n.dir {
		// It makes the namespace changes before it durable, if the
		// disk loses them (chaos.Storage.LoseUnsyncedDirectories);
		// otherwise they are durable already, and it only tells the
		// log that a crash would no longer lose them.
		done := d.schedule(opSync, 0, -1, "sync", f.name, "")
		if len(d.pending) == 0 {
			d.wait(opSync, done, nil)
		} else {
			s := d.syncDone()
			s.dir, s.upTo, s.gen = f.n, d.nsSeq, gen
			d.wait(opSync, done, s.fn)
			*s = syncDone{d: d, fn: s.fn}
			d.syncs = append(d.syncs, s)
		}
		if d.gen != gen {
			return pathErr(op, f.name, goneError{d.addr})
		}
		return nil
	}
	c := f.n.c
	unsynced := c.unsynced()
	done := d.schedule(opSync, int64(c.ndirty)*SectorSize, -1, "sync", f.name, "")
	fail := unsynced && d.w.Rand().Bool(d.cfg.SyncFailureProb)
	if fail {
		d.w.FaultBegins(sim.Fault{Kind: "sync failure", At: d.w.Rand().Draws(), On: d.addr})
	}
	d.stats.Syncs++
	s := d.syncDone()
	s.f, s.c, s.gen, s.fail, s.task = f, c, gen, fail, d.w.CurrentTask()
	c.syncs++
	d.wait(opSync, done, s.fn)
	// Its completion ran: the record is free (a task killed while it
	// waits never comes back here, and leaves its record to the collector).
	*s = syncDone{d: d, fn: s.fn}
	d.syncs = append(d.syncs, s)
	switch {
	case d.gen != gen:
		return pathErr(op, f.name, goneError{d.addr})
	case fail:
		return pathErr(op, f.name, syscall.EIO)
	}
	return nil
}

// syncDone is what a sync does when it completes: what it makes durable,
// or how it fails. A disk reuses them, so that a sync allocates nothing
// for its completion.
type syncDone struct {
	d    *Disk
	f    *file
	c    *content
	gen  uint64 // the disk's when the sync was submitted
	fail bool   // drawn when it was submitted
	task string // the syncing task, for the failure's event
	// dir is the directory a sync of one syncs: it makes the namespace
	// changes up to upTo durable there.
	dir  *node
	upTo uint64
	fn   func() // run, made once
}

// syncDone returns a free sync completion of d, or a new one.
func (d *Disk) syncDone() *syncDone {
	if n := len(d.syncs); n > 0 {
		s := d.syncs[n-1]
		d.syncs[n-1] = nil
		d.syncs = d.syncs[:n-1]
		return s
	}
	s := &syncDone{d: d}
	s.fn = s.run
	return s
}

func (s *syncDone) run() {
	d := s.d
	if s.dir != nil {
		if d.gen == s.gen {
			d.dirSynced(s.dir, s.upTo)
		}
		return
	}
	s.c.syncs--
	switch {
	case d.gen != s.gen: // crashed first: nothing more reached the disk
	case s.fail:
		lost := s.c.failSync()
		d.stats.SyncFailures++
		d.eventAs(s.task, "sync-failure", "%s: EIO; %d unsynced sectors will never reach the disk", s.f.name, lost)
	default:
		s.c.sync()
	}
	// A file removed and closed while it synced is free now.
	d.releaseIfGone(s.f.n)
}

func (f *file) Truncate(size int64) error {
	if err := f.check("truncate"); err != nil {
		return err
	}
	switch {
	case !f.writable(): // directories too: they open read-only
		return pathErr("truncate", f.name, syscall.EINVAL)
	case size < 0:
		return pathErr("truncate", f.name, errNegativeSize)
	}
	d := f.d
	if cur := f.n.c.size; size > cur {
		// In sectors: in bytes, a size near math.MaxInt64 overflows.
		need := ceilSectors(size) - ceilSectors(cur)
		if free := d.free(); free >= 0 && need > free/SectorSize {
			d.stats.NoSpace++
			return pathErr("truncate", f.name, syscall.ENOSPC)
		}
	}
	done := d.schedule(opWrite, 0, size, "truncate", f.name, "")
	f.n.c.truncate(size)
	f.n.mtime = d.w.Now()
	gen := d.gen
	d.wait(opWrite, done, nil)
	if d.gen != gen {
		return pathErr("truncate", f.name, goneError{d.addr})
	}
	return nil
}

func (f *file) Seek(offset int64, whence int) (int64, error) {
	if err := f.check("seek"); err != nil {
		return 0, err
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = f.off + offset
	case io.SeekEnd:
		if !f.n.dir {
			abs = f.n.c.size
		}
		abs += offset
	default:
		return 0, pathErr("seek", f.name, errBadWhence)
	}
	if abs < 0 {
		return 0, pathErr("seek", f.name, errNegativeSeek)
	}
	f.off = abs
	return abs, nil
}

func (f *file) Stat() (fs.FileInfo, error) {
	if err := f.check("stat"); err != nil {
		return nil, err
	}
	return f.n.info(f.name), nil
}

// Close closes the file. Closing a file whose disk crashed since it was
// opened, or whose process exited, succeeds: its process is gone, and so
// are its open files.
func (f *file) Close() error {
	if err := f.d.w.EnterUnlessEnded("file close", fs.ErrClosed); err != nil {
		return pathErr("close", f.name, err)
	}
	if f.closed {
		return pathErr("close", f.name, fs.ErrClosed)
	}
	f.closed = true
	if f.exited {
		return nil // its process's exit closed it
	}
	f.leave()
	f.d.closed(f.n, f.gen)
	return nil
}

// Mappings is the file's slot for what the processes that map it into
// memory keep: one slot for the file, whichever handle, process or name
// reaches it, as the kernel keeps a file's mappings with its inode.
func (f *file) Mappings() *any { return &f.n.mapped }

// Store puts p at off into the file as a store into a shared mapping puts
// it into the page cache: an unsynced write, with the write faults of any
// write (the kernel writes those pages back as it writes any), that takes
// no time and never grows the file: what lies past its end is left out.
// It returns how much of p it stored, or -1 when the handle no longer
// works. It acts for a process that may be dying, whose stores were made
// before its death: it does not unwind a crashed process's task, and
// stores nothing once the handle's process exited or its disk went down.
func (f *file) Store(p []byte, off int64) int {
	d := f.d
	d.w.Guard("file store")
	if f.closed || f.exited || f.gen != d.gen || f.n.dir {
		return -1
	}
	if off < 0 || off >= f.n.c.size {
		return 0
	}
	p = p[:min(int64(len(p)), f.n.c.size-off)]
	if d.w.HashesData() {
		d.w.Wrote(f, f.where, uint64(off), p)
	}
	f.put(p, off)
	return len(p)
}

// put writes p at off into the file's page cache, as a write does once
// it is scheduled, or a mapping's store: its time and the disk's counts
// with it.
func (f *file) put(p []byte, off int64) {
	d := f.d
	d.write(f.name, f.n.c, p, off)
	f.n.mtime = d.w.Now()
	d.stats.Writes++
	d.stats.BytesWritten += int64(len(p))
}
