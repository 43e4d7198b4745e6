package simtest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/internal/sim"
)

// Entry is one line of a seed's timeline. The timeline is the seed's story
// in one sequence: the engine's events (tasks started and ended, faults,
// failures), the test driver's log lines, and the log/slog records of the
// code under test (see [S.Logger]).
type Entry struct {
	At   time.Duration // simulated time since the seed began
	Task string        // the task that emitted it; empty for the world itself
	// Process is the emitting task's process (a task started by a
	// process of [S.Boot] belongs to it); empty for the driver's tasks and
	// the world itself.
	Process string
	// Name is what [S.Watch] matches: a log record's message, or an engine
	// event's message up to its first ": " ("task started",
	// "task finished", "net", "buggify fired", "error").
	Name  string
	Msg   string
	Level slog.Level  // a log record's level; Info for everything else
	Attrs []slog.Attr // a log record's attributes
}

func entryOf(e sim.Entry) Entry {
	return Entry{At: e.At, Task: e.Task, Process: e.Process, Name: e.Name, Msg: e.Msg, Level: e.Level, Attrs: e.Attrs}
}

// String formats e as a failure report shows it.
func (e Entry) String() string {
	return sim.Entry{At: e.At, Task: e.Task, Process: e.Process, Name: e.Name, Msg: e.Msg, Level: e.Level, Attrs: e.Attrs}.String()
}

// Watch collects the entries of a seed's timeline that have certain
// names, as they are added, for invariants that check a sequence of
// events: read what came since the last look with [Watch.Next].
type Watch struct {
	names   []string
	pending []Entry
}

// Watch returns a Watch of the timeline entries named one of names (all
// entries, with no names), from now until the seed ends.
//
//	crashes := s.Watch("crash")
//	s.Invariant("no write is acknowledged during a crash", func() error {
//		for _, e := range crashes.Next() {
//			...
//		}
//		return nil
//	})
func (s *S) Watch(names ...string) *Watch {
	w := &Watch{names: slices.Clone(names)}
	s.obs.watches = append(s.obs.watches, w)
	s.obs.observeTimeline()
	return w
}

func (w *Watch) offer(e sim.Entry) {
	if len(w.names) == 0 || slices.Contains(w.names, e.Name) {
		w.pending = append(w.pending, entryOf(e))
	}
}

// Next returns the watched entries added since the last call, oldest
// first, and forgets them.
func (w *Watch) Next() []Entry {
	out := w.pending
	w.pending = nil
	return out
}

// Logger returns a log/slog logger for the code under test. Its records
// join the seed's timeline, stamped with the simulated time and the task
// (and, once tasks belong to processes, the process) that logs them: a
// failed seed's report shows them among the engine's events, [S.Watch]
// can follow them, and the timeline file holds them. Every level is kept.
// Logging never changes the run: records are not part of the trace.
func (s *S) Logger() *slog.Logger {
	return slog.New(&timelineHandler{w: s.w})
}

// timelineHandler is the slog.Handler of S.Logger. Attributes in groups
// are kept with dotted keys ("g.id"), as slog's TextHandler writes them.
type timelineHandler struct {
	w *sim.World
	// host is the host of S.HostProviders whose Logger this is: a record
	// of a task of no process is that host's.
	host   string
	attrs  []slog.Attr // from WithAttrs, already qualified
	prefix string      // the open groups, each followed by a dot
}

func (h *timelineHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *timelineHandler) Handle(_ context.Context, r slog.Record) error {
	attrs := slices.Clip(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		attrs = appendAttr(attrs, h.prefix, a)
		return true
	})
	e := sim.Entry{Name: r.Message, Msg: r.Message, Level: r.Level, Attrs: attrs}
	if h.host != "" && h.w.CurrentProcess() == "" {
		e.Process = h.host
	}
	h.w.Record(e)
	return nil
}

func (h *timelineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = slices.Clip(h.attrs)
	for _, a := range as {
		h2.attrs = appendAttr(h2.attrs, h.prefix, a)
	}
	return &h2
}

func (h *timelineHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + name + "."
	return &h2
}

// appendAttr appends a, resolved, with its key qualified by prefix; a
// group's attributes are appended one by one, as slog's handlers do: an
// empty attribute is dropped, a group with no key is inlined.
func appendAttr(dst []slog.Attr, prefix string, a slog.Attr) []slog.Attr {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return dst
	}
	if a.Value.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, g := range a.Value.Group() {
			dst = appendAttr(dst, prefix, g)
		}
		return dst
	}
	a.Key = prefix + a.Key
	return append(dst, a)
}

// jsonEntry is one line of the timeline file. Its fields are a stable
// format: add to them, never rename.
type jsonEntry struct {
	Seed uint64 `json:"seed"`
	// Recipe is the exploration timeline, when it branched from the
	// seed's own run (see [Explore]); -simrecipe replays it.
	Recipe  string         `json:"recipe,omitempty"`
	AtNS    int64          `json:"at_ns"`
	At      string         `json:"at"`
	Task    string         `json:"task,omitempty"`
	Process string         `json:"process,omitempty"`
	Name    string         `json:"name"`
	Msg     string         `json:"msg"`
	Level   string         `json:"level"`
	Attrs   map[string]any `json:"attrs,omitempty"`
}

// writeTimeline writes a seed's timeline as JSON lines; recipe is the
// exploration timeline it is, when it branched from the seed's own run.
// The disks' operations in pic, if any, come among the entries where they
// happened.
func writeTimeline(w io.Writer, seed uint64, recipe string, entries []sim.Entry, pic *picture) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	var ops []sim.Op
	var opAt []int
	base := 0 // the entries left out before entries[0]
	if pic != nil {
		ops, opAt, base = pic.ops, pic.opAt, pic.cut.entries
		if note := pic.cutNote(); note != "" {
			je := jsonEntry{Seed: seed, Recipe: recipe, AtNS: int64(pic.cut.upTo), At: pic.cut.upTo.String(), Name: cutName, Msg: note,
				Level: slog.LevelInfo.String(), Attrs: map[string]any{"entries_left_out": pic.cut.entries + pic.cut.laterEntries, "ops_left_out": pic.cut.ops + pic.cut.laterOps}}
			if err := enc.Encode(je); err != nil {
				return err
			}
		}
	}
	k := 0 // the next op
	writeOps := func(upTo int) error {
		for ; k < len(ops) && opAt[k] <= upTo; k++ {
			if op := ops[k]; op.Kind == sim.OpDisk {
				if err := enc.Encode(diskOpEntry(seed, recipe, op)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for i, e := range entries {
		if err := writeOps(base + i); err != nil {
			return err
		}
		je := jsonEntry{Seed: seed, Recipe: recipe, AtNS: int64(e.At), At: e.At.String(), Task: e.Task, Process: e.Process,
			Name: e.Name, Msg: e.Msg, Level: e.Level.String(), Attrs: attrMap(e.Attrs)}
		if err := enc.Encode(je); err != nil {
			return err
		}
	}
	if err := writeOps(base + len(entries)); err != nil {
		return err
	}
	return bw.Flush()
}

// cutName is the name of the timeline file's first line when the
// timeline left out its oldest entries (TimelineMax).
const cutName = "timeline cut"

// cutNote says what the kept timeline left out, past its bound, or "".
func (p *picture) cutNote() string {
	c := p.cut
	if c.entries+c.ops+c.laterEntries+c.laterOps == 0 {
		return ""
	}
	nearest := "the seed's end"
	if c.failed {
		nearest = "the first failure"
	}
	var left []string
	if c.entries+c.ops > 0 {
		left = append(left, fmt.Sprintf("the %s and %s before them, up to %v", counted(c.entries, "entry", "entries"), counted(c.ops, "operation", "operations"), c.upTo))
	}
	if c.laterEntries+c.laterOps > 0 {
		left = append(left, fmt.Sprintf("the %s and %s after them, from %v on", counted(c.laterEntries, "entry", "entries"), counted(c.laterOps, "operation", "operations"), c.laterFrom))
	}
	return fmt.Sprintf("the timeline keeps %d %s and device operations (messages and disk operations) together, those nearest %s: "+
		"%s, are left out (-simtimelinemax=N keeps more, -simtimelinemax=0 keeps all; or simtest.TimelineMax)",
		p.keepMax, pluralWord(p.keepMax, "entry", "entries"), nearest, strings.Join(left, ", and "))
}

// counted is n with the word for one or many of what it counts.
func counted(n int, one, many string) string {
	return fmt.Sprintf("%d %s", n, pluralWord(n, one, many))
}

// diskOpName is the name of a disk operation's line in the timeline file.
const diskOpName = "disk-op"

// diskOpEntry is the timeline file's line for a disk operation, at its
// submission: "disk db: write wal: 195 bytes at 841", or for a write cut
// short, "disk db: write wal: 20 of 432 bytes at 3564: no space left on
// device", with the bytes asked and the error in its attrs.
func diskOpEntry(seed uint64, recipe string, op sim.Op) jsonEntry {
	verb := strings.TrimPrefix(op.What, "disk ")
	disk := op.From
	msg := "disk " + disk + ": " + verb
	if op.File != "" {
		msg += " " + op.File
	}
	attrs := map[string]any{"disk": disk, "op": verb, "file": op.File, "bytes": op.Bytes, "done_ns": int64(op.End)}
	switch {
	case verb == "truncate" && op.Off >= 0:
		msg += fmt.Sprintf(" to %d", op.Off)
		attrs["size"] = op.Off
		delete(attrs, "bytes")
	case op.Asked > op.Bytes && op.Off >= 0:
		// A write cut short or refused: what was asked, and what was done.
		msg += fmt.Sprintf(": %d of %d bytes at %d", op.Bytes, op.Asked, op.Off)
		attrs["off"], attrs["asked"] = op.Off, op.Asked
	case op.Off >= 0:
		msg += fmt.Sprintf(": %d bytes at %d", op.Bytes, op.Off)
		attrs["off"] = op.Off
	case op.Bytes > 0:
		msg += fmt.Sprintf(": %d bytes", op.Bytes)
	}
	if op.Err != nil {
		msg += ": " + op.Err.Error()
		attrs["err"] = op.Err.Error()
	}
	return jsonEntry{Seed: seed, Recipe: recipe, AtNS: int64(op.Start), At: op.Start.String(), Task: op.Task,
		Name: diskOpName, Msg: msg, Level: slog.LevelInfo.String(), Attrs: attrs}
}

// attrMap turns attributes into JSON values: numbers, strings and bools
// as themselves, anything else as its text. A group is no object here:
// S.Logger has flattened it into dotted keys ("req.id"), as slog's
// TextHandler writes them, and a program's log line gives its nested
// objects as their JSON text (wasmhost).
func attrMap(as []slog.Attr) map[string]any {
	if len(as) == 0 {
		return nil
	}
	m := make(map[string]any, len(as))
	for _, a := range as {
		m[a.Key] = jsonValue(a.Value.Resolve())
	}
	return m
}

func jsonValue(v slog.Value) any {
	switch v.Kind() {
	case slog.KindString:
		return v.String()
	case slog.KindInt64:
		return v.Int64()
	case slog.KindUint64:
		return v.Uint64()
	case slog.KindFloat64:
		if f := v.Float64(); !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f
		}
	case slog.KindBool:
		return v.Bool()
	case slog.KindDuration:
		return v.Duration().String()
	}
	return v.String()
}

// Attr returns the value of the attribute key among e's attributes, as
// slog's handlers see them: a key of a group's attribute is the group's
// key, a dot, and its own ("req.id"). A group is found as its value.
func (e Entry) Attr(key string) (slog.Value, bool) {
	attrs := e.Attrs
	for {
		head, rest, nested := strings.Cut(key, ".")
		i := slices.IndexFunc(attrs, func(a slog.Attr) bool { return a.Key == head })
		if i < 0 {
			// A key may itself hold dots: try it whole.
			i = slices.IndexFunc(attrs, func(a slog.Attr) bool { return a.Key == key })
			if i < 0 {
				return slog.Value{}, false
			}
			return attrs[i].Value.Resolve(), true
		}
		v := attrs[i].Value.Resolve()
		if !nested {
			return v, true
		}
		if v.Kind() != slog.KindGroup {
			return slog.Value{}, false
		}
		attrs, key = v.Group(), rest
	}
}
