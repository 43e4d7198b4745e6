package fsparity

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"

	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/providers"
)

// names are the names the operations use, some of them nested, so that a
// directory's rules (not empty, not a directory) come into play.
var names = []string{"a", "b", "d", "d/e", "d/e/f", "a/x"}

var flags = []int{
	os.O_RDONLY,
	os.O_RDWR | os.O_CREATE,
	os.O_RDWR | os.O_CREATE | os.O_EXCL,
	os.O_WRONLY | os.O_CREATE | os.O_TRUNC,
	os.O_RDWR | os.O_APPEND | os.O_CREATE,
	os.O_RDWR,
}

// kinds is the number of kinds of operation Run knows.
const kinds = 14

// An Op is one file operation: its Kind, the names and the open flag it
// uses (indexes), the open file it acts on (H, modulo those open), and
// its operands.
type Op struct {
	Kind, Name, Name2, Flag, H int
	Off, N                     int64
	B                          byte
}

// Draw draws a sequence of 10 to 100 operations.
func Draw(t *rapid.T) []Op {
	op := rapid.Custom(func(t *rapid.T) Op {
		return Op{
			Kind:  rapid.IntRange(0, kinds-1).Draw(t, "kind"),
			Name:  rapid.IntRange(0, len(names)-1).Draw(t, "name"),
			Name2: rapid.IntRange(0, len(names)-1).Draw(t, "name2"),
			Flag:  rapid.IntRange(0, len(flags)-1).Draw(t, "flag"),
			H:     rapid.IntRange(0, 7).Draw(t, "h"),
			Off:   rapid.Int64Range(0, 1500).Draw(t, "off"),
			N:     rapid.Int64Range(0, 700).Draw(t, "n"),
			B:     rapid.Byte().Draw(t, "b"),
		}
	})
	return rapid.SliceOfN(op, 10, 100).Draw(t, "ops")
}

// Options says how Run runs the operations.
type Options struct {
	// Dir is the directory the names lie in, "" for the storage's root.
	// The outcomes name the operations' names without it.
	Dir string
	// ForgetClosed drops a file from the open ones as it is closed, for
	// a file system whose users never call a closed file again (a
	// program's descriptor goes with its close).
	ForgetClosed bool
}

// Run runs ops on st and describes each outcome, one line per operation
// that had a file to act on.
func Run(st providers.Storage, ops []Op, o Options) []string {
	prefix := ""
	if o.Dir != "" {
		prefix = o.Dir + "/"
	}
	var out []string
	var files []providers.File
	for _, op := range ops {
		name, name2 := prefix+names[op.Name], prefix+names[op.Name2]
		var f providers.File
		if len(files) > 0 {
			f = files[op.H%len(files)]
		}
		var line string
		switch op.Kind {
		case 0, 1:
			g, err := st.OpenFile(name, flags[op.Flag], 0o644)
			if err == nil {
				files = append(files, g)
			}
			line = fmt.Sprintf("open %s %#x: %s", names[op.Name], flags[op.Flag], class(err))
		case 2:
			if f == nil {
				continue
			}
			n, err := f.Write(bytes.Repeat([]byte{op.B}, int(op.N)))
			line = fmt.Sprintf("write: %d %s", n, class(err))
		case 3:
			if f == nil {
				continue
			}
			buf := make([]byte, op.N)
			n, err := f.ReadAt(buf, op.Off)
			line = fmt.Sprintf("readat %d: %d %q %s", op.Off, n, buf[:n], class(err))
		case 4:
			if f == nil {
				continue
			}
			buf := make([]byte, op.N)
			n, err := f.Read(buf)
			line = fmt.Sprintf("read: %d %q %s", n, buf[:n], class(err))
		case 5:
			if f == nil {
				continue
			}
			if fi, err := f.Stat(); err == nil && fi.IsDir() {
				continue // where a directory's end is depends on the file system
			}
			pos, err := f.Seek(op.Off-200, int(op.N%3))
			line = fmt.Sprintf("seek %d %d: %d %s", op.Off-200, op.N%3, pos, class(err))
		case 6:
			if f == nil {
				continue
			}
			line = "truncate: " + class(f.Truncate(op.Off))
		case 7:
			if f == nil {
				continue
			}
			line = "sync: " + class(f.Sync())
		case 8:
			if f == nil {
				continue
			}
			if o.ForgetClosed {
				files = slices.Delete(files, op.H%len(files), op.H%len(files)+1)
			}
			line = "close: " + class(f.Close())
		case 9:
			line = fmt.Sprintf("mkdir %s: %s", names[op.Name], class(st.Mkdir(name, 0o755)))
		case 10:
			line = fmt.Sprintf("mkdirall %s: %s", names[op.Name], class(st.MkdirAll(name, 0o755)))
		case 11:
			line = fmt.Sprintf("remove %s: %s", names[op.Name], class(st.Remove(name)))
		case 12:
			line = fmt.Sprintf("rename %s %s: %s", names[op.Name], names[op.Name2], class(st.Rename(name, name2)))
		case 13:
			fi, err := st.Stat(name)
			line = fmt.Sprintf("stat %s: %s", names[op.Name], class(err))
			if err == nil {
				line += fmt.Sprintf(" %s dir=%v", fi.Name(), fi.IsDir())
				if !fi.IsDir() {
					line += fmt.Sprintf(" size=%d", fi.Size())
				}
			}
			dir := o.Dir
			if dir == "" {
				dir = "."
			}
			entries, err := st.ReadDir(dir)
			line += " | readdir: " + class(err)
			for _, e := range entries {
				line += " " + e.Name()
			}
		}
		out = append(out, line)
	}
	for _, f := range files {
		f.Close()
	}
	return out
}

// OnOS runs ops on a fresh directory of the operating system's file
// system, as Run does with o but at the directory's root, and removes it.
func OnOS(t *rapid.T, ops []Op, o Options) []string {
	dir, err := os.MkdirTemp("", "parity")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	st, err := providers.OpenOSStorage(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	o.Dir = ""
	return Run(st, ops, o)
}

// Compare fails t at the first outcome in which got, from the file system
// named name, differs from want, the operating system's, and shows what
// came before it.
func Compare(t *rapid.T, name string, want, got []string) {
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			g := "(nothing)"
			if i < len(got) {
				g = got[i]
			}
			t.Fatalf("outcome %d differs:\n  os: %s\n  %s: %s\nafter:\n  %s", i, want[i], name, g, strings.Join(want[:i], "\n  "))
		}
	}
}

// class names what kind of error err is, as a program would test it.
func class(err error) string {
	for _, c := range []struct {
		name   string
		target error
	}{
		{"EOF", io.EOF},
		{"closed", fs.ErrClosed},
		{"not-exist", fs.ErrNotExist},
		{"not-empty", syscall.ENOTEMPTY},
		{"exist", fs.ErrExist},
		{"is-dir", syscall.EISDIR},
		{"not-dir", syscall.ENOTDIR},
		{"bad-fd", syscall.EBADF},
		{"invalid", fs.ErrInvalid},
		{"invalid", syscall.EINVAL},
	} {
		if errors.Is(err, c.target) {
			return c.name
		}
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return "ok"
}
