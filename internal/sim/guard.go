package sim

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// goid returns the calling goroutine's id, read from its stack header
// ("goroutine 42 [running]:"). Reports use it to find a task's stack.
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		id, _ := strconv.ParseUint(string(b[:i]), 10, 64)
		return id
	}
	return 0
}

// stacks returns the stack of every goroutine, by id.
func stacks() map[uint64]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := make(map[uint64]string)
	for _, g := range strings.Split(string(buf), "\n\n") {
		rest, ok := strings.CutPrefix(g, "goroutine ")
		if !ok {
			continue
		}
		if i := strings.IndexByte(rest, ' '); i > 0 {
			if id, err := strconv.ParseUint(rest[:i], 10, 64); err == nil {
				out[id] = g
			}
		}
	}
	return out
}

// userFrames drops the frames of the engine, the providers and the runtime
// from a stack so that a report shows the task's own code.
func userFrames(stack string) string {
	lines := strings.Split(stack, "\n")
	var out []string
	for i := 1; i+1 < len(lines); i += 2 {
		fn, loc := lines[i], lines[i+1]
		if strings.HasPrefix(fn, "created by ") || isEngineFrame(fn, loc) {
			continue
		}
		out = append(out, fn, loc)
	}
	if len(out) == 0 {
		return stack
	}
	return strings.Join(out, "\n")
}

func isEngineFrame(fn, loc string) bool {
	if strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "iter.") {
		return true
	}
	if strings.Contains(loc, "_test.go:") {
		return false
	}
	return strings.Contains(loc, "/internal/sim/") || strings.Contains(loc, "/providers/")
}

// describeTasks lists every live task, what it waits on, and where.
func (w *World) describeTasks() string {
	st := stacks()
	var b strings.Builder
	for _, t := range w.tasks {
		switch {
		case t.parked:
			fmt.Fprintf(&b, "task %q waits on %s", t.name, t.what)
		case t.readyIdx >= 0 && !t.started:
			fmt.Fprintf(&b, "task %q has not started", t.name)
		case t.readyIdx >= 0:
			fmt.Fprintf(&b, "task %q is ready", t.name)
		default:
			fmt.Fprintf(&b, "task %q is running", t.name)
		}
		if s, ok := st[t.gid.Load()]; ok && t.started {
			b.WriteString(":\n\t")
			b.WriteString(strings.ReplaceAll(userFrames(s), "\n", "\n\t"))
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// RunGuarded runs the world on a goroutine of its own and watches it from
// the caller's: if no step completes for watchdog of real time, the running
// task has blocked outside the simulation (a raw channel, a sync.Mutex,
// time.Sleep, real I/O). The run is then abandoned with an Escaped failure
// that names the task and shows where it blocked; its goroutine cannot be
// recovered and stays behind. A zero watchdog waits forever.
//
// A task's runtime.Goexit tears the world down and sets Result.Goexit: the
// caller, on a test's goroutine, should then call t.FailNow.
func (w *World) RunGuarded(root func(ctx context.Context, p providers.Providers) error, watchdog time.Duration) Result {
	done := make(chan Result, 1)
	go func() {
		normal := false
		defer func() {
			if !normal {
				r := w.result()
				r.Goexit = true
				done <- r
			}
		}()
		r := w.Run(root)
		normal = true
		done <- r
	}()
	if watchdog <= 0 {
		return <-done
	}
	tick := time.NewTicker(watchdog / 4)
	defer tick.Stop()
	last, since := w.published(), time.Now()
	for {
		select {
		case r := <-done:
			return r
		case now := <-tick.C:
			p := w.published()
			if p != last {
				last, since = p, now
				continue
			}
			if now.Sub(since) < watchdog {
				continue
			}
			return w.escaped(watchdog)
		}
	}
}

// escaped builds the result of a run whose running task never came back.
// It runs on the watcher's goroutine, so it reads only what the world
// published atomically.
func (w *World) escaped(watchdog time.Duration) Result {
	w.published() // pairs with the store that published w.cur
	t := w.cur
	name, stack := "(the scheduler)", ""
	if t != nil {
		name = t.name
		stack = userFrames(stacks()[t.gid.Load()])
	}
	return Result{
		Seed:  w.cfg.Seed,
		Steps: w.published(),
		Err: &Failure{
			Kind:  Escaped,
			Task:  name,
			Msg:   fmt.Sprintf("the task has not returned to the scheduler for %v of real time: it is blocked outside the simulation (a raw channel, sync.Mutex, time.Sleep, or real I/O?). Block only through the providers: Time.Sleep, Chan, Mutex, WaitGroup, Select, the simulated network and disk", watchdog),
			Stack: stack,
		},
	}
}
