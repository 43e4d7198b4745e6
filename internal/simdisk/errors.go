package simdisk

import (
	"errors"
	"io/fs"
	"syscall"

	"github.com/moonpool-go/moonpool/internal/pathcheck"
)

// invalidError is a reason that matches fs.ErrInvalid. The names and open
// flags a Storage refuses are checked by package pathcheck, with
// providers.OSStorage.
type invalidError = pathcheck.Invalid

// goneError is the reason a File opened before a crash, kill, stop or wipe
// of its disk fails: the process that opened it is gone. It matches
// fs.ErrClosed.
type goneError struct{ addr string }

func (e goneError) Error() string {
	return "the file was opened before disk " + e.addr + " went down (a crash, a kill, a stop or a wipe); open it again"
}
func (e goneError) Is(target error) bool { return target == fs.ErrClosed }

// exitedError is the reason a File fails once the process that opened it
// exited (Process.Exit): its descriptors closed with it. It matches
// fs.ErrClosed.
type exitedError struct{ addr string }

func (e exitedError) Error() string {
	return "the file was opened on disk " + e.addr + " by a process that has since ended; its next boot opens it again"
}
func (e exitedError) Is(target error) bool { return target == fs.ErrClosed }

// The reasons Linux reports as EINVAL are package os's: the bare
// syscall.EINVAL, which errors.As finds as a syscall.Errno, whose text is
// Linux's ("invalid argument"), and which does not match fs.ErrInvalid,
// so that code that tests for either, or logs the error, sees the same in
// simulation as in production.
const (
	errOffsetTooLarge = syscall.EINVAL // the write would end past the largest int64 offset
	errRemoveRoot     = syscall.EINVAL // the root of the storage cannot be removed
	errRenameInside   = syscall.EINVAL // a directory cannot be moved inside itself
	errBadWhence      = syscall.EINVAL // not io.SeekStart, io.SeekCurrent or io.SeekEnd
	errNegativeSize   = syscall.EINVAL
	errNegativeSeek   = syscall.EINVAL // the position would be negative
)

// The errors *os.File gives ReadAt and WriteAt, with its words, so that
// code that tests them or logs them sees the same in a simulation as in
// production: a negative offset is an *fs.PathError whose reason matches
// no sentinel, and WriteAt on an O_APPEND file is not an *fs.PathError.
var (
	errNegativeOffset = errors.New("negative offset")
	errAppendWriteAt  = errors.New("os: invalid use of WriteAt on file opened with O_APPEND")
)

func pathErr(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: name, Err: err}
}
