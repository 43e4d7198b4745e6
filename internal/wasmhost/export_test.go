package wasmhost

import "errors"

// errNotReactor is why a command starts cold.
var errNotReactor = errors.New("the program is not built as a reactor")

// SnapshotErr tells why instances of m with c's arguments and environment
// start cold, or nil when they start from a snapshot.
func SnapshotErr(m *Module, c Config) error {
	if !m.reactor {
		return errNotReactor
	}
	_, err := m.snapshotFor(c)
	return err
}

// ErrUnsafeInit is errUnsafeInit, for the tests.
var ErrUnsafeInit = errUnsafeInit

// CountHostCalls makes an instance run with c count the program's calls
// of host functions into n.
func CountHostCalls(c *Config, n *int) { c.hostCalls = n }

// IdleMemories are the sizes of the memories of the instances of m that
// wait for a process to start in them.
func IdleMemories(m *Module) []uint32 {
	m.idle.mu.Lock()
	defer m.idle.mu.Unlock()
	var sizes []uint32
	for _, it := range m.idle.list {
		sizes = append(sizes, it.mod.Memory().Size())
	}
	return sizes
}

// RestoreIdle restores an idle instance of m from the snapshot for c, as
// a process's start does, and returns how many bytes of its memory past
// the snapshot's are not zero, and how many bytes that is.
func RestoreIdle(m *Module, c Config) (dirty, past int, err error) {
	mod, mem := m.idle.take()
	if mod == nil {
		return 0, 0, errors.New("no idle instance")
	}
	defer func() {
		mem.end()
		m.idle.put(mod, mem)
	}()
	snap, err := m.snapshotFor(c)
	if err != nil {
		return 0, 0, err
	}
	if err := snap.restore(mod, m.globals, 0); err != nil {
		return 0, 0, err
	}
	rest, _ := mod.Memory().Read(uint32(len(snap.mem)), mod.Memory().Size()-uint32(len(snap.mem)))
	for _, b := range rest {
		if b != 0 {
			dirty++
		}
	}
	return dirty, len(rest), nil
}

// GrowIdleToLimit grows the memory of m's last idle instance to the
// largest a memory can be, 4 GiB, as a process that used all of it would
// leave it, and returns its pages.
func GrowIdleToLimit(m *Module) (uint32, bool) {
	m.idle.mu.Lock()
	defer m.idle.mu.Unlock()
	it := m.idle.list[len(m.idle.list)-1]
	pages, _ := it.mod.Memory().Grow(0)
	_, ok := it.mod.Memory().Grow(65536 - pages)
	pages, _ = it.mod.Memory().Grow(0)
	return pages, ok
}
