// Package pathcheck holds the checks every providers.Storage makes on the
// names and open flags it is given, with the errors that refuse them: the
// one in package os (providers.OSStorage) and the simulated one (package
// simdisk) share them, so that both refuse the same calls with the same
// errors.
package pathcheck

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
)

// NameMax is the longest element of a name a Storage takes, in bytes: Linux's
// NAME_MAX, which most file systems share. A longer one fails with
// syscall.ENAMETOOLONG on every Storage, so that a name the simulation
// accepts is one production accepts too.
const NameMax = 255

// ErrOutsideRoot is the reason a name that is absolute or climbs out of
// the root is refused; providers exports it as providers.ErrOutsideRoot.
var ErrOutsideRoot = errors.New("the path is outside the storage root; name files relative to the root, without a leading / or a .. that climbs out")

// Invalid is a reason that matches fs.ErrInvalid.
type Invalid string

func (e Invalid) Error() string        { return string(e) }
func (e Invalid) Is(target error) bool { return target == fs.ErrInvalid }

// The reasons [Flags] refuses flags for.
const (
	ErrFlags       = Invalid("unsupported open flags; use os.O_RDONLY, O_WRONLY or O_RDWR, with O_APPEND, O_CREATE, O_EXCL, O_TRUNC or O_SYNC")
	ErrFlagsAccess = Invalid("os.O_WRONLY and os.O_RDWR together; use os.O_RDWR to read and write")
)

// OpenFlags are the flags a Storage understands.
const OpenFlags = os.O_RDONLY | os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREATE | os.O_EXCL | os.O_TRUNC | os.O_SYNC

// Name cleans name for op (path.Clean), or returns the *fs.PathError that
// refuses it: the empty name does not exist (fs.ErrNotExist); an absolute
// name or one that climbs out of the root fails with [ErrOutsideRoot]; one
// holding a NUL byte fails with syscall.EINVAL, as package os refuses it;
// one with an element longer than [NameMax] bytes fails with
// syscall.ENAMETOOLONG.
func Name(op, name string) (string, error) {
	if name == "" {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	if strings.IndexByte(name, 0) >= 0 {
		// Package os cannot hand such a name to the system.
		return "", &fs.PathError{Op: op, Path: name, Err: syscall.EINVAL}
	}
	if strings.HasPrefix(name, "/") {
		return "", &fs.PathError{Op: op, Path: name, Err: ErrOutsideRoot}
	}
	c := path.Clean(name)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", &fs.PathError{Op: op, Path: name, Err: ErrOutsideRoot}
	}
	for rest := c; rest != ""; {
		elem, more, _ := strings.Cut(rest, "/")
		if len(elem) > NameMax {
			return "", &fs.PathError{Op: op, Path: name, Err: syscall.ENAMETOOLONG}
		}
		rest = more
	}
	return c, nil
}

// Rename cleans a rename's two names as [Name] does, or returns the
// *os.LinkError that refuses them, with Name's reason: os.Root's Rename
// fails with an *os.LinkError whatever was wrong.
func Rename(oldname, newname string) (o, n string, err error) {
	o, err = Name("renameat", oldname)
	if err == nil {
		n, err = Name("renameat", newname)
	}
	if err != nil {
		return "", "", &os.LinkError{Op: "renameat", Old: oldname, New: newname, Err: err.(*fs.PathError).Err}
	}
	return o, n, nil
}

// Flags returns the *fs.PathError that refuses flag for opening name, or
// nil: a flag outside [OpenFlags] ([ErrFlags]), or os.O_WRONLY with
// os.O_RDWR ([ErrFlagsAccess]).
func Flags(name string, flag int) error {
	if flag&^OpenFlags != 0 {
		return &fs.PathError{Op: "openat", Path: name, Err: ErrFlags}
	}
	if flag&(os.O_WRONLY|os.O_RDWR) == os.O_WRONLY|os.O_RDWR {
		return &fs.PathError{Op: "openat", Path: name, Err: ErrFlagsAccess}
	}
	return nil
}
