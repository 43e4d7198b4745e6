package wasmhost

import (
	"sync"

	"github.com/tetratelabs/wazero/experimental"
)

// memories hands out the linear memories of a module's instances.
//
// By default wazero keeps an instance's memory in a Go slice that it
// grows by append, so a Go program, whose heap grows a few pages at a
// time, has its memory copied again and again as it starts: a sixth of a
// seed's CPU went to those copies. Here an instance's memory is instead a
// reservation of address space as large as the memory may ever grow:
// growing it opens up more of it in place, and nothing is copied.
//
// A freed reservation is kept for the module's next instance with its
// pages (up to keep bytes of them), which are cleared as the next
// instance grows over them: clearing pages already there is cheaper than
// having the kernel fault in fresh ones, which cost twice the CPU. The
// module unmaps them when it closes, each once no instance's code can
// touch it any more (see linear).
type memories struct {
	keep   uint64 // how much of a freed memory stays resident
	data   []span // where the data segments lie, in order
	mu     sync.Mutex
	free   []*reservation
	closed bool
}

// keepResident is how much of a freed memory stays resident for the next
// instance by default; a Go program of a few dependencies uses 10-15 MB.
const keepResident = 64 << 20

// A reservation is address space for one memory.
type reservation struct {
	mem   []byte // the whole reservation
	open  uint64 // how much of mem is accessible
	size  uint64 // how much of mem the instance sees
	dirty uint64 // up to where mem may hold non-zero bytes
}

// allocate makes the memory of an instance, of at most max bytes. Where
// address space cannot be reserved it returns the memory wazero would
// have made itself. The instance's first keep bytes are written over
// whole before its code runs (it starts from a snapshot), so that they
// need no clearing.
func (ms *memories) allocate(cap, max, keep uint64) experimental.LinearMemory {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	data := ms.data
	if keep > 0 {
		data = []span{{0, keep}}
	}
	for i := len(ms.free) - 1; i >= 0; i-- {
		if r := ms.free[i]; uint64(len(r.mem)) >= max {
			ms.free = append(ms.free[:i], ms.free[i+1:]...)
			return &linear{ms: ms, r: r, data: data, whole: keep > 0}
		}
	}
	// Reserve no more than a Go program can address, in case the
	// module's memory declares no maximum.
	mem := reserve(min(max, maxMemory))
	if mem == nil {
		return &sliceMemory{buf: make([]byte, 0, cap)}
	}
	return &linear{ms: ms, r: &reservation{mem: mem}, data: data, whole: keep > 0}
}

// maxMemory is the largest memory a 32-bit WebAssembly module addresses.
const maxMemory = 1 << 32

// release takes back a reservation no instance uses, or unmaps it after
// the module closed. ms.mu is held.
func (ms *memories) release(r *reservation) {
	if ms.closed {
		unmap(r.mem)
		return
	}
	r.dirty = max(r.dirty, r.size)
	r.size = 0
	// Keep whole steps, so that what is discarded starts on a page.
	if keep := ms.keep / openStep * openStep; r.dirty > keep && discard(r.mem[keep:r.open]) {
		r.dirty = keep
	}
	ms.free = append(ms.free, r)
}

// close unmaps every reservation not in use; those in use are unmapped
// as their instances end, and never for an instance that never ends.
func (ms *memories) close() {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	ms.closed = true
	for _, r := range ms.free {
		unmap(r.mem)
	}
	ms.free = nil
}

// isClosed reports whether the module closed.
func (ms *memories) isClosed() bool {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.closed
}

// openStep rounds what is opened up at a time, so that a memory growing a
// page at a time does not make a system call per page.
const openStep = 1 << 20

// grow makes the first size bytes the memory, zeroed past the old size
// but for the spans data.
func (r *reservation) grow(size uint64, data []span) bool {
	if size > uint64(len(r.mem)) {
		return false
	}
	if size > r.open {
		end := min((size+openStep-1)/openStep*openStep, uint64(len(r.mem)))
		if !open(r.mem[r.open:end]) {
			return false
		}
		r.open = end
	}
	if size > r.size && r.dirty > r.size {
		clearBut(r.mem, r.size, min(size, r.dirty), data)
	}
	r.size = max(r.size, size)
	r.dirty = max(r.dirty, r.size)
	return true
}

// A span is the bytes [lo, hi) of a memory.
type span struct{ lo, hi uint64 }

// clearBut zeroes b[lo:hi] but for the spans, which are in order and
// do not overlap.
func clearBut(b []byte, lo, hi uint64, spans []span) {
	for _, s := range spans {
		if s.hi <= lo {
			continue
		}
		if s.lo >= hi {
			break
		}
		if s.lo > lo {
			clear(b[lo:s.lo])
		}
		lo = s.hi
	}
	if lo < hi {
		clear(b[lo:hi])
	}
}

// linear is one instance's memory, on a reservation.
//
// wazero frees an instance's memory when the instance is closed, which
// may happen while its code still runs: a program that exits closes it
// from inside a host call, and closing the runtime closes every instance,
// spinning ones included. The reservation is taken back only once the
// instance is also ended (its call returned or unwound), so that no code
// of it ever touches unmapped memory.
type linear struct {
	ms           *memories
	r            *reservation
	freed, ended bool   // guarded by ms.mu
	started      bool   // the instance has its first memory
	data         []span // what the instance's start writes over
	whole        bool   // and not only in its first memory
	// zeroFrom, when not zero, is where the memory reads zeros from on,
	// as trim left it: the next restore clears no further.
	zeroFrom uint64
}

// idleKeep is how much of an idle instance's memory past its first
// snapshot stays resident: clearing it costs about what instantiating does.
const idleKeep = 16 << 20

// trim gives back the pages of an idle instance's memory past its first
// snapshot and idleKeep, which then read as zeros.
func (l *linear) trim() {
	l.ms.mu.Lock()
	defer l.ms.mu.Unlock()
	if l.r == nil || len(l.data) == 0 {
		return
	}
	lo := (l.data[len(l.data)-1].hi + idleKeep + openStep - 1) / openStep * openStep
	if lo < l.r.open && discard(l.r.mem[lo:l.r.open]) {
		l.zeroFrom = lo
	}
}

func (l *linear) Reallocate(size uint64) []byte {
	var data []span
	if !l.started || l.whole {
		// The instance's first memory: instantiation writes the data
		// segments over it next. Or a memory restored from a snapshot,
		// which grows to the snapshot's size first.
		l.started, data = true, l.data
	}
	if l.r == nil || !l.r.grow(size, data) {
		return nil
	}
	return l.r.mem[:size:size]
}

// Free is wazero's: the instance is closed.
func (l *linear) Free() { l.ms.done(l, true, false) }

// end tells that the instance's code no longer runs.
func (l *linear) end() { l.ms.done(l, false, true) }

// begin tells that the instance's code runs again, in a new process (see
// idlePool); it reports false if the memory was freed meanwhile.
func (l *linear) begin() bool {
	l.ms.mu.Lock()
	defer l.ms.mu.Unlock()
	if l.freed || l.r == nil {
		return false
	}
	l.ended = false
	return true
}

func (ms *memories) done(l *linear, freed, ended bool) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	l.freed = l.freed || freed
	l.ended = l.ended || ended
	if l.freed && l.ended && l.r != nil {
		ms.release(l.r)
		l.r = nil
	}
}

// sliceMemory is a memory in a Go slice grown by append, as wazero's own.
type sliceMemory struct{ buf []byte }

func (s *sliceMemory) Reallocate(size uint64) []byte {
	if n := uint64(len(s.buf)); size > n {
		s.buf = append(s.buf, make([]byte, size-n)...)
	}
	return s.buf[:size]
}

func (s *sliceMemory) Free() { s.buf = nil }
