package simdisk

import (
	"io/fs"

	"github.com/moonpool-go/moonpool/internal/pathcheck"
)

// invalidError is a reason that matches fs.ErrInvalid. The names and open
// flags a Storage refuses are checked by package pathcheck, with
// providers.OSStorage.
type invalidError = pathcheck.Invalid

// goneError is the reason a File opened before a crash, stop or wipe of its
// disk fails: the process that opened it is gone. It matches fs.ErrClosed.
type goneError struct{ addr string }

func (e goneError) Error() string {
	return "the file was opened before disk " + e.addr + " crashed, stopped or was wiped; open it again"
}
func (e goneError) Is(target error) bool { return target == fs.ErrClosed }

const (
	errNegativeOffset = invalidError("negative offset")
	errAppendWriteAt  = invalidError("invalid use of WriteAt on a file opened with O_APPEND; use Write, which appends")
	errOffsetTooLarge = invalidError("offset too large: the write would end past the largest int64 offset")
	errRemoveRoot     = invalidError("the root of the storage cannot be removed")
	errRenameInside   = invalidError("a directory cannot be moved inside itself")
	errBadWhence      = invalidError("invalid whence; use io.SeekStart, io.SeekCurrent or io.SeekEnd")
)

func pathErr(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: name, Err: err}
}
