package wasmhost

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/providers"
)

// The parity test runs one random sequence of operations on the operating
// system's file system and on a program's /tmp, and requires the same
// outcomes: bytes, sizes, names, and the class of every error.

var parityNames = []string{"a", "b", "d", "d/e", "d/e/f", "a/x"}

var parityFlags = []int{
	os.O_RDONLY,
	os.O_RDWR | os.O_CREATE,
	os.O_RDWR | os.O_CREATE | os.O_EXCL,
	os.O_WRONLY | os.O_CREATE | os.O_TRUNC,
	os.O_RDWR | os.O_APPEND | os.O_CREATE,
	os.O_RDWR,
}

type pop struct {
	Kind, Name, Name2, Flag, H int
	Off, N                     int64
	B                          byte
}

func popGen() *rapid.Generator[pop] {
	return rapid.Custom(func(t *rapid.T) pop {
		return pop{
			Kind:  rapid.IntRange(0, 13).Draw(t, "kind"),
			Name:  rapid.IntRange(0, len(parityNames)-1).Draw(t, "name"),
			Name2: rapid.IntRange(0, len(parityNames)-1).Draw(t, "name2"),
			Flag:  rapid.IntRange(0, len(parityFlags)-1).Draw(t, "flag"),
			H:     rapid.IntRange(0, 7).Draw(t, "h"),
			Off:   rapid.Int64Range(0, 1500).Draw(t, "off"),
			N:     rapid.Int64Range(0, 700).Draw(t, "n"),
			B:     rapid.Byte().Draw(t, "b"),
		}
	})
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

// runParity runs ops on st, under prefix, and describes each outcome, one
// line per op.
func runParity(st providers.Storage, prefix string, ops []pop) []string {
	var out []string
	var files []providers.File
	for _, o := range ops {
		name, name2 := prefix+parityNames[o.Name], prefix+parityNames[o.Name2]
		var f providers.File
		if len(files) > 0 {
			f = files[o.H%len(files)]
		}
		var line string
		switch o.Kind {
		case 0, 1:
			g, err := st.OpenFile(name, parityFlags[o.Flag], 0o644)
			if err == nil {
				files = append(files, g)
			}
			line = fmt.Sprintf("open %s %#x: %s", parityNames[o.Name], parityFlags[o.Flag], class(err))
		case 2:
			if f == nil {
				continue
			}
			n, err := f.Write(bytes.Repeat([]byte{o.B}, int(o.N)))
			line = fmt.Sprintf("write: %d %s", n, class(err))
		case 3:
			if f == nil {
				continue
			}
			buf := make([]byte, o.N)
			n, err := f.ReadAt(buf, o.Off)
			line = fmt.Sprintf("readat %d: %d %q %s", o.Off, n, buf[:n], class(err))
		case 4:
			if f == nil {
				continue
			}
			buf := make([]byte, o.N)
			n, err := f.Read(buf)
			line = fmt.Sprintf("read: %d %q %s", n, buf[:n], class(err))
		case 5:
			if f == nil {
				continue
			}
			if fi, err := f.Stat(); err == nil && fi.IsDir() {
				continue // where a directory's end is depends on the file system
			}
			pos, err := f.Seek(o.Off-200, int(o.N%3))
			line = fmt.Sprintf("seek %d %d: %d %s", o.Off-200, o.N%3, pos, class(err))
		case 6:
			if f == nil {
				continue
			}
			line = "truncate: " + class(f.Truncate(o.Off))
		case 7:
			if f == nil {
				continue
			}
			line = "sync: " + class(f.Sync())
		case 8:
			if f == nil {
				continue
			}
			// A program's descriptor goes with its close: nothing
			// calls a closed file again.
			files = slices.Delete(files, o.H%len(files), o.H%len(files)+1)
			line = "close: " + class(f.Close())
		case 9:
			line = fmt.Sprintf("mkdir %s: %s", parityNames[o.Name], class(st.Mkdir(name, 0o755)))
		case 10:
			line = fmt.Sprintf("mkdirall %s: %s", parityNames[o.Name], class(st.MkdirAll(name, 0o755)))
		case 11:
			line = fmt.Sprintf("remove %s: %s", parityNames[o.Name], class(st.Remove(name)))
		case 12:
			line = fmt.Sprintf("rename %s %s: %s", parityNames[o.Name], parityNames[o.Name2], class(st.Rename(name, name2)))
		case 13:
			fi, err := st.Stat(name)
			line = fmt.Sprintf("stat %s: %s", parityNames[o.Name], class(err))
			if err == nil {
				line += fmt.Sprintf(" %s dir=%v", fi.Name(), fi.IsDir())
				if !fi.IsDir() {
					line += fmt.Sprintf(" size=%d", fi.Size())
				}
			}
			dir := strings.TrimSuffix(prefix, "/")
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

// A program's /tmp behaves as Linux's file system does.
func TestTmpfsParityWithTheOperatingSystem(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("a program's /tmp follows Linux's semantics")
	}
	rapid.Check(t, func(rt *rapid.T) {
		ops := rapid.SliceOfN(popGen(), 10, 100).Draw(rt, "ops")
		dir, err := os.MkdirTemp("", "parity")
		if err != nil {
			rt.Fatal(err)
		}
		defer os.RemoveAll(dir)
		real, err := providers.OpenOSStorage(dir)
		if err != nil {
			rt.Fatal(err)
		}
		defer real.Close()
		want := runParity(real, "", ops)
		got := runParity(mounts{disk: noStorage{}, tmp: newTmpfs(func() time.Time { return time.Unix(0, 0) })}, tmpDir+"/", ops)
		for i := range want {
			if i >= len(got) || got[i] != want[i] {
				g := "(nothing)"
				if i < len(got) {
					g = got[i]
				}
				rt.Fatalf("outcome %d differs:\n  os:    %s\n  tmpfs: %s\nafter:\n  %s", i, want[i], g, strings.Join(want[:i], "\n  "))
			}
		}
	})
}
