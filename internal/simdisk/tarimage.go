package simdisk

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/internal/pathcheck"
	"github.com/moonpool-go/moonpool/internal/plural"
)

// A disk's image is a tar archive of its durable namespace: a directory
// entry for each directory and a regular file for each file, in path
// order (a directory before what it holds), each with its permission
// bits and its durable bytes, and nothing else that varies: every
// entry's time is the Unix epoch, its owner 0 and unnamed. The same disk
// gives the same bytes, and tar -tvf, tar -xf and archive/tar read it.

// imageTime is every entry's modification time: none that varies.
var imageTime = time.Unix(0, 0).UTC()

// Save writes the disk's durable image to w as a tar archive: what a
// power loss now would keep if it tore no write. Each file holds its
// synced bytes up to its synced size; what was written and not synced,
// by a handle still open or one closed, is left out, as is a truncation
// not synced (the file holds its old bytes), a removed file that a handle
// still holds, and what failed syncs lost. A never-written sector within
// a file's size holds what a read of it returns (zeros, or the disk's
// garbage with chaos.Storage.UnwrittenGarbage). Namespace changes are
// durable, unless LoseUnsyncedDirectories is on and some are pending:
// then Save refuses, as which of them a crash keeps is drawn. A Stop of
// the disk first makes the image everything written; a Crash first makes
// it what that crash kept. Save draws nothing and records nothing.
func (d *Disk) Save(w io.Writer) error {
	if d.cfg.LoseUnsyncedDirectories && len(d.pending) > 0 {
		return fmt.Errorf("disk %s: %s whose directories were not synced may be undone by a crash, so the disk has no one durable image (LoseUnsyncedDirectories is on); Stop or Crash the disk before Save, or sync the directories",
			d.addr, plural.Count(len(d.pending), "namespace change"))
	}
	tw := tar.NewWriter(w)
	buf := make([]byte, SectorSize)
	var walk func(prefix string, dir *node) error
	walk = func(prefix string, dir *node) error {
		for _, name := range slices.Sorted(maps.Keys(dir.kids)) {
			n := dir.kids[name]
			hdr := &tar.Header{Name: prefix + name, Mode: int64(n.mode.Perm()), ModTime: imageTime, Typeflag: tar.TypeReg}
			if n.dir {
				hdr.Name += "/"
				hdr.Typeflag = tar.TypeDir
			} else {
				hdr.Size = n.c.dsize
			}
			if err := tw.WriteHeader(hdr); err != nil {
				return fmt.Errorf("disk %s: writing the image's entry %s: %w", d.addr, hdr.Name, err)
			}
			if n.dir {
				if err := walk(hdr.Name, n); err != nil {
					return err
				}
				continue
			}
			c := n.c
			for s := int64(0); s*SectorSize < c.dsize; s++ {
				b := c.durable.get(s)
				if b == nil {
					c.unwritten(s, buf)
					b = buf
				}
				if _, err := tw.Write(b[:min(SectorSize, c.dsize-s*SectorSize)]); err != nil {
					return fmt.Errorf("disk %s: writing the image's file %s: %w", d.addr, hdr.Name, err)
				}
			}
		}
		return nil
	}
	if err := walk("", d.root); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("disk %s: writing the image: %w", d.addr, err)
	}
	return nil
}

// Load replaces the disk's contents with the image read from r, a tar
// archive of regular files and directories such as Save writes: every
// file and directory is erased, as by a wipe, and the image's are durable
// on the disk, with their permission bits; directories the archive does
// not list are made 0755, and an entry for the root itself ("./", as
// tar -C dir -cf makes) is passed over: the root is 0755 on every disk.
// Load refuses, and leaves the disk as it was, when a file on the disk
// is open (a process using it boots after the Load, or goes down before
// it), or when the archive is not one, names a path outside the root or
// one twice, holds an entry of another kind (a link, a device), or takes
// more than the disk's Capacity. Load draws nothing; it records one
// event, which the trace hears.
func (d *Disk) Load(r io.Reader) error {
	if open := d.openFiles(); open != "" {
		return fmt.Errorf("disk %s: %s open; load the image before the processes that use the disk boot, or take them down first", d.addr, open)
	}
	root, files, dirs, bytes, err := d.readImage(r)
	if err != nil {
		return fmt.Errorf("disk %s: %w", d.addr, err)
	}
	if c := d.cfg.Capacity; c > 0 {
		var used int64
		var sum func(n *node)
		sum = func(n *node) {
			for _, k := range n.kids { // a sum: the order does not matter
				if k.dir {
					sum(k)
				} else {
					used += ceilSectors(k.c.size) * SectorSize
				}
			}
		}
		sum(root)
		if used > c {
			return fmt.Errorf("disk %s: the image's files take %d bytes in whole sectors, more than the disk's capacity of %d; raise chaos.Storage.Capacity for this disk (simtest.DiskStorage)", d.addr, used, c)
		}
	}
	d.gen++
	d.commitNamespace()
	d.walkFiles(func(_ string, c *content) { c.release() })
	d.handlesEnded()
	d.root = root
	d.eventAs("", "load", "the image's %s and %s (%s) replace every file", plural.Count(files, "file"), directories(dirs), plural.Count(int(bytes), "byte"))
	return nil
}

// openFiles names the disk's files that a handle that works holds, "2
// files (a, b) are", or is empty when none does.
func (d *Disk) openFiles() string {
	var open namedFiles
	var walk func(prefix string, n *node)
	walk = func(prefix string, n *node) {
		for _, name := range slices.Sorted(maps.Keys(n.kids)) {
			k := n.kids[name]
			switch {
			case k.dir:
				walk(prefix+name+"/", k)
			case d.inUse(k):
				open.add(prefix+name, "")
			}
		}
	}
	walk("", d.root)
	for range d.orphans {
		open.add("(removed)", "")
	}
	if open.n == 0 {
		return ""
	}
	if open.n == 1 {
		return open.String() + " is"
	}
	return open.String() + " are"
}

// readImage reads a tar archive into a new root: nothing of the disk
// changes until it has read the whole archive well.
func (d *Disk) readImage(r io.Reader) (root *node, files, dirs int, bytes int64, err error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(2)
	switch {
	case len(head) == 0:
		return nil, 0, 0, 0, errors.New("the image is empty (0 bytes); give Load an archive that Save wrote, or one made by tar -cf")
	case head[0] == 0x1f && len(head) == 2 && head[1] == 0x8b:
		return nil, 0, 0, 0, errors.New("the image is gzip-compressed; decompress it first (gzip.NewReader), or save it uncompressed")
	}
	now := d.w.Now()
	root = newDir(0o755, now)
	seen := map[string]bool{}
	tr := tar.NewReader(br)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return root, files, dirs, bytes, nil
		}
		if err != nil {
			return nil, 0, 0, 0, fmt.Errorf("the image is not a readable tar archive: %w; give Load an archive that Save wrote, or one made by tar -cf", err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue // metadata of the archive, such as git archive's commit
		}
		name, err := imageName(hdr.Name)
		if err != nil {
			return nil, 0, 0, 0, err
		}
		if seen[name] {
			return nil, 0, 0, 0, fmt.Errorf("the image's entry %q names %s a second time; keep one entry per path in the archive", hdr.Name, name)
		}
		seen[name] = true
		perm := fs.FileMode(hdr.Mode).Perm()
		switch hdr.Typeflag {
		case tar.TypeDir:
			if name == "." {
				continue // the root, 0755 on every disk
			}
			n, made, err := makeDirs(root, name, now)
			if err != nil {
				return nil, 0, 0, 0, fmt.Errorf("the image's entry %q: %w", hdr.Name, err)
			}
			n.mode = fs.ModeDir | perm
			dirs += made
		case tar.TypeReg:
			if name == "." {
				return nil, 0, 0, 0, fmt.Errorf("the image's entry %q is a file in place of the root; name files by their paths under the root", hdr.Name)
			}
			parent, made, err := makeDirs(root, path.Dir(name), now)
			if err != nil {
				return nil, 0, 0, 0, fmt.Errorf("the image's entry %q: %w", hdr.Name, err)
			}
			dirs += made
			base := name[strings.LastIndexByte(name, '/')+1:]
			if k, ok := parent.kids[base]; ok && k.dir {
				return nil, 0, 0, 0, fmt.Errorf("the image's entry %q is a file where an earlier entry made a directory; keep one entry per path in the archive", hdr.Name)
			}
			n := d.newFile(perm, now)
			n.mode = perm
			if err := n.c.load(tr, hdr.Size); err != nil {
				return nil, 0, 0, 0, fmt.Errorf("the image's file %q is cut short (%w); the archive is truncated: save it again", hdr.Name, err)
			}
			parent.kids[base] = n
			files++
			bytes += hdr.Size
		default:
			return nil, 0, 0, 0, fmt.Errorf("the image's entry %q is %s; a disk's image holds regular files and directories alone: put a copy of what it points to in its place, or leave it out of the archive", hdr.Name, entryKind(hdr.Typeflag))
		}
	}
}

// imageName cleans an entry's name, or refuses one outside the root.
func imageName(name string) (string, error) {
	c, err := pathcheck.Name("load", strings.TrimSuffix(name, "/"))
	switch {
	case name == "./" || name == ".":
		return ".", nil
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) && errors.Is(pe.Err, pathcheck.ErrOutsideRoot) {
			return "", fmt.Errorf("the image's entry %q is outside the disk's root; make the archive from inside the directory it copies (tar -C dir -cf image.tar .), with no absolute path or .. in a name", name)
		}
		return "", fmt.Errorf("the image's entry %q has a name no disk takes (%w); rename it in the archive", name, err)
	}
	return c, nil
}

// makeDirs returns the directory name under root, making it and the
// directories above it (0755) that do not exist yet, and how many it made.
func makeDirs(root *node, name string, now time.Duration) (*node, int, error) {
	dir, made := root, 0
	if name == "." {
		return root, 0, nil
	}
	for i, e := range strings.Split(name, "/") {
		k, ok := dir.kids[e]
		switch {
		case !ok:
			k = newDir(0o755, now)
			dir.kids[e] = k
			made++
		case !k.dir:
			at := strings.Join(strings.Split(name, "/")[:i+1], "/")
			return nil, 0, fmt.Errorf("%s is a file in the archive, not a directory; keep one entry per path in the archive", at)
		}
		dir = k
	}
	return dir, made, nil
}

// load fills c, a new file, with n bytes from r, durable.
func (c *content) load(r io.Reader, n int64) error {
	for s := int64(0); s*SectorSize < n; s++ {
		b := c.durable.put(s)
		if _, err := io.ReadFull(r, b[:min(SectorSize, n-s*SectorSize)]); err != nil {
			return err
		}
	}
	c.size, c.dsize = n, n
	return nil
}

// directories counts n directories: "1 directory", "2 directories".
func directories(n int) string {
	if n == 1 {
		return "1 directory"
	}
	return fmt.Sprintf("%d directories", n)
}

// entryKind names what a tar entry of type t is, for an error.
func entryKind(t byte) string {
	switch t {
	case tar.TypeSymlink:
		return "a symbolic link"
	case tar.TypeLink:
		return "a hard link"
	case tar.TypeChar, tar.TypeBlock:
		return "a device"
	case tar.TypeFifo:
		return "a named pipe"
	}
	return fmt.Sprintf("of tar type %q, neither a regular file nor a directory", t)
}
