package wasmhost

import (
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// tmpDir is where a program's tmpfs is mounted, as a storage name: /tmp,
// which os.TempDir names.
const tmpDir = "tmp"

// mounts is the file tree a program sees: the process's disk at "/", and
// its own tmpfs at "/tmp", which hides whatever the disk holds there, as
// a mount does.
type mounts struct {
	disk providers.Storage
	tmp  *tmpfs
}

var _ providers.Storage = mounts{}

// inTmp returns the tmpfs's name for the storage name name, and whether
// name lies under /tmp.
func inTmp(name string) (string, bool) {
	if name == tmpDir {
		return ".", true
	}
	rest, ok := strings.CutPrefix(name, tmpDir+"/")
	return rest, ok
}

func (m mounts) Open(name string) (providers.File, error) {
	return m.OpenFile(name, os.O_RDONLY, 0)
}

func (m mounts) Create(name string) (providers.File, error) {
	return m.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

func (m mounts) OpenFile(name string, flag int, perm fs.FileMode) (providers.File, error) {
	if t, ok := inTmp(name); ok {
		return m.tmp.openFile(name, t, flag, perm)
	}
	return m.disk.OpenFile(name, flag, perm)
}

func (m mounts) Stat(name string) (fs.FileInfo, error) {
	if t, ok := inTmp(name); ok {
		return m.tmp.stat(name, t)
	}
	return m.disk.Stat(name)
}

// ReadDir lists a directory. The root's list is the disk's, without a
// "tmp" the disk does not hold: the root is the process's disk, and a
// program that tells its first boot by an empty directory must see it
// empty, /tmp or not.
func (m mounts) ReadDir(name string) ([]fs.DirEntry, error) {
	if t, ok := inTmp(name); ok {
		return m.tmp.readDir(name, t)
	}
	return m.disk.ReadDir(name)
}

func (m mounts) Mkdir(name string, perm fs.FileMode) error {
	if t, ok := inTmp(name); ok {
		return m.tmp.mkdir(name, t, perm)
	}
	return m.disk.Mkdir(name, perm)
}

func (m mounts) MkdirAll(name string, perm fs.FileMode) error {
	if t, ok := inTmp(name); ok {
		return m.tmp.mkdirAll(name, t, perm)
	}
	return m.disk.MkdirAll(name, perm)
}

// Remove removes a file or an empty directory; /tmp itself, a mount
// point, is busy.
func (m mounts) Remove(name string) error {
	if t, ok := inTmp(name); ok {
		if t == "." {
			return &fs.PathError{Op: "remove", Path: name, Err: syscall.EBUSY}
		}
		return m.tmp.remove(name, t)
	}
	return m.disk.Remove(name)
}

// Rename renames within the disk or within /tmp; across them it is EXDEV,
// as between two file systems, and /tmp itself is busy.
func (m mounts) Rename(from, to string) error {
	tf, fromTmp := inTmp(from)
	tt, toTmp := inTmp(to)
	switch {
	case tf == "." || tt == ".":
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: syscall.EBUSY}
	case fromTmp != toTmp:
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: syscall.EXDEV}
	case fromTmp:
		return m.tmp.rename(from, to, tf, tt)
	}
	return m.disk.Rename(from, to)
}

// A tmpfs is a process's /tmp: a file system in the host's memory, as
// Linux's tmpfs is in the kernel's. Each instance of a program has its
// own, empty when it starts, since a reboot empties a tmpfs; it takes no
// simulated time and meets none of the disk's faults. Its methods take
// the storage name, for errors, and the name under the mount.
type tmpfs struct {
	root *tnode
	now  func() time.Time
}

// A tnode is a file or a directory of a tmpfs.
type tnode struct {
	dir   bool
	kids  map[string]*tnode // a directory's entries
	data  []byte            // a file's bytes
	perm  fs.FileMode
	mtime time.Time
	// mapped is what the program's mappings of the file keep (mmap.go).
	mapped any
}

func newTmpfs(now func() time.Time) *tmpfs {
	// Linux's /tmp is world-writable and sticky.
	return &tmpfs{root: &tnode{dir: true, kids: map[string]*tnode{}, perm: fs.ModeSticky | 0o777, mtime: now()}, now: now}
}

func pathErr(op, name string, err error) error { return &fs.PathError{Op: op, Path: name, Err: err} }

// lookup finds the name t under the tmpfs: its parent directory, its base
// name, and its node, nil when the parent exists and it does not. Its
// error is the errno of a path that cannot be there.
func (fsys *tmpfs) lookup(t string) (parent *tnode, base string, n *tnode, err error) {
	if t == "." {
		return nil, tmpDir, fsys.root, nil
	}
	elems := strings.Split(t, "/")
	for _, e := range elems {
		switch {
		case len(e) > 255:
			return nil, "", nil, syscall.ENAMETOOLONG
		case strings.IndexByte(e, 0) >= 0:
			return nil, "", nil, syscall.EINVAL
		}
	}
	dir := fsys.root
	for _, e := range elems[:len(elems)-1] {
		next := dir.kids[e]
		switch {
		case next == nil:
			return nil, "", nil, syscall.ENOENT
		case !next.dir:
			return nil, "", nil, syscall.ENOTDIR
		}
		dir = next
	}
	base = elems[len(elems)-1]
	return dir, base, dir.kids[base], nil
}

func (fsys *tmpfs) openFile(name, t string, flag int, perm fs.FileMode) (providers.File, error) {
	parent, base, n, err := fsys.lookup(t)
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	acc := flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
	if flag&^(os.O_RDONLY|os.O_WRONLY|os.O_RDWR|os.O_APPEND|os.O_CREATE|os.O_EXCL|os.O_TRUNC|os.O_SYNC) != 0 {
		return nil, pathErr("open", name, fs.ErrInvalid)
	}
	switch {
	case n == nil && flag&os.O_CREATE == 0:
		return nil, pathErr("open", name, syscall.ENOENT)
	case n == nil:
		n = &tnode{perm: perm & fs.ModePerm, mtime: fsys.now()}
		parent.kids[base] = n
		parent.mtime = n.mtime
	case flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL:
		return nil, pathErr("open", name, syscall.EEXIST)
	case n.dir && acc != os.O_RDONLY:
		return nil, pathErr("open", name, syscall.EISDIR)
	case flag&os.O_TRUNC != 0 && acc != os.O_RDONLY:
		n.data = n.data[:0]
		n.mtime = fsys.now()
	}
	return &tfile{fsys: fsys, n: n, name: name, base: base, read: acc != os.O_WRONLY, write: acc != os.O_RDONLY, append: flag&os.O_APPEND != 0}, nil
}

func (fsys *tmpfs) stat(name, t string) (fs.FileInfo, error) {
	_, base, n, err := fsys.lookup(t)
	if err != nil {
		return nil, pathErr("stat", name, err)
	}
	if n == nil {
		return nil, pathErr("stat", name, syscall.ENOENT)
	}
	return tinfo{base, n}, nil
}

func (fsys *tmpfs) readDir(name, t string) ([]fs.DirEntry, error) {
	_, _, n, err := fsys.lookup(t)
	switch {
	case err != nil:
		return nil, pathErr("readdirent", name, err)
	case n == nil:
		return nil, pathErr("readdirent", name, syscall.ENOENT)
	case !n.dir:
		return nil, pathErr("readdirent", name, syscall.ENOTDIR)
	}
	list := make([]fs.DirEntry, 0, len(n.kids))
	for base, k := range n.kids {
		list = append(list, fs.FileInfoToDirEntry(tinfo{base, k}))
	}
	slices.SortFunc(list, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return list, nil
}

func (fsys *tmpfs) mkdir(name, t string, perm fs.FileMode) error {
	parent, base, n, err := fsys.lookup(t)
	switch {
	case err != nil:
		return pathErr("mkdir", name, err)
	case n != nil:
		return pathErr("mkdir", name, syscall.EEXIST)
	}
	now := fsys.now()
	parent.kids[base] = &tnode{dir: true, kids: map[string]*tnode{}, perm: perm & fs.ModePerm, mtime: now}
	parent.mtime = now
	return nil
}

func (fsys *tmpfs) mkdirAll(name, t string, perm fs.FileMode) error {
	if t == "." {
		return nil
	}
	elems := strings.Split(t, "/")
	for i := range elems {
		sub := strings.Join(elems[:i+1], "/")
		_, _, n, err := fsys.lookup(sub)
		switch {
		case err != nil:
			return pathErr("mkdir", name, err)
		case n == nil:
			if err := fsys.mkdir(name, sub, perm); err != nil {
				return err
			}
		case !n.dir && i == len(elems)-1:
			return pathErr("mkdir", name, syscall.EEXIST)
		case !n.dir:
			return pathErr("mkdir", name, syscall.ENOTDIR)
		}
	}
	return nil
}

func (fsys *tmpfs) remove(name, t string) error {
	parent, base, n, err := fsys.lookup(t)
	switch {
	case err != nil:
		return pathErr("remove", name, err)
	case n == nil:
		return pathErr("remove", name, syscall.ENOENT)
	case n.dir && len(n.kids) > 0:
		return pathErr("remove", name, syscall.ENOTEMPTY)
	}
	delete(parent.kids, base)
	parent.mtime = fsys.now()
	return nil
}

// rename follows Linux's rename(2), with package os's refusal of a
// directory as the target.
func (fsys *tmpfs) rename(from, to, tf, tt string) error {
	linkErr := func(err error) error { return &os.LinkError{Op: "rename", Old: from, New: to, Err: err} }
	fp, fb, fn, err := fsys.lookup(tf)
	if err != nil {
		return linkErr(err)
	}
	tp, tb, tn, err := fsys.lookup(tt)
	switch {
	case err != nil:
		return linkErr(err)
	case fn == nil:
		return linkErr(syscall.ENOENT)
	case tn != nil && tn.dir:
		return linkErr(syscall.EEXIST) // even itself, as package os
	case tn == fn:
		return nil
	case fn.dir && strings.HasPrefix(tt+"/", tf+"/"):
		return linkErr(syscall.EINVAL) // into itself
	case tn != nil && fn.dir:
		return linkErr(syscall.ENOTDIR)
	}
	delete(fp.kids, fb)
	tp.kids[tb] = fn
	now := fsys.now()
	fp.mtime, tp.mtime = now, now
	return nil
}

// tinfo describes a tnode.
type tinfo struct {
	name string
	n    *tnode
}

func (i tinfo) Name() string { return i.name }
func (i tinfo) Size() int64 {
	if i.n.dir {
		return 0
	}
	return int64(len(i.n.data))
}
func (i tinfo) Mode() fs.FileMode {
	if i.n.dir {
		return fs.ModeDir | i.n.perm
	}
	return i.n.perm
}
func (i tinfo) ModTime() time.Time { return i.n.mtime }
func (i tinfo) IsDir() bool        { return i.n.dir }
func (i tinfo) Sys() any           { return nil }

// A tfile is an open file or directory of a tmpfs. A file removed while
// open goes on working, as on Linux.
type tfile struct {
	fsys                        *tmpfs
	n                           *tnode
	name, base                  string
	off                         int64
	read, write, append, closed bool
}

func (f *tfile) check(op string, want bool) error {
	switch {
	case f.closed:
		return pathErr(op, f.name, fs.ErrClosed)
	case !want:
		return pathErr(op, f.name, syscall.EBADF)
	case f.n.dir:
		return pathErr(op, f.name, syscall.EISDIR)
	}
	return nil
}

// Read is short at the end of the file, and io.EOF after it.
func (f *tfile) Read(b []byte) (int, error) {
	n, err := f.ReadAt(b, f.off)
	f.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// ReadAt, Read and WriteAt of nothing succeed, as package os's do
// without a system call.
func (f *tfile) ReadAt(b []byte, off int64) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if err := f.check("read", f.read); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathErr("read", f.name, syscall.EINVAL)
	}
	if off >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	n := copy(b, f.n.data[off:])
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

func (f *tfile) Write(b []byte) (int, error) {
	if err := f.check("write", f.write); err != nil {
		return 0, err
	}
	if f.append && len(b) > 0 {
		f.off = int64(len(f.n.data))
	}
	n, err := f.WriteAt(b, f.off)
	f.off += int64(n)
	return n, err
}

func (f *tfile) WriteAt(b []byte, off int64) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if err := f.check("write", f.write); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathErr("write", f.name, syscall.EINVAL)
	}
	if end := off + int64(len(b)); end > int64(len(f.n.data)) {
		f.n.data = append(f.n.data, make([]byte, end-int64(len(f.n.data)))...)
	}
	copy(f.n.data[off:], b)
	f.n.mtime = f.fsys.now()
	return len(b), nil
}

func (f *tfile) Seek(offset int64, whence int) (int64, error) {
	if f.closed {
		return 0, pathErr("seek", f.name, fs.ErrClosed)
	}
	switch whence {
	case io.SeekCurrent:
		offset += f.off
	case io.SeekEnd:
		offset += int64(len(f.n.data))
	case io.SeekStart:
	default:
		return 0, pathErr("seek", f.name, syscall.EINVAL)
	}
	if offset < 0 {
		return 0, pathErr("seek", f.name, syscall.EINVAL)
	}
	f.off = offset
	return offset, nil
}

func (f *tfile) Close() error {
	if f.closed {
		return pathErr("close", f.name, fs.ErrClosed)
	}
	f.closed = true
	return nil
}

func (f *tfile) Name() string { return f.name }

func (f *tfile) Stat() (fs.FileInfo, error) {
	if f.closed {
		return nil, pathErr("stat", f.name, fs.ErrClosed)
	}
	return tinfo{f.base, f.n}, nil
}

// Sync has nothing to make durable: a tmpfs is lost at a reboot anyway.
func (f *tfile) Sync() error {
	if f.closed {
		return pathErr("sync", f.name, fs.ErrClosed)
	}
	return nil
}

func (f *tfile) Truncate(size int64) error {
	if f.closed {
		return pathErr("truncate", f.name, fs.ErrClosed)
	}
	if !f.write || size < 0 {
		return pathErr("truncate", f.name, syscall.EINVAL)
	}
	if size <= int64(len(f.n.data)) {
		f.n.data = f.n.data[:size]
	} else {
		f.n.data = append(f.n.data, make([]byte, size-int64(len(f.n.data)))...)
	}
	f.n.mtime = f.fsys.now()
	return nil
}

// Mappings is the file's slot for its mappings (see mappable).
func (f *tfile) Mappings() *any { return &f.n.mapped }

// Store puts a mapping's stores into the file, within its size.
func (f *tfile) Store(b []byte, off int64) int {
	if f.closed {
		return -1
	}
	if off < 0 || off >= int64(len(f.n.data)) {
		return 0
	}
	n := copy(f.n.data[off:], b)
	f.n.mtime = f.fsys.now()
	return n
}
