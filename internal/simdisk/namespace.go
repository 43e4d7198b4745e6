package simdisk

import (
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/moonpool-go/moonpool/internal/pathcheck"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// node is a file or a directory. Names live in their parent directory, so
// a removed file that is still open goes on working, unnamed.
type node struct {
	dir   bool
	mode  fs.FileMode
	mtime time.Duration // simulated time of the last change
	kids  map[string]*node
	c     *content
	// unlinked: the file was removed, or replaced by a rename. opens
	// counts its handles that still work, opened in the disk's
	// generation opensGen (a crash, stop or wipe ends every handle).
	// An unlinked file with none gives its pages to the disk's pool.
	unlinked bool
	opens    int
	opensGen uint64
	// mapped is what the processes that map the file keep (Mappings).
	mapped any
	// revivable: n was unlinked by a namespace change that a crash may
	// undo (chaos.Storage.LoseUnsyncedDirectories), so it keeps its pages.
	revivable bool
}

// umask is the mask a process's creations pass through, the usual 022 of
// Linux: a file created 0o666 is -rw-r--r--, as in production.
const umask fs.FileMode = 0o022

// The owner's permission bits, the ones a process that owns the disk's
// files is held to.
const (
	permRead  fs.FileMode = 0o400
	permWrite fs.FileMode = 0o200
	permExec  fs.FileMode = 0o100 // for a directory: search, to reach what it holds

	// permPass is what passing through a directory needs: os.Root,
	// which OSStorage is, opens it to reach what it holds.
	permPass = permRead | permExec
)

func newDir(perm fs.FileMode, now time.Duration) *node {
	return &node{dir: true, mode: fs.ModeDir | perm.Perm()&^umask, mtime: now, kids: map[string]*node{}}
}

// newFile makes a file of d.
func (d *Disk) newFile(perm fs.FileMode, now time.Duration) *node {
	d.files++
	return &node{mode: perm.Perm() &^ umask, mtime: now, c: newContent(d.files, d.noise, &d.pages)}
}

// allows reports whether n's owner bits grant all of want, as Linux
// checks them for a process that owns n and is not root.
func (n *node) allows(want fs.FileMode) bool { return n.mode&want == want }

// openPerm is what opening an existing file with flag needs of it:
// reading, r; writing or truncating, w.
func openPerm(flag int) fs.FileMode {
	var want fs.FileMode
	if flag&os.O_WRONLY == 0 {
		want |= permRead
	}
	if flag&(os.O_WRONLY|os.O_RDWR|os.O_TRUNC) != 0 {
		want |= permWrite
	}
	return want
}

// permitted is nil when n grants want, and op's EACCES on name otherwise.
func permitted(n *node, want fs.FileMode, op, name string) error {
	if n.allows(want) {
		return nil
	}
	return pathErr(op, name, syscall.EACCES)
}

// opened counts a handle of n that works.
func (d *Disk) opened(n *node) {
	if n.opensGen != d.gen {
		n.opens, n.opensGen = 0, d.gen
	}
	n.opens++
}

// inUse reports whether a handle of n that works is open: one opened
// since the disk's last crash, stop or wipe, and not closed.
func (d *Disk) inUse(n *node) bool { return n.opensGen == d.gen && n.opens > 0 }

// closed counts off a handle of n opened in generation gen, and releases
// n's pages when it was the last one of a file gone from the namespace.
func (d *Disk) closed(n *node, gen uint64) {
	if gen == d.gen && d.inUse(n) {
		n.opens--
		if n.unlinked && n.opens == 0 {
			d.orphans = slices.DeleteFunc(d.orphans, func(o *node) bool { return o == n })
		}
	}
	d.releaseIfGone(n)
}

// unlink marks n gone from the namespace, and releases its pages when no
// handle that works, and no sync under way, holds it; while one does, n
// is an orphan of the disk.
func (d *Disk) unlink(n *node) {
	if n.dir {
		return
	}
	n.unlinked = true
	if d.inUse(n) {
		d.orphans = append(d.orphans, n)
	}
	d.releaseIfGone(n)
}

// handlesEnded releases the orphans once a crash, kill, stop or wipe has
// ended every handle: the process that held them open is gone, and with
// it, as on Linux, the last reference to their space. One that a sync
// under way still holds is released when the sync completes.
func (d *Disk) handlesEnded() {
	for _, n := range d.orphans {
		d.releaseIfGone(n)
	}
	clear(d.orphans)
	d.orphans = d.orphans[:0]
}

func (d *Disk) releaseIfGone(n *node) {
	if n.unlinked && !n.revivable && !n.dir && !d.inUse(n) && n.c.syncs == 0 {
		n.c.release()
	}
}

// info describes n under name.
func (n *node) info(name string) fs.FileInfo {
	fi := fileInfo{name: path.Base(path.Clean(name)), mode: n.mode, mtime: sim.Epoch.Add(n.mtime)}
	if !n.dir {
		fi.size = n.c.size
	}
	return fi
}

type fileInfo struct {
	name  string
	size  int64
	mode  fs.FileMode
	mtime time.Time
}

func (fi fileInfo) Name() string       { return fi.name }
func (fi fileInfo) Size() int64        { return fi.size }
func (fi fileInfo) Mode() fs.FileMode  { return fi.mode }
func (fi fileInfo) ModTime() time.Time { return fi.mtime }
func (fi fileInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi fileInfo) Sys() any           { return nil }

// walk returns the directory holding the cleaned name c, and c's last
// element ("." for the root, whose parent is itself). Each directory it
// passes through must grant read and search (r and x), as OSStorage's
// os.Root requires: it opens each one O_RDONLY|O_DIRECTORY, where the
// kernel alone would need only x.
func (d *Disk) walk(op, name, c string) (*node, string, error) {
	if c == "." {
		return d.root, ".", nil
	}
	elems := strings.Split(c, "/")
	dir := d.root
	for _, e := range elems[:len(elems)-1] {
		if err := permitted(dir, permPass, op, name); err != nil {
			return nil, "", err
		}
		k, ok := dir.kids[e]
		switch {
		case !ok:
			return nil, "", pathErr(op, name, syscall.ENOENT)
		case !k.dir:
			return nil, "", pathErr(op, name, syscall.ENOTDIR)
		}
		dir = k
	}
	// Looking up the last name opens its directory too.
	if err := permitted(dir, permPass, op, name); err != nil {
		return nil, "", err
	}
	return dir, elems[len(elems)-1], nil
}

// lookup returns the node at the cleaned name c.
func (d *Disk) lookup(op, name, c string) (*node, error) {
	dir, base, err := d.walk(op, name, c)
	if err != nil {
		return nil, err
	}
	if base == "." {
		return d.root, nil
	}
	n, ok := dir.kids[base]
	if !ok {
		return nil, pathErr(op, name, syscall.ENOENT)
	}
	return n, nil
}

// op runs a namespace operation: it admits it to the device, applies it,
// and parks the calling task until it completes. A change (a create, a
// rename, a remove) is a point where a crash aimed at unsynced changes
// strikes, as a write is: until its directory's sync, and the sync of
// the files it moves, a crash may undo it or find what it moved unwritten.
func (d *Disk) op(kind opKind, verb, file, to string, f func() error) error {
	return d.opMoving(kind, verb, file, to, nil, f)
}

// opMoving is op for a rename: f sets *moved when the file it moved holds
// data no sync has made durable, where a crash aimed at such a rename
// strikes (sim.World.UnsyncedMove).
func (d *Disk) opMoving(kind opKind, verb, file, to string, moved *bool, f func() error) error {
	done := d.schedule(kind, 0, -1, verb, file, to)
	err := f()
	gen := d.gen
	d.wait(kind, done, nil)
	if err == nil && d.gen != gen {
		return goneError{d.addr}
	}
	switch {
	case err != nil || kind != opWrite:
	case moved != nil && *moved:
		d.w.UnsyncedMove()
	default:
		d.w.UnsyncedWrite()
	}
	return err
}

// storage is a Disk as a providers.Storage, the files it opens owned by
// p, or by no process when p is nil.
type storage struct {
	d *Disk
	p *Process
}

var _ providers.Storage = storage{}

func (s storage) Open(name string) (providers.File, error) {
	return s.OpenFile(name, os.O_RDONLY, 0)
}

// enter is Enter for the storage operation op on name, named what in a
// report, or the error of one made after the simulation ended, in a
// test's cleanup (sim.World.Outlived): the disk ended with it.
func (s storage) enter(what, op, name string) error {
	if err := s.d.w.EnterUnlessEnded(what, fs.ErrClosed); err != nil {
		return pathErr(op, name, err)
	}
	return nil
}

func (s storage) Create(name string) (providers.File, error) {
	return s.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

func (s storage) OpenFile(name string, flag int, perm fs.FileMode) (providers.File, error) {
	d := s.d
	if err := s.enter("storage open", "openat", name); err != nil {
		return nil, err
	}
	c, err := pathcheck.Name("openat", name)
	if err != nil {
		return nil, err
	}
	if s.p != nil && s.p.exited {
		return nil, pathErr("openat", name, exitedError{d.addr})
	}
	if err := pathcheck.Flags(name, flag); err != nil {
		return nil, err
	}
	write := flag&(os.O_WRONLY|os.O_RDWR) != 0
	kind := opRead
	var n *node
	dir, base, werr := d.walk("openat", name, c)
	if werr == nil {
		n = dir.kids[base]
		if base == "." {
			n = d.root
		}
		if n == nil && flag&os.O_CREATE != 0 || n != nil && !n.dir && flag&os.O_TRUNC != 0 {
			kind = opWrite
		}
	}
	open := func() error {
		switch {
		case werr != nil:
			return werr
		case n == nil && flag&os.O_CREATE == 0:
			return pathErr("openat", name, syscall.ENOENT)
		case n == nil && !dir.allows(permWrite):
			return pathErr("openat", name, syscall.EACCES)
		case n == nil:
			n = d.newFile(perm, d.w.Now())
			dir.kids[base] = n
			dir.mtime = d.w.Now()
			d.logChange(nsChange{kind: nsCreate, n: n, to: dir, toName: base, newPath: c})
			return nil
		case flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL:
			return pathErr("openat", name, syscall.EEXIST)
		case n.dir && (write || flag&(os.O_CREATE|os.O_TRUNC) != 0):
			return pathErr("openat", name, syscall.EISDIR)
		}
		if err := permitted(n, openPerm(flag), "openat", name); err != nil {
			return err
		}
		if flag&os.O_TRUNC != 0 && n.c.size > 0 {
			n.c.truncate(0)
			n.mtime = d.w.Now()
		}
		return nil
	}
	var f *file
	err = d.op(kind, "open", name, "", func() error {
		err := open()
		if err == nil {
			// Counted now, not once the open returns: a remove while it
			// waits must leave the file's pages alone. And the process's
			// now: if it dies while the open waits, its exit closes the
			// handle it never got.
			d.opened(n)
			f = &file{d: d, n: n, name: name, flag: flag, gen: d.gen}
			s.p.add(f)
		}
		return err
	})
	if err != nil {
		if f != nil {
			f.leave() // ended by a crash while it waited
		}
		return nil, err
	}
	return f, nil
}

func (s storage) Stat(name string) (fs.FileInfo, error) {
	d := s.d
	if err := s.enter("storage stat", "statat", name); err != nil {
		return nil, err
	}
	c, err := pathcheck.Name("statat", name)
	if err != nil {
		return nil, err
	}
	var fi fs.FileInfo
	err = d.op(opRead, "stat", name, "", func() error {
		n, err := d.lookup("statat", name, c)
		if err == nil {
			fi = n.info(c)
		}
		return err
	})
	return fi, err
}

func (s storage) ReadDir(name string) ([]fs.DirEntry, error) {
	d := s.d
	if err := s.enter("storage readdir", "openat", name); err != nil {
		return nil, err
	}
	c, err := pathcheck.Name("openat", name)
	if err != nil {
		return nil, err
	}
	var out []fs.DirEntry
	err = d.op(opRead, "readdir", name, "", func() error {
		n, err := d.lookup("openat", name, c)
		switch {
		case err != nil:
			return err
		case !n.allows(permRead):
			return pathErr("openat", name, syscall.EACCES)
		case !n.dir:
			return pathErr("readdirent", name, syscall.ENOTDIR)
		}
		for _, k := range slices.Sorted(maps.Keys(n.kids)) {
			out = append(out, fs.FileInfoToDirEntry(n.kids[k].info(k)))
		}
		return nil
	})
	return out, err
}

func (s storage) Mkdir(name string, perm fs.FileMode) error {
	d := s.d
	if err := s.enter("storage mkdir", "mkdirat", name); err != nil {
		return err
	}
	c, err := pathcheck.Name("mkdirat", name)
	if err != nil {
		return err
	}
	return d.op(opWrite, "mkdir", name, "", func() error {
		dir, base, err := d.walk("mkdirat", name, c)
		switch {
		case err != nil:
			return err
		case base == ".":
			return pathErr("mkdirat", name, syscall.EEXIST)
		case dir.kids[base] != nil:
			return pathErr("mkdirat", name, syscall.EEXIST)
		case !dir.allows(permWrite):
			return pathErr("mkdirat", name, syscall.EACCES)
		}
		n := newDir(perm, d.w.Now())
		dir.kids[base] = n
		dir.mtime = d.w.Now()
		d.logChange(nsChange{kind: nsMkdir, n: n, to: dir, toName: base, newPath: c})
		return nil
	})
}

func (s storage) MkdirAll(name string, perm fs.FileMode) error {
	d := s.d
	if err := s.enter("storage mkdir", "mkdirat", name); err != nil {
		return err
	}
	c, err := pathcheck.Name("mkdirat", name)
	if err != nil {
		return err
	}
	return d.op(opWrite, "mkdir", name, "", func() error {
		if c == "." {
			return nil
		}
		dir := d.root
		elems := strings.Split(c, "/")
		end := 0 // where elems[:i+1] ends in c
		for i, e := range elems {
			end += len(e)
			if i > 0 {
				end++
			}
			// The errors name the directory the step was at, as
			// os.Root's MkdirAll does: it opens each directory short of
			// the last, making those missing, and makes the last.
			at := c[:end]
			last := i == len(elems)-1
			if !dir.allows(permExec) {
				if last {
					return pathErr("mkdirat", at, syscall.EACCES)
				}
				return pathErr("openat", at, syscall.EACCES)
			}
			k, ok := dir.kids[e]
			switch {
			case !ok && !dir.allows(permWrite):
				return pathErr("mkdirat", at, syscall.EACCES)
			case !ok:
				k = newDir(perm, d.w.Now())
				dir.kids[e] = k
				dir.mtime = d.w.Now()
				d.logChange(nsChange{kind: nsMkdir, n: k, to: dir, toName: e, newPath: c[:end]})
			case !k.dir && last:
				return pathErr("mkdirat", at, syscall.EEXIST)
			case !k.dir:
				return pathErr("openat", at, syscall.ENOTDIR)
			}
			// Opening it, O_RDONLY, needs its r.
			if !last && !k.allows(permRead) {
				return pathErr("openat", at, syscall.EACCES)
			}
			dir = k
		}
		return nil
	})
}

func (s storage) Remove(name string) error {
	d := s.d
	if err := s.enter("storage remove", "removeat", name); err != nil {
		return err
	}
	c, err := pathcheck.Name("removeat", name)
	if err != nil {
		return err
	}
	return d.op(opWrite, "remove", name, "", func() error {
		if c == "." {
			return pathErr("removeat", name, errRemoveRoot)
		}
		dir, base, err := d.walk("removeat", name, c)
		if err != nil {
			return err
		}
		n, ok := dir.kids[base]
		switch {
		case !ok:
			return pathErr("removeat", name, syscall.ENOENT)
		case !dir.allows(permWrite):
			return pathErr("removeat", name, syscall.EACCES)
		case n.dir && len(n.kids) > 0:
			return pathErr("removeat", name, syscall.ENOTEMPTY)
		}
		delete(dir.kids, base)
		dir.mtime = d.w.Now()
		d.logChange(nsChange{kind: nsRemove, n: n, from: dir, fromName: base, oldPath: c})
		d.revivable(n)
		d.unlink(n)
		return nil
	})
}

func (s storage) Rename(oldname, newname string) error {
	d := s.d
	if err := s.enter("storage rename", "renameat", oldname); err != nil {
		return &os.LinkError{Op: "renameat", Old: oldname, New: newname, Err: err.(*fs.PathError).Err}
	}
	oc, nc, err := pathcheck.Rename(oldname, newname)
	if err != nil {
		return err
	}
	// The errors name both paths, as os.LinkError does.
	fail := func(err error) error {
		return &os.LinkError{Op: "renameat", Old: oldname, New: newname, Err: err}
	}
	var moved bool
	return d.opMoving(opWrite, "rename", oldname, newname, &moved, func() error {
		// The checks in the order package os makes them (os.Root):
		// both parents, then a directory at newname, then oldname.
		odir, obase, err := d.walk("renameat", oldname, oc)
		if err != nil {
			return fail(err.(*fs.PathError).Err)
		}
		ndir, nbase, err := d.walk("renameat", newname, nc)
		if err != nil {
			return fail(err.(*fs.PathError).Err)
		}
		n, ok := odir.kids[obase]
		t, exists := ndir.kids[nbase]
		// The root, from or to, fails as Linux fails it: the root is a
		// directory at newname (EEXIST) once oldname exists, and as
		// oldname it is busy (EBUSY).
		switch {
		case nc == "." && (ok || oc == "."):
			return fail(syscall.EEXIST)
		case nc == ".":
			return fail(syscall.ENOENT)
		case oc == "." && exists && t.dir:
			return fail(syscall.EEXIST)
		case oc == ".":
			return fail(syscall.EBUSY)
		}
		switch {
		case exists && t.dir && ok:
			// Package os refuses any directory as the target, on every
			// platform, even an empty one, even oldname itself.
			return fail(syscall.EEXIST)
		case !ok:
			return fail(syscall.ENOENT)
		case oc == nc:
			return nil
		case !odir.allows(permWrite) || !ndir.allows(permWrite):
			return fail(syscall.EACCES)
		case n.dir && odir != ndir && !n.allows(permWrite):
			// Its ".." changes, as Linux requires.
			return fail(syscall.EACCES)
		case n.dir && strings.HasPrefix(nc, oc+"/"):
			return fail(errRenameInside)
		case exists && n.dir:
			return fail(syscall.ENOTDIR)
		}
		delete(odir.kids, obase)
		ndir.kids[nbase] = n
		odir.mtime, ndir.mtime = d.w.Now(), d.w.Now()
		ch := nsChange{kind: nsRename, n: n, from: odir, fromName: obase, to: ndir, toName: nbase, oldPath: oc, newPath: nc}
		if exists {
			ch.replaced = t
			d.revivable(t)
			d.unlink(t)
		}
		d.logChange(ch)
		moved = n.c != nil && n.c.unsynced()
		return nil
	})
}
