package sim

import (
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// StepKind tells a task resumption from an event.
type StepKind uint8

// The kinds of step.
const (
	StepRun   StepKind = iota + 1 // the scheduler resumed a task
	StepEvent                     // an event fired
)

// Step is one recorded step of a run (Config.Record).
type Step struct {
	Kind  StepKind
	Task  string        // the task resumed, for StepRun
	At    time.Duration // simulated time
	Draws uint64        // random draws made before the step
	Hash  uint64        // trace hash after the step
}

func (s Step) String() string {
	if s.Kind == StepRun {
		return fmt.Sprintf("at %v resume task %q (draw %d)", s.At, s.Task, s.Draws)
	}
	return fmt.Sprintf("at %v fire an event (draw %d)", s.At, s.Draws)
}

// Diverge compares the records of two runs of one seed and describes the
// first step at which they differ, or returns "" when they agree.
func Diverge(a, b []Step) string {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] == b[i] {
			continue
		}
		if sa := a[i].String(); sa == b[i].String() {
			// Only the hashes differ: printing both steps would print
			// one line twice.
			return fmt.Sprintf("step %d is the same in both runs (%s), but the trace hashes differ there (%016x, then %016x): "+
				"what ran before it did something different in each run that the trace records (it started other tasks, or recorded other events)%s",
				i, sa, a[i].Hash, b[i].Hash, before(a, i))
		}
		return fmt.Sprintf("step %d differs:\n  first run:  %v\n  second run: %v%s", i, a[i], b[i], before(a, i))
	}
	if len(a) != len(b) {
		return fmt.Sprintf("the runs agree for %d steps, then one ends: the first run took %d steps, the second %d", n, len(a), len(b))
	}
	return ""
}

func before(a []Step, i int) string {
	if i == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n  the steps before, common to both:")
	for _, s := range a[max(0, i-3):i] {
		b.WriteString("\n    ")
		b.WriteString(s.String())
	}
	return b.String()
}

// Entry is one line of a run's timeline: an engine event (a task started
// or ended, a fault, a failure), a log line of the test driver, or a
// log/slog record of simulated code.
type Entry struct {
	At   time.Duration // simulated time
	Task string        // the emitting task; empty for the world itself
	// Process names the emitting task's process (its Group): empty for a
	// task of none, and for the world itself.
	Process string
	// Name is what queries match: a slog record's message, or an engine
	// event's message up to its first ": " ("task started", "net",
	// "buggify fired").
	Name  string
	Msg   string
	Level slog.Level  // a slog record's level; Info for everything else
	Attrs []slog.Attr // a slog record's attributes
}

func (e Entry) String() string {
	var b strings.Builder
	if e.Task == "" {
		fmt.Fprintf(&b, "%12v  %s", e.At, e.Msg)
	} else {
		fmt.Fprintf(&b, "%12v  %-12s %s", e.At, e.Task, e.Msg)
	}
	if e.Level != slog.LevelInfo {
		fmt.Fprintf(&b, " level=%v", e.Level)
	}
	for _, a := range e.Attrs {
		b.WriteByte(' ')
		b.WriteString(a.String())
	}
	return b.String()
}

// EventName is the name of an engine event with message msg: the message
// up to its first ": ".
func EventName(msg string) string {
	name, _, _ := strings.Cut(msg, ": ")
	return name
}

// ring keeps the last len(buf) entries, and hands every entry to observe
// when it is set.
type ring struct {
	buf     []Entry
	next    int
	full    bool
	observe func(Entry)
}

func (r *ring) add(e Entry) {
	if r.observe != nil {
		r.observe(e)
	}
	r.buf[r.next] = e
	r.next++
	if r.next == len(r.buf) {
		r.next = 0
		r.full = true
	}
}

func (r *ring) entries() []Entry {
	if !r.full {
		return append([]Entry(nil), r.buf[:r.next]...)
	}
	return append(append([]Entry(nil), r.buf[r.next:]...), r.buf[:r.next]...)
}

// note adds an engine event to the timeline, attributed to task (empty for
// the world itself), of process g (nil for none).
func (w *World) note(task string, g *Group, msg string) {
	w.timeline.add(Entry{At: time.Duration(w.now), Task: task, Process: g.process(), Name: EventName(msg), Msg: msg})
}

// Log adds msg to the timeline, attributed to the running task, if any.
func (w *World) Log(msg string) { w.note(w.CurrentTask(), w.curGroup(), msg) }

// Record adds e to the timeline, stamped with the simulated time, with the
// running task when e names no task, and with its task's process when it
// names none. An empty Name is taken from Msg as for an engine event. Like
// Log, and unlike Event, it leaves the trace hash alone: logging more or
// less does not change the run.
func (w *World) Record(e Entry) {
	e.At = time.Duration(w.now)
	if e.Task == "" {
		e.Task = w.CurrentTask()
	}
	if e.Process == "" {
		e.Process = w.groupOf(e.Task).process()
	}
	if e.Name == "" {
		e.Name = EventName(e.Msg)
	}
	w.timeline.add(e)
}
