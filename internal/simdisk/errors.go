package simdisk

import (
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/moonpool-go/moonpool/providers"
)

// invalidError is a reason that matches fs.ErrInvalid.
type invalidError string

func (e invalidError) Error() string        { return string(e) }
func (e invalidError) Is(target error) bool { return target == fs.ErrInvalid }

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
	errRemoveRoot     = invalidError("the root of the storage cannot be removed or renamed")
	errRenameInside   = invalidError("a directory cannot be moved inside itself")
	errBadWhence      = invalidError("invalid whence; use io.SeekStart, io.SeekCurrent or io.SeekEnd")
	errFlags          = invalidError("unsupported open flags; use os.O_RDONLY, O_WRONLY or O_RDWR, with O_APPEND, O_CREATE, O_EXCL, O_TRUNC or O_SYNC")
	errFlagsAccess    = invalidError("os.O_WRONLY and os.O_RDWR together; use os.O_RDWR to read and write")
)

func pathErr(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// The flags a Storage understands, as providers documents them.
const openFlags = os.O_RDONLY | os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREATE | os.O_EXCL | os.O_TRUNC | os.O_SYNC

// cleanName cleans name for op, as providers.Storage specifies, or returns
// the error that refuses it.
func cleanName(op, name string) (string, error) {
	if name == "" {
		return "", pathErr(op, name, fs.ErrNotExist)
	}
	if strings.HasPrefix(name, "/") {
		return "", pathErr(op, name, providers.ErrOutsideRoot)
	}
	c := path.Clean(name)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", pathErr(op, name, providers.ErrOutsideRoot)
	}
	return c, nil
}

func checkFlags(name string, flag int) error {
	if flag&^openFlags != 0 {
		return pathErr("open", name, errFlags)
	}
	if flag&(os.O_WRONLY|os.O_RDWR) == os.O_WRONLY|os.O_RDWR {
		return pathErr("open", name, errFlagsAccess)
	}
	return nil
}
