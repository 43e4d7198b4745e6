package providers

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moonpool-go/moonpool/internal/pathcheck"
)

// OSStorage is the production [Storage]: package os, confined to a
// directory by an [os.Root], so that no name, symbolic link included, can
// reach outside it. Its files are *os.File underneath, with every method
// of one (Fd and SyscallConn among them), except that Name returns the
// name given to open the file, relative to the root, where os.Root's
// names the file by its path on the machine.
//
// [Real] cannot know which directory a program keeps its data in, so it
// leaves Providers.Storage nil; a program opens its directory and sets it:
//
//	st, err := providers.OpenOSStorage("/var/lib/myapp")
//	if err != nil { ... }
//	defer st.Close()
//	p := providers.Real()
//	p.Storage = st
type OSStorage struct {
	root *os.Root
}

var _ Storage = (*OSStorage)(nil)

// OpenOSStorage returns a Storage rooted in the directory dir, which must
// exist. Close it when done.
func OpenOSStorage(dir string) (*OSStorage, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("providers: open storage: %w (the directory must exist; create it first, with os.MkdirAll)", err)
	}
	return &OSStorage{root: root}, nil
}

// Close releases the directory. Files opened from it stay open.
func (s *OSStorage) Close() error { return s.root.Close() }

// Dir returns the directory s is rooted in, as given to [OpenOSStorage].
func (s *OSStorage) Dir() string { return s.root.Name() }

// osName checks and cleans name, and converts it to the platform's
// separators.
func osName(op, name string) (string, error) {
	c, err := pathcheck.Name(op, name)
	if err != nil {
		return "", err
	}
	return filepath.FromSlash(c), nil
}

// Open opens the named file for reading.
func (s *OSStorage) Open(name string) (File, error) {
	return s.OpenFile(name, os.O_RDONLY, 0)
}

// Create creates or truncates the named file for reading and writing.
func (s *OSStorage) Create(name string) (File, error) {
	return s.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// OpenFile opens the named file with flag and, when it creates it, perm.
func (s *OSStorage) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	n, err := osName("openat", name)
	if err != nil {
		return nil, err
	}
	if err := pathcheck.Flags(name, flag); err != nil {
		return nil, err
	}
	f, err := s.root.OpenFile(n, flag, perm)
	if err != nil {
		return nil, err
	}
	return &osFile{File: f, name: name}, nil
}

// osFile is an *os.File named as a simulated disk names its files: by the
// name given to open it. os.Root names its files by their path on the
// machine, a name the Storage refuses, so code that renames or reopens a
// file by its Name would work in a simulation and fail in production.
type osFile struct {
	*os.File
	name string
}

// Name returns the name the file was opened with.
func (f *osFile) Name() string { return f.name }

// Stat describes the named file or directory.
func (s *OSStorage) Stat(name string) (fs.FileInfo, error) {
	n, err := osName("statat", name)
	if err != nil {
		return nil, err
	}
	return s.root.Stat(n)
}

// ReadDir lists the named directory, sorted by name.
func (s *OSStorage) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := osName("openat", name)
	if err != nil {
		return nil, err
	}
	d, err := s.root.Open(n)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, err
}

// Mkdir makes the named directory.
func (s *OSStorage) Mkdir(name string, perm fs.FileMode) error {
	n, err := osName("mkdirat", name)
	if err != nil {
		return err
	}
	return s.root.Mkdir(n, perm)
}

// MkdirAll makes the named directory and any missing parents.
func (s *OSStorage) MkdirAll(name string, perm fs.FileMode) error {
	n, err := osName("mkdirat", name)
	if err != nil {
		return err
	}
	return s.root.MkdirAll(n, perm)
}

// Remove removes the named file or empty directory.
func (s *OSStorage) Remove(name string) error {
	n, err := osName("removeat", name)
	if err != nil {
		return err
	}
	return s.root.Remove(n)
}

// Rename renames oldname to newname.
func (s *OSStorage) Rename(oldname, newname string) error {
	o, n, err := pathcheck.Rename(oldname, newname)
	if err != nil {
		return err
	}
	return s.root.Rename(filepath.FromSlash(o), filepath.FromSlash(n))
}
