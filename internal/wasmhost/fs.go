package wasmhost

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/moonpool-go/moonpool/providers"
)

// fdKind says what a file descriptor stands for.
type fdKind uint8

const (
	kindStdio   fdKind = iota // 0, 1, 2
	kindPreopen               // "/", the process's disk
	kindFile                  // a file of the disk
	kindDir                   // a directory of the disk
	kindSocket                // a TCP socket or listener, or a UDP socket
	kindSignal                // the signals sent to the process, a byte each
)

// WASI file types.
const (
	typeCharDevice   = 2
	typeDirectory    = 3
	typeRegular      = 4
	typeSocketDgram  = 5
	typeSocketStream = 6
)

// sockType is the WASI file type of a socket (or signal) descriptor.
func sockType(e *fdEntry) byte {
	if e.sock != nil && e.sock.pc != nil {
		return typeSocketDgram
	}
	return typeSocketStream
}

// WASI rights that open calls ask for.
const (
	rightRead  = 1 << 1
	rightWrite = 1 << 6
)

type fdEntry struct {
	kind   fdKind
	name   string // the storage name of a file or directory ("." for the root)
	file   providers.File
	append bool
	// writeOnly: the file was opened for writing alone, so it cannot be
	// mapped; readOnly: for reading alone, so it cannot be mapped for
	// stores.
	writeOnly, readOnly bool
	entries             []fs.DirEntry // a directory's entries, read at cookie zero
	sock                *sock
}

// drop releases e when the program has exited or is dropped; it makes no
// simulation call that could block.
func (e *fdEntry) drop() {
	if e.sock != nil {
		e.sock.drop()
	}
}

// openStdio sets up descriptors 0-2 and the preopened root 3: the
// process's disk.
func (in *instance) openStdio() {
	in.fds = []*fdEntry{{kind: kindStdio}, {kind: kindStdio}, {kind: kindStdio}, {kind: kindPreopen, name: "."}}
}

func (in *instance) add(e *fdEntry) int32 {
	for i := 4; i < len(in.fds); i++ {
		if in.fds[i] == nil {
			in.fds[i] = e
			return int32(i)
		}
	}
	in.fds = append(in.fds, e)
	return int32(len(in.fds) - 1)
}

func (in *instance) get(fd uint32) *fdEntry {
	if int(fd) >= len(in.fds) {
		return nil
	}
	return in.fds[fd]
}

// resolve returns the storage name of p relative to the directory fd.
func (in *instance) resolve(mem api.Memory, fd, ptr, n uint32) (string, errno) {
	e := in.get(fd)
	if e == nil {
		return "", errBADF
	}
	if e.kind != kindPreopen && e.kind != kindDir {
		return "", errNOTDIR
	}
	b, ok := mem.Read(ptr, n)
	if !ok {
		return "", errFAULT
	}
	p := string(b)
	if strings.HasPrefix(p, "/") {
		return "", errPERM
	}
	name := path.Clean(path.Join(e.name, p))
	if name == ".." || strings.HasPrefix(name, "../") {
		return "", errPERM
	}
	return name, errSUCCESS
}

// iovecs calls f with each buffer of the iovec array at ptr, until f
// handles less than the buffer or fails; it returns the total. A failure
// after some bytes went is the next call's, as write(2) and read(2)
// return their count first: a write that fills the disk says how much
// it wrote, and the next one fails.
func iovecs(mem api.Memory, ptr, count uint32, f func(b []byte) (int, errno)) (uint32, errno) {
	var total uint32
	for i := uint32(0); i < count; i++ {
		b, ok := iovec(mem, ptr, i)
		if !ok {
			return total, errFAULT
		}
		got, err := f(b)
		total += uint32(got)
		if err != errSUCCESS {
			if total > 0 {
				return total, errSUCCESS
			}
			return total, err
		}
		if got < len(b) {
			break
		}
	}
	return total, errSUCCESS
}

func fdWrite(in *instance, mem api.Memory, s []uint64) errno {
	e := in.get(u32(s, 0))
	if e == nil {
		return errBADF
	}
	var f func(b []byte) (int, errno)
	switch e.kind {
	case kindStdio:
		fd := u32(s, 0)
		if fd == 0 {
			return errBADF
		}
		f = func(b []byte) (int, errno) { in.output(fd, b); return len(b), errSUCCESS }
	case kindFile:
		f = func(b []byte) (int, errno) {
			// An append moves to the end first; a write to a mapped
			// file learns where it lands, for the mappings' pages.
			mapped := mapsOf(e.file) != nil
			var off int64
			if e.append || mapped {
				whence := io.SeekCurrent
				if e.append {
					whence = io.SeekEnd
				}
				var err error
				if off, err = e.file.Seek(0, whence); err != nil {
					return 0, errnoOf(err)
				}
			}
			n, err := e.file.Write(b)
			if fm := mapsOf(e.file); mapped && fm != nil { // those of when it is done
				fm.wrote(off, b[:n], nil)
			}
			return n, errnoOf(err)
		}
	case kindSocket: // sock.send, which sends a datagram whole
		return transfer(mem, s, nil, e.sock.send)
	default:
		return errBADF
	}
	return transfer(mem, s, f, nil)
}

func fdRead(in *instance, mem api.Memory, s []uint64) errno {
	e := in.get(u32(s, 0))
	if e == nil {
		return errBADF
	}
	var f func(b []byte) (int, errno)
	switch e.kind {
	case kindStdio:
		f = func(b []byte) (int, errno) { return 0, errSUCCESS } // stdin is empty
	case kindFile:
		observe(e.file)
		f = func(b []byte) (int, errno) {
			n, err := e.file.Read(b)
			if err == io.EOF {
				err = nil
			}
			return n, errnoOf(err)
		}
	case kindSocket: // sock.recv, which reads a datagram whole
		return transfer(mem, s, nil, e.sock.recv)
	case kindSignal:
		f = in.readSignal
	case kindDir, kindPreopen:
		return errISDIR
	default:
		return errBADF
	}
	return transfer(mem, s, f, nil)
}

// transfer ends fd_read and fd_write, whose arguments are s: it moves the
// bytes of the iovecs through f, buffer by buffer, or, for a socket,
// through whole (a datagram at once), and stores the count.
func transfer(mem api.Memory, s []uint64, f func(b []byte) (int, errno), whole func(mem api.Memory, ptr, count uint32) (uint32, errno)) errno {
	var n uint32
	var err errno
	if whole != nil {
		n, err = whole(mem, u32(s, 1), u32(s, 2))
	} else {
		n, err = iovecs(mem, u32(s, 1), u32(s, 2), f)
	}
	if err != errSUCCESS {
		return err
	}
	return putU32(mem, u32(s, 3), n)
}

func fdPread(in *instance, mem api.Memory, s []uint64) errno {
	e := in.get(u32(s, 0))
	if e == nil || e.kind != kindFile {
		return errBADF
	}
	off := int64(s[3])
	if off < 0 {
		return errINVAL // as Linux's; a Storage's file says "negative offset", which names no errno
	}
	observe(e.file)
	n, err := iovecs(mem, u32(s, 1), u32(s, 2), func(b []byte) (int, errno) {
		n, err := e.file.ReadAt(b, off)
		off += int64(n)
		if err == io.EOF {
			err = nil
		}
		return n, errnoOf(err)
	})
	if err != errSUCCESS {
		return err
	}
	return putU32(mem, u32(s, 4), n)
}

func fdPwrite(in *instance, mem api.Memory, s []uint64) errno {
	e := in.get(u32(s, 0))
	if e == nil || e.kind != kindFile {
		return errBADF
	}
	off := int64(s[3])
	if off < 0 {
		return errINVAL // as Linux's; a Storage's file says "negative offset", which names no errno
	}
	n, err := iovecs(mem, u32(s, 1), u32(s, 2), func(b []byte) (int, errno) {
		n, err := e.file.WriteAt(b, off)
		if fm := mapsOf(e.file); fm != nil {
			fm.wrote(off, b[:n], nil)
		}
		off += int64(n)
		return n, errnoOf(err)
	})
	if err != errSUCCESS {
		return err
	}
	return putU32(mem, u32(s, 4), n)
}

func fdClose(in *instance, mem api.Memory, s []uint64) errno {
	fd := u32(s, 0)
	e := in.get(fd)
	if e == nil || fd < 3 {
		return errBADF
	}
	in.fds[fd] = nil
	switch e.kind {
	case kindFile:
		observe(e.file)
		if in.holds(e.file) {
			in.orphans = append(in.orphans, e.file) // closed at its munmap, as a mapping holds its file
			return errSUCCESS
		}
		return errnoOf(e.file.Close())
	case kindSocket:
		e.sock.close()
	}
	return errSUCCESS
}

func fdSeek(in *instance, mem api.Memory, s []uint64) errno {
	e := in.get(u32(s, 0))
	if e == nil {
		return errBADF
	}
	var pos int64
	var err error
	switch e.kind {
	case kindFile:
		if u32(s, 2) == io.SeekEnd {
			observe(e.file)
		}
		pos, err = e.file.Seek(int64(s[1]), int(u32(s, 2)))
	case kindDir, kindPreopen:
		return errISDIR
	default:
		return errSPIPE
	}
	if err != nil {
		return errnoOf(err)
	}
	return putU64(mem, u32(s, 3), uint64(pos))
}

func fdTell(in *instance, mem api.Memory, s []uint64) errno {
	e := in.get(u32(s, 0))
	if e == nil || e.kind != kindFile {
		return errBADF
	}
	pos, err := e.file.Seek(0, io.SeekCurrent)
	if err != nil {
		return errnoOf(err)
	}
	return putU64(mem, u32(s, 1), uint64(pos))
}

func fdSync(in *instance, mem api.Memory, s []uint64) errno {
	e := in.get(u32(s, 0))
	if e == nil {
		return errBADF
	}
	switch e.kind {
	case kindFile:
		in.waited()
		observe(e.file)
		return errnoOf(e.file.Sync())
	case kindDir, kindPreopen:
		if _, tmp := inTmp(e.name); in.p.Storage == nil && !tmp {
			return errSUCCESS // an empty root, with nothing to make durable
		}
		// A directory is opened read-only to sync it, as the disk's
		// own users do, and the sync costs what theirs costs.
		in.waited()
		d, err := in.storage().Open(e.name)
		if err != nil {
			return errnoOf(err)
		}
		err = d.Sync()
		_ = d.Close()
		return errnoOf(err)
	}
	return errSUCCESS
}

// stdioType is the file type of standard input, output or error.
// Standard input reads as /dev/null, a character device. Standard output
// and error go to the timeline, as a service's go to journald, through a
// stream socket: not a terminal, so a program that asks (NATS checks for
// os.ModeCharDevice) writes no terminal colors into its log lines.
func stdioType(fd uint32) byte {
	if fd == 0 {
		return typeCharDevice
	}
	return typeSocketStream
}

func fdFdstatGet(in *instance, mem api.Memory, s []uint64) errno {
	e := in.get(u32(s, 0))
	if e == nil {
		return errBADF
	}
	ptr := u32(s, 1)
	var typ byte
	var flags uint16
	switch e.kind {
	case kindStdio:
		typ = stdioType(u32(s, 0))
	case kindPreopen, kindDir:
		typ = typeDirectory
	case kindFile:
		typ = typeRegular
		if e.append {
			flags = 1
		}
	case kindSocket, kindSignal:
		typ = sockType(e)
		flags = 4 // non-blocking
	}
	if !mem.WriteByte(ptr, typ) || !mem.WriteUint16Le(ptr+2, flags) {
		return errFAULT
	}
	if putU64(mem, ptr+8, ^uint64(0)) != errSUCCESS {
		return errFAULT
	}
	return putU64(mem, ptr+16, ^uint64(0))
}

func fdFdstatSetFlags(in *instance, mem api.Memory, s []uint64) errno {
	e := in.get(u32(s, 0))
	if e == nil {
		return errBADF
	}
	if e.kind == kindFile {
		e.append = u32(s, 1)&1 != 0
	}
	return errSUCCESS
}

// putFilestat writes a filestat for fi (nil for a device or socket).
func putFilestat(mem api.Memory, ptr uint32, typ byte, size int64, mtime time.Time) errno {
	buf, ok := mem.Read(ptr, 64)
	if !ok {
		return errFAULT
	}
	clear(buf)
	buf[16] = typ
	t := uint64(0)
	if !mtime.IsZero() {
		t = uint64(mtime.UnixNano())
	}
	putU64(mem, ptr+24, 1)
	putU64(mem, ptr+32, uint64(size))
	putU64(mem, ptr+40, t)
	putU64(mem, ptr+48, t)
	putU64(mem, ptr+56, t)
	return errSUCCESS
}

func statType(fi fs.FileInfo) byte {
	if fi.IsDir() {
		return typeDirectory
	}
	return typeRegular
}

func fdFilestatGet(in *instance, mem api.Memory, s []uint64) errno {
	e := in.get(u32(s, 0))
	if e == nil {
		return errBADF
	}
	ptr := u32(s, 1)
	switch e.kind {
	case kindStdio:
		return putFilestat(mem, ptr, stdioType(u32(s, 0)), 0, time.Time{})
	case kindSocket:
		return putFilestat(mem, ptr, sockType(e), 0, time.Time{})
	case kindFile:
		observe(e.file)
		fi, err := e.file.Stat()
		if err != nil {
			return errnoOf(err)
		}
		return putFilestat(mem, ptr, statType(fi), fi.Size(), fi.ModTime())
	default:
		fi, err := in.storage().Stat(e.name)
		if err != nil {
			return errnoOf(err)
		}
		return putFilestat(mem, ptr, statType(fi), fi.Size(), fi.ModTime())
	}
}

func fdFilestatSetSize(in *instance, mem api.Memory, s []uint64) errno {
	e := in.get(u32(s, 0))
	if e == nil || e.kind != kindFile {
		return errBADF
	}
	fm := mapsOf(e.file)
	if fm == nil {
		return errnoOf(e.file.Truncate(int64(s[1])))
	}
	fm.copyBack()
	fi, err := e.file.Stat()
	if err != nil {
		return errnoOf(err)
	}
	if err := e.file.Truncate(int64(s[1])); err != nil {
		return errnoOf(err)
	}
	fm.resized(min(fi.Size(), int64(s[1])))
	return errSUCCESS
}

func fdPrestatGet(in *instance, mem api.Memory, s []uint64) errno {
	e := in.get(u32(s, 0))
	if e == nil || e.kind != kindPreopen {
		return errBADF
	}
	ptr := u32(s, 1)
	if putU32(mem, ptr, 0) != errSUCCESS {
		return errFAULT
	}
	return putU32(mem, ptr+4, 1) // "/"
}

func fdPrestatDirName(in *instance, mem api.Memory, s []uint64) errno {
	e := in.get(u32(s, 0))
	if e == nil || e.kind != kindPreopen {
		return errBADF
	}
	if u32(s, 2) < 1 {
		return errNAMETOOLONG
	}
	if !mem.WriteByte(u32(s, 1), '/') {
		return errFAULT
	}
	return errSUCCESS
}

func fdReaddir(in *instance, mem api.Memory, s []uint64) errno {
	e := in.get(u32(s, 0))
	if e == nil {
		return errBADF
	}
	if e.kind != kindDir && e.kind != kindPreopen {
		return errNOTDIR
	}
	buf, bufLen, cookie := u32(s, 1), u32(s, 2), s[3]
	if cookie == 0 || e.entries == nil {
		list, err := in.storage().ReadDir(e.name)
		if err != nil {
			return errnoOf(err)
		}
		e.entries = list
	}
	out, ok := mem.Read(buf, bufLen)
	if !ok {
		return errFAULT
	}
	used := 0
	for i := cookie; i < uint64(len(e.entries)) && used < len(out); i++ {
		d := e.entries[i]
		var ent [24]byte
		putLE64(ent[0:], i+1)
		putLE64(ent[8:], i+1)
		putLE32(ent[16:], uint32(len(d.Name())))
		ent[20] = typeRegular
		if d.IsDir() {
			ent[20] = typeDirectory
		}
		used += copy(out[used:], ent[:])
		used += copy(out[used:], d.Name())
	}
	return putU32(mem, u32(s, 4), uint32(used))
}

func putLE64(b []byte, v uint64) {
	for i := range 8 {
		b[i] = byte(v >> (8 * i))
	}
}

func putLE32(b []byte, v uint32) {
	for i := range 4 {
		b[i] = byte(v >> (8 * i))
	}
}

// WASI open flags.
const (
	oflagCreate    = 1
	oflagDirectory = 2
	oflagExcl      = 4
	oflagTrunc     = 8
	fdflagAppend   = 1
	fdflagSync     = 16
)

func pathOpen(in *instance, mem api.Memory, s []uint64) errno {
	name, en := in.resolve(mem, u32(s, 0), u32(s, 2), u32(s, 3))
	if en != errSUCCESS {
		return en
	}
	oflags, rights, fdflags, fdPtr := u32(s, 4), s[5], u32(s, 7), u32(s, 8)
	st := in.storage()
	in.waited()
	fi, err := st.Stat(name)
	switch {
	case err == nil && fi.IsDir():
		if oflags&(oflagCreate|oflagExcl) == oflagCreate|oflagExcl {
			return errEXIST
		}
		if rights&rightWrite != 0 {
			return errISDIR
		}
		fd := in.add(&fdEntry{kind: kindDir, name: name})
		return putU32(mem, fdPtr, uint32(fd))
	case err == nil && oflags&oflagDirectory != 0:
		return errNOTDIR
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return errnoOf(err)
	case err != nil && oflags&oflagCreate == 0:
		return errNOENT
	}
	flag := os.O_RDONLY
	switch {
	case rights&rightRead != 0 && rights&rightWrite != 0:
		flag = os.O_RDWR
	case rights&rightWrite != 0:
		flag = os.O_WRONLY
	}
	if oflags&oflagCreate != 0 {
		flag |= os.O_CREATE
	}
	if oflags&oflagExcl != 0 {
		flag |= os.O_EXCL
	}
	if oflags&oflagTrunc != 0 {
		flag |= os.O_TRUNC
	}
	if fdflags&fdflagSync != 0 {
		flag |= os.O_SYNC
	}
	f, err := st.OpenFile(name, flag, 0o644)
	if err != nil {
		return errnoOf(err)
	}
	if fm := mapsOf(f); fm != nil && flag&os.O_TRUNC != 0 {
		fm.resized(0)
	}
	fd := in.add(&fdEntry{kind: kindFile, name: name, file: f, append: fdflags&fdflagAppend != 0,
		writeOnly: flag&os.O_WRONLY != 0, readOnly: flag&(os.O_WRONLY|os.O_RDWR) == 0})
	return putU32(mem, fdPtr, uint32(fd))
}

func pathCreateDirectory(in *instance, mem api.Memory, s []uint64) errno {
	name, en := in.resolve(mem, u32(s, 0), u32(s, 1), u32(s, 2))
	if en != errSUCCESS {
		return en
	}
	in.waited()
	return errnoOf(in.storage().Mkdir(name, 0o755))
}

func pathFilestatGet(in *instance, mem api.Memory, s []uint64) errno {
	name, en := in.resolve(mem, u32(s, 0), u32(s, 2), u32(s, 3))
	if en != errSUCCESS {
		return en
	}
	in.waited()
	fi, err := in.storage().Stat(name)
	if err != nil {
		return errnoOf(err)
	}
	return putFilestat(mem, u32(s, 4), statType(fi), fi.Size(), fi.ModTime())
}

func pathUnlinkFile(in *instance, mem api.Memory, s []uint64) errno {
	name, en := in.resolve(mem, u32(s, 0), u32(s, 1), u32(s, 2))
	if en != errSUCCESS {
		return en
	}
	in.waited()
	st := in.storage()
	if fi, err := st.Stat(name); err == nil && fi.IsDir() {
		return errISDIR
	}
	return errnoOf(st.Remove(name))
}

func pathRemoveDirectory(in *instance, mem api.Memory, s []uint64) errno {
	name, en := in.resolve(mem, u32(s, 0), u32(s, 1), u32(s, 2))
	if en != errSUCCESS {
		return en
	}
	in.waited()
	st := in.storage()
	fi, err := st.Stat(name)
	if err != nil {
		return errnoOf(err)
	}
	if !fi.IsDir() {
		return errNOTDIR
	}
	return errnoOf(st.Remove(name))
}

func pathRename(in *instance, mem api.Memory, s []uint64) errno {
	from, en := in.resolve(mem, u32(s, 0), u32(s, 1), u32(s, 2))
	if en != errSUCCESS {
		return en
	}
	to, en := in.resolve(mem, u32(s, 3), u32(s, 4), u32(s, 5))
	if en != errSUCCESS {
		return en
	}
	in.waited()
	return errnoOf(in.storage().Rename(from, to))
}

// storage is the file tree of the process: its disk, or an empty root
// when it has none, with its own tmpfs at /tmp, made as it starts.
func (in *instance) storage() providers.Storage {
	if in.files == nil {
		var disk providers.Storage = noStorage{}
		if in.p.Storage != nil {
			disk = in.p.Storage
		}
		in.files = mounts{disk: disk, tmp: newTmpfs(in.p.Time.Now)}
	}
	return in.files
}

// noStorage is the root of a process without a disk: empty, read-only.
type noStorage struct{}

func notExist(op, name string) error { return &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist} }

func (noStorage) Open(name string) (providers.File, error)   { return nil, notExist("open", name) }
func (noStorage) Create(name string) (providers.File, error) { return nil, notExist("open", name) }
func (noStorage) OpenFile(name string, _ int, _ fs.FileMode) (providers.File, error) {
	return nil, notExist("open", name)
}
func (noStorage) Stat(name string) (fs.FileInfo, error) {
	if name == "." {
		return rootInfo{}, nil
	}
	return nil, notExist("stat", name)
}
func (noStorage) ReadDir(name string) ([]fs.DirEntry, error) {
	if name == "." {
		return nil, nil
	}
	return nil, notExist("readdir", name)
}
func (noStorage) Mkdir(name string, _ fs.FileMode) error    { return notExist("mkdir", name) }
func (noStorage) MkdirAll(name string, _ fs.FileMode) error { return notExist("mkdir", name) }
func (noStorage) Remove(name string) error                  { return notExist("remove", name) }
func (noStorage) Rename(from, _ string) error               { return notExist("rename", from) }

type rootInfo struct{}

func (rootInfo) Name() string       { return "/" }
func (rootInfo) Size() int64        { return 0 }
func (rootInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o755 }
func (rootInfo) ModTime() time.Time { return time.Time{} }
func (rootInfo) IsDir() bool        { return true }
func (rootInfo) Sys() any           { return nil }
