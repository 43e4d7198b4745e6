package wasmhost

import (
	"sync"

	"github.com/tetratelabs/wazero/api"
)

// An idlePool keeps the instances of a module whose processes ended, for
// later processes that start from a snapshot to start in.
//
// Instantiating a Go program fills its table of functions, one reference
// for each of the program's thousands of functions, each evaluated by
// wazero as a constant expression: about 1 ms of CPU a start, a tenth of
// a kv seed of programs, which starts a dozen processes. A process that
// starts from a snapshot rewrites everything of the instance its code
// reads (the memory, cleared past the snapshot's, and every mutable
// global), and a Go program never changes its table, so an instance that
// another process ran in starts the program just as a new one does. Its
// memory stays as large as it grew; the build's runtime overlay
// (internal/wasmbuild, memHunk) uses that memory before growing it.
//
// Only memories on a reservation (see memories) are kept, and only up to
// maxIdleMemory. A kept memory gives its pages past the snapshot's and
// idleKeep back to the kernel (linear.trim), so that the instance holds
// no more than that while it waits, and the restore clears no more.
type idlePool struct {
	mu   sync.Mutex
	list []idleInstance
}

type idleInstance struct {
	mod api.Module
	mem *linear
}

const (
	// maxIdle is how many instances a module keeps: about as many as a
	// simulation's processes of the program run at once, on each worker.
	maxIdle = 16
	// maxIdleMemory is the largest memory an instance may have to be
	// kept.
	maxIdleMemory = 256 << 20
)

// take returns an idle instance, its memory marked as running code
// again, or nil.
func (p *idlePool) take() (api.Module, *linear) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.list) > 0 {
		it := p.list[len(p.list)-1]
		p.list = p.list[:len(p.list)-1]
		if it.mem.begin() && !it.mod.IsClosed() {
			return it.mod, it.mem
		}
	}
	return nil, nil
}

// put keeps mod, whose process ended, unless the pool is full or its
// memory too large; it reports whether it kept it.
func (p *idlePool) put(mod api.Module, mem *linear) bool {
	// In pages: Size is a uint32 and reads 0 for a memory of 4 GiB.
	if pages, _ := mod.Memory().Grow(0); uint64(pages)*pageSize > maxIdleMemory {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.list) >= maxIdle {
		return false
	}
	p.list = append(p.list, idleInstance{mod, mem})
	return true
}
