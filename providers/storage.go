package providers

import (
	"io"
	"io/fs"

	"github.com/moonpool-go/moonpool/internal/pathcheck"
)

// Storage is a directory tree of files, rooted somewhere the code under
// test cannot climb out of: the seam through which it reaches a disk. Its
// shape is package os's (os.Root's methods, *os.File's), so code written
// against it reads like ordinary Go file handling.
//
// In production, [OpenOSStorage] gives a Storage over package os, rooted
// in a directory. In a simulation, each process gets the Storage of its
// own simulated disk, whose operations take simulated time and which may
// corrupt, misdirect, lose or tear what it stores, and crash.
//
// # Names
//
// Names are slash-separated paths relative to the root, as in io/fs, on
// every platform. A name is cleaned (path.Clean) before use, so "a/../b" is
// "b", "." is the root, and "file/" is "file" (where Linux's open(2) would
// say ENOTDIR); an absolute name, or one that climbs out of the
// root, fails with [ErrOutsideRoot]. The empty name does not exist. A name
// holding a NUL byte fails with syscall.EINVAL, and one with an element
// longer than 255 bytes with syscall.ENAMETOOLONG, on every platform.
//
// # Semantics
//
// POSIX's, as Linux gives them: [Storage.OpenFile] takes os.O_* flags
// (O_RDONLY, O_WRONLY or O_RDWR, with O_APPEND, O_CREATE, O_EXCL, O_TRUNC,
// O_SYNC) and a permission used when it creates the file; other flags fail
// with [fs.ErrInvalid]. Data written is visible to every reader at once but
// durable only after [File.Sync]: a crash may lose what was written since.
// Removing an open file unlinks its name; the open File goes on working.
// [Storage.Rename] replaces a file atomically. Where Go's os package is
// stricter than Linux (it refuses any directory as a rename's target), a
// Storage follows package os.
//
// # Errors
//
// Errors are those of package os: an *[fs.PathError] naming the operation
// and the name, wrapping a reason that errors.Is matches with
// [fs.ErrNotExist], [fs.ErrExist], [fs.ErrClosed], [fs.ErrInvalid] or
// [fs.ErrPermission] where one fits, and otherwise a syscall.Errno
// (EINVAL, EISDIR, ENOTDIR, ENOTEMPTY, EBADF, EIO) as Linux reports it.
// A rename fails with an *os.LinkError, as os.Root's does, whatever was
// wrong. ReadAt and WriteAt refuse a negative offset as *os.File does,
// with an *fs.PathError whose reason matches no sentinel, and WriteAt
// refuses a file opened with O_APPEND with package os's bare error. A
// failed sync reports syscall.EIO.
//
// # Simulation
//
// A simulated Storage may be used only from the tasks of its simulation: a
// call blocks the calling task for the operation's simulated time. Its
// directory metadata (creating, renaming, removing, making directories) is
// durable when the call returns, as on a file system that journals
// metadata synchronously; file data and file sizes are durable at
// [File.Sync]. Permissions are kept, for Stat, but not enforced.
type Storage interface {
	// Open opens the named file for reading, as os.Open does.
	Open(name string) (File, error)
	// Create creates or truncates the named file, opened for reading and
	// writing, as os.Create does, with permission 0666.
	Create(name string) (File, error)
	// OpenFile opens the named file with flag (os.O_RDONLY and so on),
	// creating it with permission perm if flag holds os.O_CREATE and it
	// does not exist. A directory may be opened read-only, to Stat or Sync
	// it; reading it fails.
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	// Stat describes the named file or directory.
	Stat(name string) (fs.FileInfo, error)
	// ReadDir lists the named directory, sorted by name.
	ReadDir(name string) ([]fs.DirEntry, error)
	// Mkdir makes the named directory, whose parent must exist.
	Mkdir(name string, perm fs.FileMode) error
	// MkdirAll makes the named directory and any missing parents; a
	// directory that exists already is not an error.
	MkdirAll(name string, perm fs.FileMode) error
	// Remove removes the named file or empty directory.
	Remove(name string) error
	// Rename renames oldname to newname, replacing a file at newname
	// atomically. As with os.Rename, a directory at newname is an error
	// (fs.ErrExist), even an empty one.
	Rename(oldname, newname string) error
}

// File is an open file of a [Storage]: the methods of *os.File that work
// on regular files. Read, Write and Seek share the file's offset; ReadAt
// and WriteAt do not use it. After Close every method fails with an error
// matching [fs.ErrClosed].
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.WriterAt
	io.Seeker
	io.Closer
	// Name returns the name the file was opened with, as it was given to
	// Open, Create or OpenFile: relative to the root and not cleaned
	// ("a//b" stays "a//b"), so that it can be given back to the Storage.
	Name() string
	// Stat describes the file.
	Stat() (fs.FileInfo, error)
	// Sync makes what was written to the file durable: a crash after Sync
	// returns nil keeps it. An error means some of it may be lost, and a
	// later Sync will not write it again (see chaos.Storage.SyncFailureProb).
	Sync() error
	// Truncate changes the size of the file. The bytes it grows the file
	// by were never written: they read as zeros, as POSIX promises, on the
	// operating system's file system and on a simulated disk without
	// faults, but as garbage on a simulated disk with
	// chaos.Storage.UnwrittenGarbage (on in chaos.DefaultStorage), as
	// never-written space can on a raw device or after a crash. Code that
	// takes zeros for "nothing here yet" should check what it reads.
	Truncate(size int64) error
}

// ErrOutsideRoot is the reason a [Storage] refuses a name that is absolute
// or climbs out of its root.
var ErrOutsideRoot = pathcheck.ErrOutsideRoot
