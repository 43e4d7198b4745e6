package wasmhost

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/tetratelabs/wazero/api"
)

// A program built as a reactor (see [MainFiles]) starts from a snapshot.
//
// Its start is mostly the Go runtime's own and its package initializers:
// about 4 ms of a raftkv start's 6, the same work in every instance. So
// the first start of a program with given arguments and environment runs
// _initialize once in an instance of its own, off the simulation, on a
// fixed random stream and a monotonic clock that reads what a new
// instance reads at its start; its memory and globals are kept, and every
// start after that, in any simulation, is a new instance with that memory
// and those globals, whose main (moonpool_main) first reseeds the
// runtime's random state from the instance's own random source.
//
// A snapshot is a function of the program, its arguments and its
// environment only (every instance mounts the same root and stdio), so
// whether it was just taken or kept from another simulation changes
// nothing in a run. What initializers draw, crypto/rand included, comes
// from the fixed stream, the same in every instance. Initializers that
// reach the world cannot be run once for all: one that opens a file or a
// socket, writes output, sleeps, reads the wall clock, reads the run's
// seed or the host's name, or exits. Such a program, found out when the
// snapshot is taken, starts cold, as a command does, every time.

// The exports of a reactor that the host calls.
const (
	initExport = "_initialize"
	mainExport = "moonpool_main"
)

// globalExport names the export of global i, which the host adds to a
// reactor so that it can read and restore the globals.
func globalExport(i uint32) string { return fmt.Sprintf("moonpool.global.%d", i) }

// maxSnapshots is how many snapshots a module keeps, one per set of
// arguments and environment; the oldest goes first. A dropped one is
// taken again when next needed, the same.
const maxSnapshots = 16

// snapshotCalls is how many host calls initialization may make before it
// is taken for a loop, and the program starts cold, where the spin budget
// reports it.
const snapshotCalls = 1_000_000

// A snapshot is an instance's state once its package initializers ran.
type snapshot struct {
	mem     []byte
	globals []uint64
}

// snapshots are a module's snapshots, by arguments and environment.
type snapshots struct {
	mu    sync.Mutex
	byKey map[string]*snapEntry
	order []string // keys, oldest first
}

type snapEntry struct {
	once sync.Once
	snap *snapshot // nil when the program must start cold
	err  error     // why it must
}

// snapshotKey is what a snapshot depends on besides the program.
// Each string is quoted, so that no two lists run together into one key.
func snapshotKey(c Config) string {
	return fmt.Sprintf("%q %q", c.Args, c.Env)
}

// snapshotFor returns the snapshot to start an instance of c from, taking
// it first if needed, or nil and the reason when the program must start
// cold.
func (m *Module) snapshotFor(c Config) (*snapshot, error) {
	key := snapshotKey(c)
	ss := &m.snaps
	ss.mu.Lock()
	e := ss.byKey[key]
	if e == nil {
		if ss.byKey == nil {
			ss.byKey = map[string]*snapEntry{}
		}
		if len(ss.order) == maxSnapshots {
			delete(ss.byKey, ss.order[0])
			ss.order = ss.order[1:]
		}
		e = &snapEntry{}
		ss.byKey[key] = e
		ss.order = append(ss.order, key)
	}
	ss.mu.Unlock()
	e.once.Do(func() { e.snap, e.err = m.takeSnapshot(c) })
	return e.snap, e.err
}

// errUnsafeInit is why a program whose initializers reach the world
// starts cold.
var errUnsafeInit = errors.New("the program's package initializers reach outside the program")

// unsafeCall is raised by a host call that initialization may not make in
// a snapshot.
type unsafeCall struct{ what string }

func (u unsafeCall) Error() string { return fmt.Sprintf("%v: %s", errUnsafeInit, u.what) }
func (u unsafeCall) Unwrap() error { return errUnsafeInit }

// snapState is the host's side of taking a snapshot.
type snapState struct {
	rand  *rand.ChaCha8
	calls int
}

// snapshotSeed seeds the random stream of every snapshot's initialization.
const snapshotSeed = "moonpool snapshot: initializers."

// takeSnapshot runs the program's initialization, as configured by c, in
// an instance off the simulation, and keeps what it leaves.
func (m *Module) takeSnapshot(c Config) (*snapshot, error) {
	in := &instance{cfg: Config{Args: c.Args, Env: c.Env, Watchdog: c.Watchdog}, snap: &snapState{rand: rand.NewChaCha8([32]byte([]byte(snapshotSeed)))}}
	in.ctx = context.WithValue(context.Background(), instanceKey{}, in)
	in.wait = in.ctx
	in.openStdio()
	mod, mem, err := m.instantiate(in.ctx, nil)
	defer func() {
		if mem != nil {
			mem.end()
		}
	}()
	if err != nil {
		return nil, err
	}
	in.mod = mod
	defer in.closeAll()
	if err := writeData(mod.Memory(), m.data); err != nil {
		return nil, err
	}
	err = in.watched(m, mod.ExportedFunction(initExport))
	if in.watch.fired.Load() {
		// Not a cold start: whether the watchdog fires depends on the
		// machine, and the way a program starts must not.
		return nil, fmt.Errorf("the program's package initializers ran for %v of real time without calling the host (no clock read, no I/O, no sleep): "+
			"an initializer loops without end, and WebAssembly stops such code without a stack, so the host cannot name the loop: %w", in.watch.limit, ErrSpinning)
	}
	if u, ok := in.panicked.(unsafeCall); ok {
		return nil, u
	}
	if in.panicked != nil || err != nil {
		// A cold start meets the same failure and reports it as the
		// program's own.
		return nil, fmt.Errorf("%w: they failed: %w", errUnsafeInit, err)
	}
	size := mod.Memory().Size()
	b, ok := mod.Memory().Read(0, size)
	if !ok {
		return nil, errors.New("wasmhost: cannot read the memory of a snapshot")
	}
	s := &snapshot{mem: append([]byte(nil), b...), globals: make([]uint64, len(m.globals))}
	for i, name := range m.globals {
		s.globals[i] = mod.ExportedGlobal(name).Get()
	}
	return s, nil
}

// restore gives mod, just instantiated or idle, the snapshot's memory
// and globals.
func (s *snapshot) restore(mod api.Module, globals []string, zeroFrom uint64) error {
	mem := mod.Memory()
	if size := uint32(len(s.mem)); mem.Size() < size {
		if _, ok := mem.Grow((size - mem.Size()) / pageSize); !ok {
			return errors.New("wasmhost: cannot grow a memory to its snapshot's size")
		}
	}
	b, ok := mem.Read(0, uint32(len(s.mem)))
	if !ok {
		return errors.New("wasmhost: cannot restore a memory from its snapshot")
	}
	copy(b, s.mem)
	if size := mem.Size(); size > uint32(len(s.mem)) {
		// An instance that an earlier process ran in (idlePool).
		end := uint64(size)
		if zeroFrom > uint64(len(s.mem)) {
			end = min(end, zeroFrom)
		}
		rest, ok := mem.Read(uint32(len(s.mem)), uint32(end)-uint32(len(s.mem)))
		if !ok {
			return errors.New("wasmhost: cannot clear a memory past its snapshot")
		}
		clear(rest)
	}
	for i, name := range globals {
		g, ok := mod.ExportedGlobal(name).(api.MutableGlobal)
		if !ok {
			return fmt.Errorf("wasmhost: global %s of a snapshot is not mutable", name)
		}
		g.Set(s.globals[i])
	}
	return nil
}

// pageSize is WebAssembly's page.
const pageSize = 65536

// snapshotHost is the host's part of a call during a snapshot's
// initialization: it counts the calls, so that a loop ends, and tells the
// watchdog that the program called the host.
func (in *instance) snapshotHost() {
	in.watch.enter()
	in.foreign.In()
	in.snap.calls++
	if in.snap.calls > snapshotCalls {
		panic(unsafeCall{fmt.Sprintf("more than %d host calls", snapshotCalls)})
	}
}

// snapshotSafe are the host functions that initialization may call in a
// snapshot: they read only what every instance of the same arguments and
// environment has. The others reach the world, or the instance's own
// randomness or clock, and raise unsafeCall.
var snapshotSafe = map[string]bool{
	"args_sizes_get":      true,
	"args_get":            true,
	"environ_sizes_get":   true,
	"environ_get":         true,
	"clock_time_get":      true, // the monotonic clock; see clockTimeGet
	"clock_res_get":       true,
	"random_get":          true, // the runtime's seed; see randomGet
	"fd_fdstat_get":       true,
	"fd_fdstat_set_flags": true, // on stdio, which it leaves as they are
	"fd_prestat_get":      true,
	"fd_prestat_dir_name": true,
}

// guardSnapshot makes f raise unsafeCall when called during a snapshot.
func guardSnapshot(name string, f api.GoModuleFunc) api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		if in := instanceOf(ctx); in.snap != nil {
			in.panicked = unsafeCall{"it calls " + name}
			panic(in.panicked)
		}
		f(ctx, mod, stack)
	}
}
