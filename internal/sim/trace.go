package sim

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
)

// StepKind tells the kinds of recorded step apart.
type StepKind uint8

// The kinds of step. A plain run's trace hash covers the first two; a run
// that hashes data (Config.HashData) hashes what the last two carry into
// Result.Data, and keeps them when it records.
const (
	StepRun   StepKind = iota + 1 // the scheduler resumed a task
	StepEvent                     // an event fired
	StepStart                     // a task started
	StepWrite                     // bytes were written to a connection or a file
)

// Step is one recorded step of a run (Config.Record). It holds no
// pointer, so that the collector need not scan a long record; the names
// and writes it refers to are in its Recording.
type Step struct {
	Kind   StepKind
	ID     uint32        // the task resumed, started or writing; 0 for none
	write  uint32        // for StepWrite: 1 + its index in Recording.writes
	At     time.Duration // simulated time
	Draws  uint64        // random draws made before the step
	Values uint64        // with Config.HashData: hash of the values drawn before the step
	Hash   uint64        // trace hash after the step
}

// Write is what a StepWrite step wrote.
type Write struct {
	Where string // where the bytes went, a connection or a file
	N     uint64 // the how-manieth write there it is, from 1
	Off   uint64 // the offset of its first byte there
	Len   int
	Bytes uint64 // a hash of the bytes
}

// Recording is the record of a run (Config.Record): its steps, and the
// task names and writes they refer to. A run given a ChunkPlan keeps a
// hash of every chunk of ChunkSteps steps instead, and the steps of a
// window of them alone (chunks.go).
type Recording struct {
	// Steps are the steps kept: every step, or those of the window, the
	// first of them the run's step Base.
	Steps []Step
	Base  int
	// Len is how many steps the run recorded, kept or not.
	Len    int
	tasks  []string // task names, by id - 1
	writes []Write  // the writes of the steps kept, the first the run's write writesBase
	// writesBase is the index among the run's writes of writes[0].
	writesBase int

	chunked bool // the run keeps chunk hashes and a window (ChunkPlan)
	chunkState
}

// Task is the name of the task of step s, or "" for none.
func (r *Recording) Task(s Step) string {
	if s.ID == 0 || int(s.ID) > len(r.tasks) {
		return ""
	}
	return r.tasks[s.ID-1]
}

// Write is what step s wrote, if it is a StepWrite.
func (r *Recording) Write(s Step) (Write, bool) {
	if s.write == 0 || int(s.write)-1-r.writesBase >= len(r.writes) || int(s.write)-1 < r.writesBase {
		return Write{}, false
	}
	return r.writes[int(s.write)-1-r.writesBase], true
}

// add appends s, which wrote wr when it is a StepWrite. It doubles the
// capacity when full, where append would grow so long a slice by a
// quarter at a time and copy it over and over.
func (r *Recording) add(s Step, wr *Write) {
	r.Len++
	if r.chunked {
		r.addChunked(s, wr)
		return
	}
	if wr != nil {
		r.writes = append(r.writes, *wr)
		s.write = uint32(len(r.writes))
	}
	if len(r.Steps) == cap(r.Steps) {
		r.Steps = slices.Grow(r.Steps, max(len(r.Steps), 1024))
	}
	r.Steps = append(r.Steps, s)
}

// describe says what step s did.
func (r *Recording) describe(s Step) string {
	switch s.Kind {
	case StepRun:
		return fmt.Sprintf("at %v resume task %q (draw %d)", s.At, r.Task(s), s.Draws)
	case StepStart:
		return fmt.Sprintf("at %v start task %d named %q (draw %d)", s.At, s.ID, r.Task(s), s.Draws)
	case StepWrite:
		wr, _ := r.Write(s)
		return fmt.Sprintf("at %v task %q writes %d bytes (hash %016x) to %s, write #%d at offset %d (draw %d)",
			s.At, r.Task(s), wr.Len, wr.Bytes, wr.Where, wr.N, wr.Off, s.Draws)
	}
	return fmt.Sprintf("at %v fire an event (draw %d)", s.At, s.Draws)
}

// same reports whether step x of a and step y of b are the same, names
// and writes compared by value.
func same(a, b *Recording, x, y Step) bool {
	wx, _ := a.Write(x)
	wy, _ := b.Write(y)
	nx, ny := a.Task(x), b.Task(y)
	x.write, y.write = 0, 0
	return x == y && nx == ny && wx == wy
}

// Diverge compares the records of two runs of one seed and describes the
// first step at which they differ, and what differs there, or returns ""
// when they agree. Two windows (ChunkPlan) are compared where both hold
// steps, from the same Base.
func Diverge(a, b Recording) string {
	if a.Base != b.Base {
		return ""
	}
	n := min(len(a.Steps), len(b.Steps))
	for i := range n {
		x, y := a.Steps[i], b.Steps[i]
		if same(&a, &b, x, y) {
			continue
		}
		at := a.Base + i
		what := differs(&a, &b, i)
		dx, dy := a.describe(x), b.describe(y)
		switch {
		case dx == dy && what == "":
			// Only the hashes differ: printing both steps would print
			// one line twice.
			return fmt.Sprintf("step %d is the same in both runs (%s), but the trace hashes differ there (%016x, then %016x): "+
				"what ran before it did something different in each run that the trace records (it started other tasks, or recorded other events)%s",
				at, dx, x.Hash, y.Hash, a.before(i))
		case dx == dy:
			return fmt.Sprintf("step %d differs: %s\n  in both runs: %s%s", at, what, dx, a.before(i))
		}
		head := fmt.Sprintf("step %d differs", at)
		if what != "" {
			head += ": " + what
		}
		return fmt.Sprintf("%s\n  first run:  %s\n  second run: %s%s", head, dx, dy, a.before(i))
	}
	if a.Len != b.Len {
		return fmt.Sprintf("the runs agree for %d steps, then one ends: the first run took %d steps, the second %d", a.Base+n, a.Len, b.Len)
	}
	return ""
}

// differs says what differs between the steps i of a and b, when it is
// one of the things that a plain run's trace does not cover; "" otherwise.
func differs(a, b *Recording, i int) string {
	x, y := a.Steps[i], b.Steps[i]
	wx, okx := a.Write(x)
	wy, oky := b.Write(y)
	switch {
	case x.Kind != y.Kind:
		return ""
	case x.Kind == StepStart && x.ID == y.ID && a.Task(x) != b.Task(y):
		return fmt.Sprintf("task %d was named %q in the first run, %q in the second", x.ID, a.Task(x), b.Task(y))
	case !okx || !oky:
	case wx.Where != wy.Where:
		return fmt.Sprintf("write #%d to %s in the first run is write #%d to %s in the second", wx.N, wx.Where, wy.N, wy.Where)
	case wx.N == wy.N && wx != wy:
		what := fmt.Sprintf("the bytes of write #%d to %s differ", wx.N, wx.Where)
		if wx.Len != wy.Len {
			what += fmt.Sprintf(" (%d bytes, then %d)", wx.Len, wy.Len)
		}
		if wx.Off != wy.Off {
			what += fmt.Sprintf(" (at offset %d, then %d)", wx.Off, wy.Off)
		}
		return what
	}
	if x.Values != y.Values {
		x.Values = y.Values
		if same(a, b, x, y) {
			from := uint64(0)
			if i > 0 {
				from = a.Steps[i-1].Draws
			}
			return fmt.Sprintf("a value drawn from the random stream since the step before differs (draw count %d to %d): "+
				"the same number of draws, put to another use (another bound?)", from, x.Draws)
		}
	}
	return ""
}

// before describes the few steps of r before step i.
func (r *Recording) before(i int) string {
	if i == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n  the steps before, common to both:")
	for _, s := range r.Steps[max(0, i-3):i] {
		b.WriteString("\n    ")
		b.WriteString(r.describe(s))
	}
	return b.String()
}

// dataTrace is what a run with Config.HashData hashes besides the trace:
// the names of tasks, the bytes written to connections and files, and
// (through the stream, rng.Stream.HashValues) the values drawn. Two
// runs of a seed whose traces agree may still differ there: a map's order
// in the names given to tasks, or in the bytes a task writes.
type dataTrace struct {
	hash uint64
	devs map[any]*place    // devices written to
	at   map[string]*place // the same places, by name
}

// A place is where writes go, a connection or a file, as a report names
// it; several devices (handles of one file) may write to one place.
type place struct {
	name   string
	writes uint64
}

// HashesData reports whether the run hashes the data that moves
// (Config.HashData), that is whether a device should call Wrote.
func (w *World) HashesData() bool { return w.cfg.HashData }

// Wrote tells a run that hashes data that the running task wrote b to dev,
// a connection or a file, at offset off there: the bytes are hashed into
// Result.Data, and the write is recorded as a step if the run records. where names dev as a
// report should ("conn 10.0.0.1:49152->10.0.0.2:80"); it is called once
// per dev. Wrote does nothing in a run that does not hash data; a device
// checks HashesData first, and spares a plain run even the call.
func (w *World) Wrote(dev any, where func() string, off uint64, b []byte) {
	if !w.cfg.HashData {
		return
	}
	d := &w.data
	pl := d.devs[dev]
	if pl == nil {
		if d.devs == nil {
			d.devs, d.at = make(map[any]*place), make(map[string]*place)
		}
		name := where()
		if pl = d.at[name]; pl == nil {
			pl = &place{name: name}
			d.at[name] = pl
		}
		d.devs[dev] = pl
	}
	pl.writes++
	name, n := pl.name, pl.writes
	h := hashBytes(b)
	d.hash = mix(mix(mix(d.hash, h), off), n)
	if !w.cfg.Record {
		return
	}
	var id uint32
	if w.cur != nil {
		id = w.cur.id
	}
	w.record.add(Step{Kind: StepWrite, ID: id, At: time.Duration(w.now), Draws: w.rng.Draws(), Values: w.rng.Values(), Hash: w.trace},
		&Write{Where: name, N: n, Off: off, Len: len(b), Bytes: h})
}

// recordStart hashes the start of task t, and records it, as the run
// wants.
func (w *World) recordStart(t *task) {
	if w.cfg.HashData {
		w.data.hash = mix(w.data.hash, hashBytes([]byte(t.name))^uint64(t.id))
	}
	if !w.cfg.Record {
		return
	}
	r := &w.record
	for len(r.tasks) < int(t.id)-1 {
		r.tasks = append(r.tasks, "") // ids count from 1 in start order: none is skipped
	}
	r.tasks = append(r.tasks, t.name)
	if r.chunked {
		r.named(t.name)
	}
	if w.cfg.HashData {
		r.add(Step{Kind: StepStart, ID: t.id, At: time.Duration(w.now), Draws: w.rng.Draws(), Values: w.rng.Values(), Hash: w.trace}, nil)
	}
}

// dataHash is Result.Data: zero unless the run hashes data.
func (w *World) dataHash() uint64 {
	if !w.cfg.HashData {
		return 0
	}
	return mix(w.data.hash, w.rng.Values())
}

// hashBytes hashes b eight bytes at a time; the same bytes give the same
// hash on every platform (unlike hash/maphash, seeded per process).
func hashBytes(b []byte) uint64 {
	h := uint64(len(b)) * 0x9e3779b97f4a7c15
	for len(b) >= 8 {
		h = mix(h, binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	var tail uint64
	for i, c := range b {
		tail |= uint64(c) << (8 * i)
	}
	return mix(h, tail)
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
	// Event marks an entry of [World.Event] or [World.EventKeyed]: a
	// happening the simulation records of its own (a fault, a reboot),
	// which the trace hashes. A log line (Log, Record), of the code under
	// test or of the test, never is one, whatever its words.
	Event bool
}

func (e Entry) String() string { return e.Columns(12, 12) }

// Who is the task a line of text names: e's task, or, for a record that a
// task of no process logged as a host's (the host's Logger of
// simtest.S.HostProviders), the host's name before the task's, as the
// host's own tasks are named: "client-0/workload reader".
func (e Entry) Who() string {
	if e.Event || e.Process == "" || e.Task == "" || e.Task == e.Process || strings.HasPrefix(e.Task, e.Process+"/") {
		return e.Task
	}
	return e.Process + "/" + e.Task
}

// Columns formats e as String does, with its time right-aligned in at
// characters and its task padded to task, so that a list of entries
// formatted with its widest time and task lines up.
func (e Entry) Columns(at, task int) string {
	var b strings.Builder
	if who := e.Who(); who == "" {
		fmt.Fprintf(&b, "%*v  %s", at, e.At, e.Msg)
	} else {
		fmt.Fprintf(&b, "%*v  %-*s %s", at, e.At, task, who, e.Msg)
	}
	if e.Level != slog.LevelInfo {
		fmt.Fprintf(&b, " level=%v", e.Level)
	}
	for _, a := range e.Attrs {
		b.WriteByte(' ')
		if s := a.String(); !strings.Contains(s, "\n") {
			b.WriteString(s)
		} else { // quoted, as slog's text handler does, to keep one line
			b.WriteString(a.Key + "=" + strconv.Quote(a.Value.String()))
		}
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
	if len(r.buf) == 0 {
		return // the run is over and its entries handed out (entries)
	}
	r.buf[r.next] = e
	r.next++
	if r.next == len(r.buf) {
		r.next = 0
		r.full = true
	}
}

// entries returns the entries, oldest first, in the ring's own buffer,
// which it gives up: the world calls it once, as its run ends, and the
// entries are put in order where they are rather than copied.
func (r *ring) entries() []Entry {
	if !r.full {
		var e []Entry
		if r.next > 0 {
			e = r.buf[:r.next:r.next]
		}
		r.buf, r.next = nil, 0
		return e
	}
	slices.Reverse(r.buf[:r.next])
	slices.Reverse(r.buf[r.next:])
	slices.Reverse(r.buf)
	e := r.buf
	r.buf, r.next, r.full = nil, 0, false
	return e
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
	e.Event = false // a log line, whatever it reads
	w.timeline.add(e)
}
