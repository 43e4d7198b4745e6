package sim

import (
	"bytes"
	"context"
	"fmt"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// labelKey is the pprof label that names a worker's goroutine, so that
// reports can find the stack of the task it runs in a goroutine profile. A
// label costs a tenth of reading the goroutine's id from its own stack
// trace, and task starts are frequent.
const labelKey = "moonpool-task"

// labelWorker gives wk its label: its address, which no other live worker
// shares, in whichever world it runs (workers move between worlds).
func labelWorker(wk *worker) {
	wk.label = fmt.Sprintf("%p", wk)
	wk.labels = pprof.WithLabels(context.Background(), pprof.Labels(labelKey, wk.label))
}

// label labels the calling goroutine, t's worker's, with the worker's
// label. The label is made once per worker, and setting it is a pointer
// store; it is set at every task start, not once per worker, because a
// task may relabel its goroutine (pprof.Do ends by restoring the labels of
// the context it was given, which lack ours), and that must not hide the
// stacks of the tasks the worker runs later.
func (t *task) label() { pprof.SetGoroutineLabels(t.wk.labels) }

// workerFrame is in the stack of every worker's goroutine: the loop of
// World.worker.
const workerFrame = "/internal/sim.(*World).worker.func"

// stacks returns the stack of every labelled worker goroutine, by label, as
// "function\n\tfile:line" lines, read from the goroutine profile. A
// goroutine started by a task inherits its worker's label: the stack that
// holds the worker's own frame wins over it.
func stacks() map[string]string {
	var buf bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
	out := make(map[string]string)
	for _, rec := range strings.Split(buf.String(), "\n\n") {
		var label string
		var frames []string
		worker := false
		for _, line := range strings.Split(rec, "\n") {
			switch {
			case strings.HasPrefix(line, "# labels: "):
				_, rest, ok := strings.Cut(line, `"`+labelKey+`":"`)
				if ok {
					label, _, _ = strings.Cut(rest, `"`)
				}
			case strings.HasPrefix(line, "#\t"):
				// "#\t0x51bed0\tpkg.fn+0xb0\t/path/file.go:851"
				f := strings.Split(line, "\t")
				if len(f) >= 4 {
					fn, _, _ := strings.Cut(f[2], "+0x")
					frames = append(frames, fn+"\n\t"+strings.TrimSpace(f[len(f)-1]))
					worker = worker || strings.Contains(fn, workerFrame)
				}
			}
		}
		if _, seen := out[label]; label != "" && (worker || !seen) {
			out[label] = strings.Join(frames, "\n")
		}
	}
	return out
}

// userFrames drops the frames of the engine, the providers and the runtime
// from a stack so that a report shows the task's own code.
func userFrames(stack string) string {
	lines := strings.Split(stack, "\n")
	var out []string
	for i := 0; i+1 < len(lines); i += 2 {
		fn, loc := lines[i], lines[i+1]
		if isEngineFrame(fn, loc) {
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
	return strings.Contains(loc, "/internal/sim/") || strings.Contains(loc, "/providers/") || strings.Contains(loc, "/simtest/")
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
		if s, ok := st[t.wk.label]; ok && t.started {
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
	w.cfg.Workers.goRun(func() {
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
	})
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
			w.abandoned.Store(true)
			return w.escaped(watchdog)
		}
	}
}

// published reads the progress that publish stores, from the watchdog's
// goroutine.
func (w *World) published() uint64 { return atomic.LoadUint64(&w.progress) }

// escaped builds the result of a run whose running task never came back.
// It runs on the watcher's goroutine and reads w.cur and the task's name
// and worker, which the scheduler's goroutine wrote. Under the race
// detector the load pairs with publish's atomic store, made after w.cur
// was set; in other builds publish is a plain store and these are plain
// reads. They are safe all the same: the scheduler is blocked inside the
// task that never came back, so nothing has written them since, for at
// least the watchdog period.
func (w *World) escaped(watchdog time.Duration) Result {
	w.published()
	t := w.cur
	name, stack := "(the scheduler)", ""
	if t != nil {
		name = t.name
		stack = userFrames(stacks()[t.wk.label])
	}
	return Result{
		Seed:  w.cfg.Seed,
		Steps: w.published(),
		Err: &Failure{
			Kind:  Escaped,
			Task:  name,
			Msg:   fmt.Sprintf("the task has not returned to the scheduler for %v of real time: it is blocked outside the simulation (a raw channel, sync.Mutex, time.Sleep, or real I/O?). Block only through the providers: Time.Sleep, Chan, Mutex, WaitGroup, Select, the simulated network and disk (simvet's chan, sync, wallclock and osnet rules find this before running)", watchdog),
			Stack: stack,
		},
	}
}
