package wasmhost

import (
	"bytes"
	"fmt"
	"io"
	"slices"

	"github.com/tetratelabs/wazero/api"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// Memory-mapped files. wasip1 has no mmap, and the host cannot map its
// memory into the program's; the guest's syscall.Mmap (the syscall
// overlay) allocates the mapping in the program's memory and calls mmap
// here, which fills it from the file and, for MAP_SHARED, keeps it with
// the file, for every process of the machine: every later write to that
// file, by any process through any descriptor, is copied into it, so the
// mapping shows the file as the page cache shows it on Linux.
//
// The host cannot see a program's stores into a writable shared mapping
// either. It keeps a shadow of what the file held under the mapping, and
// copies what differs back into the file, as unsynced writes that take no
// time (the page cache's), at every point where something could observe
// the file: a read, stat, seek to the end, sync, truncation or close of it
// by any program, an msync or munmap of the mapping, and the end of the
// program, a crash included: the kernel keeps a dead process's stores, and
// a crash of the machine loses them as it loses any unsynced write.

// The mmap(2) and msync(2) arguments the guest passes through.
const (
	protWrite  = 0x2
	mapShared  = 0x1
	mapPrivate = 0x2
	msSync     = 0x4
)

// mappable is a file that programs can map: one of the disk's, or of a
// tmpfs.
type mappable interface {
	// Mappings is the file's slot for its fileMaps: one for the file,
	// whatever handle, process or name reaches it.
	Mappings() *any
	// Store puts b at off into the file as stores into a shared mapping
	// reach the page cache: unsynced, in no time, and never past the
	// file's end. It returns how much of b it stored, or -1 when the
	// handle no longer works.
	Store(b []byte, off int64) int
}

// fileMaps is every shared mapping of one file, of every program of its
// machine, in the order they were made.
type fileMaps struct {
	slot *any // the file's Mappings, emptied with the last mapping
	maps []*mapping
}

// A mapping is a MAP_SHARED range of a file, held in a program's memory
// at addr.
type mapping struct {
	in      *instance
	fm      *fileMaps
	file    providers.File // the handle it was made through, kept open until munmap
	off     int64          // the file offset of the first byte
	addr, n uint32         // where the mapping is in the program's memory
	// shadow, for a writable mapping, is what the file held under it
	// when the two were last the same: a byte of the mapping that differs
	// is a store the file has not had yet.
	shadow []byte
}

// mapsOf returns the shared mappings of f, or nil when it has none.
func mapsOf(f providers.File) *fileMaps {
	if pc, ok := f.(mappable); ok {
		fm, _ := (*pc.Mappings()).(*fileMaps)
		return fm
	}
	return nil
}

// mem is the mapping's memory.
func (m *mapping) mem() []byte {
	b, _ := m.in.mod.Memory().Read(m.addr, m.n)
	return b
}

// mmap(fd, offset, addr, len, prot, flags) fills len bytes of the
// program's memory at addr from the file fd at offset, zeros past its end,
// and keeps the range coherent with the file when flags hold MAP_SHARED.
func mmap(in *instance, mem api.Memory, s []uint64) errno {
	e := in.get(u32(s, 0))
	off, addr, n, prot, flags := int64(s[1]), u32(s, 2), u32(s, 3), u32(s, 4), u32(s, 5)
	writable := flags&mapShared != 0 && prot&protWrite != 0
	switch {
	case e == nil:
		return errBADF
	case e.kind != kindFile, e.writeOnly:
		return errACCES // as Linux answers for what is not a regular file, or not open for reading
	case writable && e.readOnly:
		return errACCES // as Linux answers: stores to the file need it open for writing
	case off < 0 || n == 0:
		return errINVAL
	}
	pc, ok := e.file.(mappable)
	if !ok && flags&mapShared != 0 {
		return errNODEV
	}
	buf, ok := mem.Read(addr, n)
	if !ok {
		return errFAULT
	}
	observe(e.file) // the file as its other mappings left it
	clear(buf)
	if flags&mapShared == 0 {
		_, err := e.file.ReadAt(buf, off)
		if err != nil && err != io.EOF {
			return errnoOf(err)
		}
		return errSUCCESS
	}
	// Kept before the read, which waits for the disk after it took the
	// file's bytes: a write by another program meanwhile reaches it.
	slot := pc.Mappings()
	fm, _ := (*slot).(*fileMaps)
	if fm == nil {
		fm = &fileMaps{slot: slot}
		*slot = fm
	}
	m := &mapping{in: in, fm: fm, file: e.file, off: off, addr: addr, n: n}
	fm.maps = append(fm.maps, m)
	in.maps = append(in.maps, m)
	if _, err := e.file.ReadAt(buf, off); err != nil && err != io.EOF {
		in.forget(m)
		return errnoOf(err)
	}
	if writable {
		m.shadow = slices.Clone(buf)
	}
	return errSUCCESS
}

// munmap(addr, len) ends the mapping at addr, after copying its stores
// back: the host writes no more into that memory.
func munmap(in *instance, mem api.Memory, s []uint64) errno {
	addr, n := u32(s, 0), u32(s, 1)
	for _, m := range in.maps {
		if m.addr == addr && m.n == n {
			m.copyBack(0, m.n)
			in.unmap(m)
			return errSUCCESS
		}
	}
	return errSUCCESS // a MAP_PRIVATE mapping, which the host never kept
}

// msync(addr, len, flags) copies the stores into the program's mappings
// in [addr, addr+len) back into their files and, with MS_SYNC, syncs
// those files.
func msync(in *instance, mem api.Memory, s []uint64) errno {
	addr, n, flags := uint64(u32(s, 0)), uint64(u32(s, 1)), u32(s, 2)
	var synced []providers.File
	for _, m := range in.maps {
		lo, hi := max(addr, uint64(m.addr)), min(addr+n, uint64(m.addr)+uint64(m.n))
		if lo >= hi {
			continue
		}
		m.copyBack(uint32(lo)-m.addr, uint32(hi)-m.addr)
		if flags&msSync != 0 && !slices.Contains(synced, m.file) {
			synced = append(synced, m.file)
			in.waited()
			if err := m.file.Sync(); err != nil {
				return errnoOf(err)
			}
		}
	}
	return errSUCCESS
}

// unmap forgets m, and closes the file it held when its descriptor was
// closed and no other mapping holds it.
func (in *instance) unmap(m *mapping) {
	in.forget(m)
	if i := slices.Index(in.orphans, m.file); i >= 0 && !in.holds(m.file) {
		in.orphans = slices.Delete(in.orphans, i, i+1)
		_ = m.file.Close()
	}
}

// forget takes m out of the program's mappings and its file's.
func (in *instance) forget(m *mapping) {
	in.maps = slices.DeleteFunc(in.maps, func(x *mapping) bool { return x == m })
	fm := m.fm
	fm.maps = slices.DeleteFunc(fm.maps, func(x *mapping) bool { return x == m })
	if len(fm.maps) == 0 && *fm.slot == fm {
		*fm.slot = nil
	}
}

// holds tells whether a mapping of the program holds the handle f open.
func (in *instance) holds(f providers.File) bool {
	return slices.ContainsFunc(in.maps, func(m *mapping) bool { return m.file == f })
}

// observe copies the stores into every mapping of f back into it, before
// the program observes the file.
func observe(f providers.File) {
	if fm := mapsOf(f); fm != nil {
		fm.copyBack()
	}
}

// copyBack copies the stores into every writable mapping of the file
// back into it.
func (fm *fileMaps) copyBack() {
	for _, m := range fm.maps {
		m.copyBack(0, m.n)
	}
}

// copySpan is the unit in which a mapping is compared with its shadow,
// the disk's sector.
const copySpan = 512

// copyBack copies the stores into m's bytes [lo, hi) back into the file,
// run of changed sectors by run, and into the file's other mappings. A
// store past the file's end, where Linux raises SIGBUS, is undone and
// named in the timeline.
func (m *mapping) copyBack(lo, hi uint32) {
	if m.shadow == nil {
		return
	}
	mem := m.mem()
	if mem == nil {
		return
	}
	pc := m.file.(mappable)
	lo -= lo % copySpan
	for a := lo; a < hi; {
		b := min(a+copySpan, hi)
		if bytes.Equal(mem[a:b], m.shadow[a:b]) {
			a = b
			continue
		}
		for b < hi {
			c := min(b+copySpan, hi)
			if bytes.Equal(mem[b:c], m.shadow[b:c]) {
				break
			}
			b = c
		}
		stored := pc.Store(mem[a:b], m.off+int64(a))
		if stored < 0 {
			return // its process or its disk is gone: nothing keeps the stores
		}
		end := a + uint32(stored)
		copy(m.shadow[a:end], mem[a:end])
		m.fm.wrote(m.off+int64(a), mem[a:end], m)
		if end < b {
			m.pastEnd(end, b)
		}
		a = b
	}
}

// pastEnd undoes the stores in m's bytes [a, b), past the file's end,
// which Store left out, and names the first in the timeline.
func (m *mapping) pastEnd(a, b uint32) {
	mem := m.mem()
	if i := slices.IndexFunc(mem[a:b], func(c byte) bool { return c != 0 }); i >= 0 && m.in.rec != nil {
		m.in.rec.Record(sim.Entry{Name: "mmap", Process: m.in.name, Msg: fmt.Sprintf(
			"mmap: a store into a shared mapping of %s at offset %d is past the file's end, where Linux raises SIGBUS: it is undone",
			m.file.Name(), m.off+int64(a)+int64(i))})
	}
	copy(mem[a:b], m.shadow[a:b])
}

// wrote copies b, now the file's bytes at off, into the file's mappings
// but except, and into their shadows: it is what the file holds, not a
// store of theirs.
func (fm *fileMaps) wrote(off int64, b []byte, except *mapping) {
	for _, m := range fm.maps {
		if m == except {
			continue
		}
		lo, hi := max(off, m.off), min(off+int64(len(b)), m.off+int64(m.n))
		if lo >= hi {
			continue
		}
		src := b[lo-off : hi-off]
		copy(m.mem()[lo-m.off:hi-m.off], src)
		if m.shadow != nil {
			copy(m.shadow[lo-m.off:hi-m.off], src)
		}
	}
}

// resized zeros what the mappings of the file hold from from on: the
// file changed size there, and reads as zeros past its end.
func (fm *fileMaps) resized(from int64) {
	for _, m := range fm.maps {
		if m.off+int64(m.n) <= from {
			continue
		}
		lo := max(from, m.off) - m.off
		clear(m.mem()[lo:])
		if m.shadow != nil {
			clear(m.shadow[lo:])
		}
	}
}

// endMaps copies the stores into the program's mappings back, as the
// kernel keeps them when a process ends, however it ends, and forgets the
// mappings; closeAll closes the files they held.
func (in *instance) endMaps() {
	for _, m := range in.maps {
		m.copyBack(0, m.n)
	}
	for len(in.maps) > 0 {
		in.forget(in.maps[0])
	}
}
