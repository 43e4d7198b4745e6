package providers

import (
	"io"
	"io/fs"
	"os"
	"syscall"
)

// StorageFS returns a read-only [fs.FS] over s, so that fs.ReadFile,
// fs.WalkDir, fs.Glob, template.ParseFS and the like read a Storage. It
// implements [fs.StatFS] and [fs.ReadDirFS]. Names are io/fs names
// ([fs.ValidPath]), stricter than a Storage's: no "..", no leading or
// trailing slash. Opening a directory gives an [fs.ReadDirFile].
//
// Over a simulated Storage, its reads take simulated time and may meet the
// disk's faults, like any other read.
func StorageFS(s Storage) fs.FS { return storageFS{s} }

type storageFS struct{ s Storage }

var (
	_ fs.StatFS    = storageFS{}
	_ fs.ReadDirFS = storageFS{}
)

func (f storageFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	file, err := f.s.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	info, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, err
	}
	if !info.IsDir() {
		return file, nil
	}
	return &dirFile{fsys: f, name: name, file: file}, nil
}

func (f storageFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	return f.s.Stat(name)
}

func (f storageFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	return f.s.ReadDir(name)
}

// dirFile is an open directory of a storageFS. It lists the directory on
// the first ReadDir and hands the entries out from that list.
type dirFile struct {
	fsys    storageFS
	name    string
	file    File // the directory opened read-only, for Stat and Close
	entries []fs.DirEntry
	listed  bool
	closed  bool
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.file.Stat() }

func (d *dirFile) Read([]byte) (int, error) {
	if d.closed {
		return 0, &fs.PathError{Op: "read", Path: d.name, Err: fs.ErrClosed}
	}
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: syscall.EISDIR}
}

func (d *dirFile) Close() error {
	if d.closed {
		return &fs.PathError{Op: "close", Path: d.name, Err: fs.ErrClosed}
	}
	d.closed = true
	return d.file.Close()
}

// ReadDir returns the next n entries, or with n <= 0 all that are left, as
// fs.ReadDirFile says.
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.closed {
		return nil, &fs.PathError{Op: "readdir", Path: d.name, Err: fs.ErrClosed}
	}
	if !d.listed {
		entries, err := d.fsys.s.ReadDir(d.name)
		if err != nil {
			return nil, err
		}
		d.entries, d.listed = entries, true
	}
	if n <= 0 {
		out := d.entries
		d.entries = nil
		return out, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	k := min(n, len(d.entries))
	out := d.entries[:k:k]
	d.entries = d.entries[k:]
	return out, nil
}
