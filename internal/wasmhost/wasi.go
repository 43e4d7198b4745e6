package wasmhost

import (
	"context"
	"encoding/binary"
	"time"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// The host modules' names, as the program imports them.
const (
	wasiModule     = "wasi_snapshot_preview1"
	moonpoolModule = "moonpool"
)

// wasiFuncs are the wasi_snapshot_preview1 functions this host implements;
// the program's other imports from that module answer ENOSYS.
var wasiFuncs = map[string]hostFunc{
	"args_sizes_get":        fn(argsSizesGet, i32, i32),
	"args_get":              fn(argsGet, i32, i32),
	"environ_sizes_get":     fn(environSizesGet, i32, i32),
	"environ_get":           fn(environGet, i32, i32),
	"clock_time_get":        fn(clockTimeGet, i32, i64, i32),
	"clock_res_get":         fn(clockResGet, i32, i32),
	"random_get":            fn(randomGet, i32, i32),
	"sched_yield":           fn(schedYield),
	"proc_exit":             {fn: procExit, params: []api.ValueType{i32}},
	"poll_oneoff":           fn(pollOneoff, i32, i32, i32, i32),
	"fd_write":              fn(fdWrite, i32, i32, i32, i32),
	"fd_read":               fn(fdRead, i32, i32, i32, i32),
	"fd_pread":              fn(fdPread, i32, i32, i32, i64, i32),
	"fd_pwrite":             fn(fdPwrite, i32, i32, i32, i64, i32),
	"fd_close":              fn(fdClose, i32),
	"fd_seek":               fn(fdSeek, i32, i64, i32, i32),
	"fd_tell":               fn(fdTell, i32, i32),
	"fd_sync":               fn(fdSync, i32),
	"fd_datasync":           fn(fdSync, i32),
	"fd_fdstat_get":         fn(fdFdstatGet, i32, i32),
	"fd_fdstat_set_flags":   fn(fdFdstatSetFlags, i32, i32),
	"fd_filestat_get":       fn(fdFilestatGet, i32, i32),
	"fd_filestat_set_size":  fn(fdFilestatSetSize, i32, i64),
	"fd_prestat_get":        fn(fdPrestatGet, i32, i32),
	"fd_prestat_dir_name":   fn(fdPrestatDirName, i32, i32, i32),
	"fd_readdir":            fn(fdReaddir, i32, i32, i32, i64, i32),
	"path_open":             fn(pathOpen, i32, i32, i32, i32, i32, i64, i64, i32, i32),
	"path_create_directory": fn(pathCreateDirectory, i32, i32, i32),
	"path_filestat_get":     fn(pathFilestatGet, i32, i32, i32, i32, i32),
	"path_unlink_file":      fn(pathUnlinkFile, i32, i32, i32),
	"path_remove_directory": fn(pathRemoveDirectory, i32, i32, i32),
	"path_rename":           fn(pathRename, i32, i32, i32, i32, i32, i32),
	"sock_accept":           fn(sockAccept, i32, i32, i32),
	"sock_recv":             fn(sockRecv, i32, i32, i32, i32, i32, i32),
	"sock_send":             fn(sockSend, i32, i32, i32, i32, i32),
	"sock_shutdown":         fn(sockShutdown, i32, i32),
}

// Guest memory access. A pointer out of bounds is the program's bug; the
// call fails with EFAULT.

func u32(stack []uint64, i int) uint32 { return api.DecodeU32(stack[i]) }

func putU32(mem api.Memory, ptr uint32, v uint32) errno {
	if !mem.WriteUint32Le(ptr, v) {
		return errFAULT
	}
	return errSUCCESS
}

func putU64(mem api.Memory, ptr uint32, v uint64) errno {
	if !mem.WriteUint64Le(ptr, v) {
		return errFAULT
	}
	return errSUCCESS
}

// strings writes list as WASI's args_get does: a pointer per string into
// ptrs, the NUL-terminated strings one after another into buf.
func putStrings(mem api.Memory, list []string, ptrs, buf uint32) errno {
	for _, s := range list {
		if putU32(mem, ptrs, buf) != errSUCCESS || !mem.WriteString(buf, s) || !mem.WriteByte(buf+uint32(len(s)), 0) {
			return errFAULT
		}
		ptrs += 4
		buf += uint32(len(s)) + 1
	}
	return errSUCCESS
}

func putSizes(mem api.Memory, list []string, countPtr, lenPtr uint32) errno {
	n := 0
	for _, s := range list {
		n += len(s) + 1
	}
	if putU32(mem, countPtr, uint32(len(list))) != errSUCCESS {
		return errFAULT
	}
	return putU32(mem, lenPtr, uint32(n))
}

func argsSizesGet(in *instance, mem api.Memory, s []uint64) errno {
	return putSizes(mem, in.cfg.Args, u32(s, 0), u32(s, 1))
}

func argsGet(in *instance, mem api.Memory, s []uint64) errno {
	return putStrings(mem, in.cfg.Args, u32(s, 0), u32(s, 1))
}

func environSizesGet(in *instance, mem api.Memory, s []uint64) errno {
	return putSizes(mem, in.cfg.Env, u32(s, 0), u32(s, 1))
}

func environGet(in *instance, mem api.Memory, s []uint64) errno {
	return putStrings(mem, in.cfg.Env, u32(s, 0), u32(s, 1))
}

// The clocks: realtime is the host's clock, with its skew and drift;
// the others count from the boot on the same clock, never backwards.
func clockTimeGet(in *instance, mem api.Memory, s []uint64) errno {
	if in.spinning && !in.threw {
		in.threw = true // the runtime throws, printing every goroutine
		return errNOTCAPABLE
	}
	if in.snap != nil {
		// A snapshot's initialization: the monotonic clock reads what it
		// reads at any instance's start; the wall clock would be one
		// instant for every instance.
		if u32(s, 0) == 0 {
			panic(unsafeCall{"it reads the wall clock"})
		}
		return putU64(mem, u32(s, 2), uint64(monoStart))
	}
	now := in.p.Time.Now()
	var t int64
	if u32(s, 0) == 0 {
		t = now.UnixNano()
	} else {
		t = in.mono(now)
	}
	return putU64(mem, u32(s, 2), uint64(t))
}

// monoStart is the monotonic clock's reading at boot: the runtime takes
// zero for a broken clock.
const monoStart = int64(time.Second)

// mono is the monotonic clock's reading at now, never backwards.
func (in *instance) mono(now time.Time) int64 {
	t := max(monoStart+int64(now.Sub(in.monoBase)), in.lastMono)
	in.lastMono = t
	return t
}

func clockResGet(in *instance, mem api.Memory, s []uint64) errno {
	return putU64(mem, u32(s, 1), 1000)
}

func randomGet(in *instance, mem api.Memory, s []uint64) errno {
	buf, ok := mem.Read(u32(s, 0), u32(s, 1))
	if !ok {
		return errFAULT
	}
	var src func() uint64
	if in.snap == nil {
		src = in.p.Random.Uint64
	} else {
		// A snapshot's initialization draws from the fixed stream: the
		// runtime's seed, which each instance draws again from its own
		// source as main starts, and what package initializers draw
		// (crypto/rand), the same for every instance.
		src = in.snap.rand.Uint64
	}
	var w [8]byte
	for len(buf) > 0 {
		binary.LittleEndian.PutUint64(w[:], src())
		buf = buf[copy(buf, w[:]):]
	}
	return errSUCCESS
}

func schedYield(in *instance, mem api.Memory, s []uint64) errno {
	in.p.Task.Yield(in.wait)
	return errSUCCESS
}

// procExit ends the program, as wazero's own proc_exit does: close the
// module with the code (unless the instance is to start another process:
// see idlePool), and unwind the call with an exit error.
func procExit(ctx context.Context, mod api.Module, s []uint64) {
	code := u32(s, 0)
	in := instanceOf(ctx)
	in.flushOutput()
	if in.idle == nil {
		_ = mod.CloseWithExitCode(ctx, code)
	}
	panic(sys.NewExitError(code))
}
