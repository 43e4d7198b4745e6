package pathcheck

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestName(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"a", "a"}, {"a/../b", "b"}, {strings.Repeat("x", NameMax) + "/y", strings.Repeat("x", NameMax) + "/y"}, {".", "."}, {"a/./b/", "a/b"}, {"..x", "..x"},
	} {
		got, err := Name("open", c.name)
		if err != nil || got != c.want {
			t.Errorf("Name(%q) = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	for _, c := range []struct {
		name string
		want error
		msg  string
	}{
		{"", fs.ErrNotExist, "stat : file does not exist"},
		{"/etc/passwd", ErrOutsideRoot, "stat /etc/passwd: the path is outside the storage root; name files relative to the root, without a leading / or a .. that climbs out"},
		{"..", ErrOutsideRoot, ""},
		{"a/../../x", ErrOutsideRoot, ""},
		{strings.Repeat("x", NameMax+1), syscall.ENAMETOOLONG, ""},
		{"a\x00b", syscall.EINVAL, ""},
		{"d/" + strings.Repeat("x", NameMax+1) + "/f", syscall.ENAMETOOLONG, ""},
	} {
		_, err := Name("stat", c.name)
		var pe *fs.PathError
		if !errors.As(err, &pe) || pe.Op != "stat" || pe.Path != c.name || !errors.Is(err, c.want) {
			t.Errorf("Name(%q): %v; want a *fs.PathError for stat of %[1]q matching %v", c.name, err, c.want)
		}
		if c.msg != "" && err.Error() != c.msg {
			t.Errorf("Name(%q): %q; want %q", c.name, err, c.msg)
		}
	}
}

func TestFlags(t *testing.T) {
	for _, flag := range []int{os.O_RDONLY, os.O_WRONLY | os.O_APPEND, os.O_RDWR | os.O_CREATE | os.O_EXCL | os.O_TRUNC | os.O_SYNC} {
		if err := Flags("f", flag); err != nil {
			t.Errorf("Flags(%#x): %v", flag, err)
		}
	}
	for _, c := range []struct {
		flag int
		msg  string
	}{
		{os.O_RDWR | 1<<30, "openat f: unsupported open flags; use os.O_RDONLY, O_WRONLY or O_RDWR, with O_APPEND, O_CREATE, O_EXCL, O_TRUNC or O_SYNC"},
		{os.O_WRONLY | os.O_RDWR, "openat f: os.O_WRONLY and os.O_RDWR together; use os.O_RDWR to read and write"},
	} {
		err := Flags("f", c.flag)
		if err == nil || err.Error() != c.msg || !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Flags(%#x): %v; want %q, matching fs.ErrInvalid", c.flag, err, c.msg)
		}
	}
}

func TestRename(t *testing.T) {
	o, n, err := Rename("a//b", "./c")
	if err != nil || o != "a/b" || n != "c" {
		t.Errorf(`Rename("a//b", "./c") = %q, %q, %v; want "a/b", "c"`, o, n, err)
	}
	for _, c := range [][2]string{{"../x", "y"}, {"x", "/y"}, {"", "y"}} {
		_, _, err := Rename(c[0], c[1])
		var le *os.LinkError
		if !errors.As(err, &le) || le.Op != "renameat" || le.Old != c[0] || le.New != c[1] {
			t.Errorf("Rename(%q, %q): %#v; want an *os.LinkError naming both", c[0], c[1], err)
		}
	}
}
