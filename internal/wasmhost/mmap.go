package wasmhost

import (
	"fmt"
	"io"
	"strings"

	"github.com/tetratelabs/wazero/api"
)

// Memory-mapped files. wasip1 has no mmap, and the host cannot map its
// memory into the program's; the guest's syscall.Mmap (the syscall
// overlay) allocates the mapping in the program's memory and calls mmap
// here, which fills it from the file and, for MAP_SHARED, keeps it: every
// later write of the instance to that file, through any descriptor, is
// copied into it, so the mapping shows what the program wrote as the page
// cache shows it on Linux. Mappings are read-only (a writable shared
// mapping would need its stores written back, which the host cannot see),
// die with the instance, and see only this instance's writes.

// The mmap(2) arguments the guest passes through.
const (
	protWrite  = 0x2
	mapShared  = 0x1
	mapPrivate = 0x2
)

// A mapping is a MAP_SHARED range of a file, held in the program's memory
// at addr.
type mapping struct {
	file    string // the file's storage name, or its key once unlinked
	off     int64  // the file offset of the first byte
	addr, n uint32 // where the mapping is in the program's memory
}

// mmap(fd, offset, addr, len, prot, flags) fills len bytes of the
// program's memory at addr from the file fd at offset, zeros past its end,
// and keeps the range coherent with later writes when flags hold
// MAP_SHARED.
func mmap(in *instance, mem api.Memory, s []uint64) errno {
	e := in.get(u32(s, 0))
	off, addr, n, prot, flags := int64(s[1]), u32(s, 2), u32(s, 3), u32(s, 4), u32(s, 5)
	switch {
	case e == nil:
		return errBADF
	case e.kind != kindFile, e.writeOnly:
		return errACCES // as Linux answers for what is not a regular file, or not open for reading
	case off < 0 || n == 0:
		return errINVAL
	case flags&mapShared != 0 && prot&protWrite != 0:
		return errNOTSUP
	}
	buf, ok := mem.Read(addr, n)
	if !ok {
		return errFAULT
	}
	got, err := e.file.ReadAt(buf, off)
	if err != nil && err != io.EOF {
		return errnoOf(err)
	}
	clear(buf[got:])
	if flags&mapShared != 0 {
		in.maps = append(in.maps, mapping{file: e.name, off: off, addr: addr, n: n})
	}
	return errSUCCESS
}

// munmap(addr, len) ends the mapping at addr: the host writes no more into
// that memory.
func munmap(in *instance, mem api.Memory, s []uint64) errno {
	addr, n := u32(s, 0), u32(s, 1)
	for i, m := range in.maps {
		if m.addr == addr && m.n == n {
			in.maps = append(in.maps[:i], in.maps[i+1:]...)
			return errSUCCESS
		}
	}
	return errSUCCESS // a MAP_PRIVATE mapping, which the host never kept
}

// mapped tells whether a mapping of the file name is open.
func (in *instance) mapped(name string) bool {
	for _, m := range in.maps {
		if m.file == name {
			return true
		}
	}
	return false
}

// wrote copies b, written to the file name at off, into its mappings.
func (in *instance) wrote(mem api.Memory, name string, off int64, b []byte) {
	for _, m := range in.maps {
		if m.file != name {
			continue
		}
		lo, hi := max(off, m.off), min(off+int64(len(b)), m.off+int64(m.n))
		if lo >= hi {
			continue
		}
		dst, ok := mem.Read(m.addr+uint32(lo-m.off), uint32(hi-lo))
		if ok {
			copy(dst, b[lo-off:hi-off])
		}
	}
}

// truncated zeros what the mappings of the file name hold past size, as
// the file reads past its end.
func (in *instance) truncated(mem api.Memory, name string, size int64) {
	for _, m := range in.maps {
		if m.file != name || m.off+int64(m.n) <= size {
			continue
		}
		lo := max(size, m.off)
		if dst, ok := mem.Read(m.addr+uint32(lo-m.off), uint32(m.off+int64(m.n)-lo)); ok {
			clear(dst)
		}
	}
}

// renamed moves the open files and mappings of from (a file, or a
// directory and what it holds) to the name to, after a rename, so that
// writes through a descriptor opened before it still reach the mappings
// made after it, and the reverse. What to named before, a file the rename
// replaced, keeps its descriptors and mappings under a key of its own, as
// an unlinked file keeps its inode.
func (in *instance) renamed(from, to string) {
	if from == to {
		return // the same file: rename does nothing
	}
	in.unlinked(to)
	in.rekey(func(name string) (string, bool) {
		if name == from {
			return to, true
		}
		if rest, ok := strings.CutPrefix(name, from+"/"); ok {
			return to + "/" + rest, true
		}
		return "", false
	})
}

// unlinked gives the open files and mappings of the file name a key of
// their own: they stay one file, which no later file of that name is.
func (in *instance) unlinked(name string) {
	key := ""
	in.rekey(func(n string) (string, bool) {
		if n != name {
			return "", false
		}
		if key == "" {
			in.unlinks++
			key = fmt.Sprintf("\x00unlinked %d", in.unlinks)
		}
		return key, true
	})
}

// rekey renames the open files and mappings for which f gives a new key,
// so that the two stay matched by name.
func (in *instance) rekey(f func(string) (string, bool)) {
	for _, e := range in.fds {
		if e != nil && e.kind == kindFile {
			if n, ok := f(e.name); ok {
				e.name = n
			}
		}
	}
	for i := range in.maps {
		if n, ok := f(in.maps[i].file); ok {
			in.maps[i].file = n
		}
	}
}
