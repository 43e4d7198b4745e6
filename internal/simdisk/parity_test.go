package simdisk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// The parity test runs one random sequence of operations on the operating
// system's file system (providers.OSStorage) and on a simulated disk, and
// requires the same outcomes: bytes, sizes, names, and the class of every
// error.

var parityNames = []string{"a", "b", "d", "d/e", "d/e/f", "a/x"}

type pop struct {
	Kind        int
	Name, Name2 int
	Flag        int
	H           int
	Off, N      int64
	B           byte
}

var parityFlags = []int{
	os.O_RDONLY,
	os.O_RDWR | os.O_CREATE,
	os.O_RDWR | os.O_CREATE | os.O_EXCL,
	os.O_WRONLY | os.O_CREATE | os.O_TRUNC,
	os.O_RDWR | os.O_APPEND | os.O_CREATE,
	os.O_RDWR,
}

const parityKinds = 14

func popGen() *rapid.Generator[pop] {
	return rapid.Custom(func(t *rapid.T) pop {
		return pop{
			Kind:  rapid.IntRange(0, parityKinds-1).Draw(t, "kind"),
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

// runParity runs ops on st and describes each outcome, one line per op.
func runParity(st providers.Storage, ops []pop) []string {
	var out []string
	var files []providers.File
	for _, o := range ops {
		name, name2 := parityNames[o.Name], parityNames[o.Name2]
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
			line = fmt.Sprintf("open %s %#x: %s", name, parityFlags[o.Flag], class(err))
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
			line = "close: " + class(f.Close())
		case 9:
			line = fmt.Sprintf("mkdir %s: %s", name, class(st.Mkdir(name, 0o755)))
		case 10:
			line = fmt.Sprintf("mkdirall %s: %s", name, class(st.MkdirAll(name, 0o755)))
		case 11:
			line = fmt.Sprintf("remove %s: %s", name, class(st.Remove(name)))
		case 12:
			line = fmt.Sprintf("rename %s %s: %s", name, name2, class(st.Rename(name, name2)))
		case 13:
			fi, err := st.Stat(name)
			line = fmt.Sprintf("stat %s: %s", name, class(err))
			if err == nil {
				line += fmt.Sprintf(" %s dir=%v", fi.Name(), fi.IsDir())
				if !fi.IsDir() {
					line += fmt.Sprintf(" size=%d", fi.Size())
				}
			}
			entries, err := st.ReadDir(".")
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

func TestParityWithTheOperatingSystem(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the simulated disk follows Linux's semantics")
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
		want := runParity(real, ops)

		var got []string
		w := sim.New(sim.Config{Seed: 1})
		res := w.Run(func(ctx context.Context, p providers.Providers) error {
			d, err := New(w, "n1", chaos.Storage{})
			if err != nil {
				return err
			}
			got = runParity(d.Storage(), ops)
			return nil
		})
		if res.Err != nil {
			rt.Fatal(res.Err)
		}
		for i := range want {
			if i >= len(got) || got[i] != want[i] {
				g := "(nothing)"
				if i < len(got) {
					g = got[i]
				}
				rt.Fatalf("outcome %d differs:\n  os:        %s\n  simulated: %s\nafter:\n  %s", i, want[i], g, strings.Join(want[:i], "\n  "))
			}
		}
	})
}
