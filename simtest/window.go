package simtest

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/internal/plural"
	"github.com/moonpool-go/moonpool/internal/sim"
)

// A failure report shows the timeline around the seed's first failure,
// not its end: assertions and errors record and go on, so a seed that
// first failed at 7.9 s may run to 20 s, and its last entries say nothing
// of what led to the failure. window keeps, as the seed runs, its last
// entries until the first failure, and a few after it.
//
// A task's start, end and kill (its lives) are kept apart from the other
// entries: a system of many short tasks (a quorum's calls, a connection's
// reader) would fill the window with them, and push out of it what
// happened. A task's lives next to its other entries are kept apart
// again, pinned, where other tasks' lives do not push them out. Every kept
// entry carries its number in the timeline, by which they merge back.
type window struct {
	before int // entries other than lives kept up to the first failure
	ring   []numbered
	next   int
	full   bool
	gone   int // the number of the last entry the ring let go of

	// lives holds the lives since the last other entry, which sorts them
	// into pinned and past. A task that starts and ends with no other
	// entry between did nothing the window shows (a timer's callback, a
	// quorum's call): both lines are dropped at its end.
	lives  []life
	past   []life // the other lives: a ring of the last len(ring) of them
	npast  int
	recent int    // the number in past of the first life the last entry put there
	pinned []life // the lives next to their tasks' entries: a ring as long
	npin   int

	marked bool // the first failure has happened; the next entry is its own
	frozen bool // the entries up to the first failure are in kept
	failAt time.Duration
	kept   []sim.Entry // once frozen: up to the first failure, then after
	upTo   int         // the entries of kept up to the first failure's own
	after  int         // entries kept after the first failure's
	nafter int         // how many entries it keeps after the first failure's
	total  int         // entries seen
	// keepMax is the bound of the timeline -simtimeline writes
	// (TimelineMax), 0 for none.
	keepMax int
	// filed: the seed's timeline goes to the file -simtimeline names,
	// so the report need not say how to get it.
	filed bool
	// drawn: the seed's timeline goes to an HTML page (-simhtml).
	drawn bool
	seen  int // entries seen up to the first failure's own

	// named is the time the first failure's error names (namedTime),
	// earlier than the failure, or -1.
	named time.Duration
	// at, for a window of a seed run again (windowAt), is the time the
	// window is around, in place of the first failure, and failed the
	// first failure's time; at is -1 for a window at the first failure.
	at     time.Duration
	failed time.Duration

	// faults is a ring of the last faults and their effects up to the
	// first failure (kindOf), nring the entries put in it, and nfaults
	// the faults alone: a failure found by a check at the end is often
	// the work of a crash or a lost write long before the entries the
	// window keeps.
	faults  [4 * windowFaults]sim.Entry
	nring   int
	nfaults int

	// clocks holds the entries of the hosts' clocks as they were drawn
	// (skew and drift), up to the first failure: a failure that clock
	// skew caused is reported long after they were drawn, at a host's
	// first use, and the window no longer reaches them.
	clocks []sim.Entry

	// datagrams counts the datagrams lost, duplicated or reordered before
	// the first failure, which the window leaves out: a protocol over UDP
	// under loss meets them by the dozen, and they would push its own
	// lines, which tell why it failed, out of the window.
	datagrams int
	// undelivered counts the datagrams (and ICMP port-unreachable
	// replies) lost to a partition or clog, or sent to a port with no
	// socket, which the window leaves out as it does datagrams: a gossip
	// protocol of twenty processes sends them by the dozen a second to
	// every peer cut off or down, and a window of them told nothing.
	undelivered int
	// focus names the processes whose entries the window shows alone
	// (WindowFocus, -simfocus); unfocused counts the others' entries it
	// left out.
	focus     []string
	unfocused int
	// delays counts the sleeps and timers that the network's buggified
	// delay pushed back by under a millisecond (chaos.Network's
	// SleepDelayProb), which the window leaves out as it does datagrams:
	// a program's timers meet them by the dozen, most of them by a few
	// nanoseconds. Longer ones, which can make a timer late, stay.
	delays int
	// partials counts the partial reads and writes before the first
	// failure that the window left out, as it does datagrams: TCP allows
	// them, a stream meets them by the dozen, and a reader that handles
	// them is most readers. Those of the failure's own instant stay (see
	// hushed): a reader that mishandles one fails there.
	partials int

	// quiet counts the log records below slog.LevelInfo the window left
	// out, before the first failure and after it: a library's debug lines
	// come by the hundred, and would push out of the window the lines
	// that tell why it failed. The timeline file and page keep them.
	quiet int

	// refused is, by its task and words, the last refused connect the
	// window kept before the first failure, with the copies of it that
	// came since, which it left out (refusedAgain): several clients
	// redialling a server that is down would otherwise fill the window.
	// refusedKept is what freeze found of them with their first copy
	// still kept, by its line (foldKey), for writeFolded's count, and
	// refusedLeft how many copies that left out.
	refused     map[refusedKey]*refusedRun
	refusedKept map[string]refusals
	refusedLeft int

	// hushed are the last records left out before the first failure:
	// those of its instant join the window as the failure comes, for the
	// debug line that says why is often logged just before the error.
	hushed  [8]numbered
	nhushed int
}

// foldClose folds e, the close of a connection, into the window's last
// entry when that entry is the connection's connect: a protocol that
// opens a connection for each exchange (memberlist's push/pull syncs, an
// HTTP client without keep-alives) leaves a connect and two closes a
// time, and three lines of it would fill the window. The connect's line
// then says when its closes came: "net: connected a:1->b:2, closed
// 430µs later".
func (w *window) foldClose(e sim.Entry) bool {
	ends, ok := strings.CutPrefix(e.Msg, "net: close ")
	if !ok {
		return false
	}
	last := w.newest()
	if last == nil {
		return false
	}
	conn, ok := strings.CutPrefix(last.e.Msg, "net: connected ")
	if !ok {
		return false
	}
	a, b, ok := strings.Cut(conn, "->")
	x, y, ok2 := strings.Cut(ends, "->")
	if !ok || !ok2 || !(a == x && b == y || a == y && b == x) {
		return false
	}
	last.folded, last.closed = true, e.At
	return true
}

// leftOut says what the window left out of the entries it does not show,
// by kind: the datagrams lost, duplicated or reordered, the short delays
// of sleeps, the partial reads and writes, and, with quiet, the records
// below INFO.
func (w *window) leftOut(quiet bool) []string {
	var out []string
	if w.datagrams > 0 {
		out = append(out, plural.Count(w.datagrams, "datagram")+" lost, duplicated or reordered")
	}
	if w.undelivered > 0 {
		out = append(out, plural.Count(w.undelivered, "datagram")+" lost to a partition or sent to no socket")
	}
	if w.unfocused > 0 {
		out = append(out, fmt.Sprintf("%d %s of processes other than %s (-simfocus)", w.unfocused, pluralWord(w.unfocused, "entry", "entries"), joinAnd(w.focus)))
	}
	if w.delays > 0 {
		out = append(out, plural.Count(w.delays, "sleep")+" delayed by under 1ms")
	}
	if w.partials > 0 {
		out = append(out, fmt.Sprintf("%d %s", w.partials, pluralWord(w.partials, "partial read or write", "partial reads and writes")))
	}
	if w.quiet > 0 && quiet {
		out = append(out, w.quietCount())
	}
	return out
}

// focused reports whether e is an entry the window shows under its focus:
// every entry without one; with one, an entry of a task of a process it
// names, one whose message names one of them as a word, a failure, or a
// phase of the Run.
func (w *window) focused(e sim.Entry) bool {
	if len(w.focus) == 0 || e.Name == "error" || strings.HasPrefix(e.Msg, "phase: ") {
		return true
	}
	for _, name := range w.focus {
		if e.Process == name || namesWord(e.Msg, name) {
			return true
		}
	}
	return false
}

// namesWord reports whether msg holds name as a whole word: "kv-1" in
// "reboot: kv-1 (crash)", not in "reboot: kv-12 (crash)".
func namesWord(msg, name string) bool {
	for i := 0; ; {
		j := strings.Index(msg[i:], name)
		if j < 0 {
			return false
		}
		at, end := i+j, i+j+len(name)
		// A dot ends a sentence as well as it joins an address's parts.
		after := end == len(msg) || !wordByte(msg[end]) || msg[end] == '.' && (end+1 == len(msg) || !wordByte(msg[end+1]))
		if (at == 0 || !wordByte(msg[at-1])) && after {
			return true
		}
		i = at + 1
	}
}

// wordByte reports whether b continues a process's name.
func wordByte(b byte) bool {
	return b == '-' || b == '_' || b == '.' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}

// undelivered reports whether msg is the network's line of a datagram,
// or of the port-unreachable reply to one, that a partition or clog lost
// or that found no socket at its port.
func undelivered(msg string) bool {
	switch {
	case strings.HasPrefix(msg, "net: datagram "):
		return strings.Contains(msg, " lost to a partition or clog: ") || strings.HasSuffix(msg, " dropped: no socket")
	case strings.HasPrefix(msg, "net: port unreachable "):
		return strings.HasSuffix(msg, " lost to a partition or clog")
	}
	return false
}

// sleepDelay reads the delay of the network's entry "net: sleep on kv-0
// delayed by 3ms" (simnet's buggified delay of a sleep or timer).
func sleepDelay(e sim.Entry) (time.Duration, bool) {
	rest, ok := strings.CutPrefix(e.Msg, "net: sleep on ")
	if !ok || !e.Event {
		return 0, false
	}
	_, d, ok := strings.Cut(rest, " delayed by ")
	if !ok {
		return 0, false
	}
	v, err := time.ParseDuration(d)
	return v, err == nil
}

// A numbered entry is one the window keeps, with its number in the
// timeline.
type numbered struct {
	e sim.Entry
	n int
	// folded: the entry is a connection's connect, and closed is when
	// the last of its closes that foldClose folded into it came.
	folded bool
	closed time.Duration
}

// entry is the entry as the window shows it: a connect says when the
// closes folded into it came.
func (x numbered) entry() sim.Entry {
	if !x.folded {
		return x.e
	}
	e := x.e
	e.Msg += ", closed " + (x.closed - e.At).String() + " later"
	return e
}

// A life is a task's start, end or kill: an entry whose message is its
// name, kept with its number.
type life struct {
	at    time.Duration
	task  string
	name  string
	n     int
	moved bool // in past: pinned since, so shown from pinned
}

func (l life) entry() sim.Entry {
	return sim.Entry{At: l.at, Task: l.task, Name: l.name, Msg: l.name, Level: slog.LevelInfo}
}

// windowFaults is how many faults before the window a report shows at
// most; the window keeps four times as many, some of them its own.
const windowFaults = 8

// windowAfter is how many entries after the first failure's own a report
// shows: enough to see what the failure did at once.
const windowAfter = 8

// maxLives bounds the lives of other tasks kept between two entries, the
// last of them, so that thousands of tasks that start between two entries
// and outlast the second push out no more than these.
const maxLives = 16

// nearby is how many of the last entries a task's end is pinned beside.
const nearby = 4

func newWindow(before int) *window {
	if before <= 0 {
		before = 64
	}
	return &window{before: before, nafter: windowAfter, named: -1, at: -1}
}

// newWindowAt makes the window of a seed run again to show its timeline
// around at, the time its first failure, at failed, named: as many
// entries after at as up to it, as many in all as a window at the failure
// holds. The first entry after at ends the part before it, as a failure's
// own does.
func newWindowAt(before int, at, failed time.Duration) *window {
	w := newWindow(before)
	half := (w.before + windowAfter + 1) / 2
	w.before, w.nafter, w.at, w.failed = half+1, half-1, at, failed
	return w
}

// isLife reports whether e tells of a task's start, end or kill. A task
// that returned an error ends in an entry of its own, kept as the others
// are: the error may reach no one else.
func isLife(e sim.Entry) bool {
	switch e.Name {
	case "task started", "task killed":
		return true
	case "task finished":
		return e.Msg == "task finished"
	}
	return false
}

// add hears a timeline entry, of fault kind k as the window lists the
// faults (fault.listedKind).
func (w *window) add(e sim.Entry, k faultKind) {
	w.total++
	if e.Level < slog.LevelInfo && !e.Event && (w.frozen || !w.marked) {
		w.quiet++
		if !w.marked {
			w.hush(e)
		}
		return
	}
	if w.frozen {
		if w.after < w.nafter && w.focused(e) {
			w.kept = append(w.kept, e)
			w.after++
		}
		return
	}
	if w.at >= 0 && e.At > w.at {
		w.marked = true // the first entry after at ends the part before it
	}
	if e.Name == "net" && strings.HasPrefix(e.Msg, "net: host ") && strings.Contains(e.Msg, " clock: skew ") {
		if w.clocks == nil {
			w.clocks = make([]sim.Entry, 0, 8) // a cluster's hosts, at one allocation
		}
		w.clocks = append(w.clocks, e)
	}
	if isLife(e) && !w.marked {
		if e.Name == "task finished" {
			for i := len(w.lives) - 1; i >= 0; i-- {
				if l := w.lives[i]; l.task == e.Task && l.name == "task started" {
					w.lives = append(w.lives[:i], w.lives[i+1:]...)
					return
				}
			}
		}
		if len(w.lives) == 4*maxLives {
			w.lives = append(w.lives[:0], w.lives[2*maxLives:]...)
		}
		w.lives = append(w.lives, life{at: e.At, task: e.Task, name: e.Name, n: w.total})
		return
	}
	// A datagram's loss, duplicate or reordering is one of many, as its
	// protocol expects: among the entries before a failure, and in the
	// faults before it, they would crowd out the protocol's own lines and
	// the partitions and reboots that tell its story.
	if k == networkFault && strings.HasPrefix(e.Msg, "net: datagram ") {
		w.datagrams++
		return
	}
	if undelivered(e.Msg) {
		w.undelivered++
		return
	}
	if d, ok := sleepDelay(e); ok && d < time.Millisecond {
		w.delays++
		return
	}
	if isPartial(e) && !w.marked {
		w.partials++
		w.hush(e)
		return
	}
	if w.foldClose(e) {
		return
	}
	if k == noFault && !w.marked && w.refusedAgain(e) {
		return
	}
	if w.focused(e) {
		w.keep(e, w.total)
	} else {
		w.unfocused++
	}
	if k != noFault {
		w.faults[w.nring%len(w.faults)] = e
		w.nring++
		if k.counted() {
			w.nfaults++
		}
	}
	if w.marked {
		w.freeze() // e is the first failure's own
	}
}

// keep puts e in the ring of the last entries, and the lives before it
// where they belong: the start of e's task, and the end of a task with one
// of the last few entries, are pinned; so is the start of e's task among
// the lives the entry before put in past. The others go to past, up to
// maxLives of them.
func (w *window) keep(e sim.Entry, n int) {
	if w.ring == nil {
		w.ring = make([]numbered, w.before)
		w.past = make([]life, w.before)
		w.pinned = make([]life, w.before)
	}
	// The newest maxLives of each kind are kept, in the order they came.
	const (
		dropped = iota
		pinned
		past
	)
	var kind [4 * maxLives]uint8
	// Pinned: the start of e's task, and the end of each task with one of
	// the last entries; one of each name, since tasks share names.
	var names [maxLives]string
	pins, others, started := 0, 0, false
	for i := len(w.lives) - 1; i >= 0; i-- {
		l := w.lives[i]
		own := l.name == "task started" && l.task == e.Task && !started
		end := l.name != "task started" && pins < maxLives && !slices.Contains(names[:pins], l.task) && w.nearby(l.task)
		switch {
		case own:
			kind[i], started = pinned, true
		case end:
			kind[i], names[pins], pins = pinned, l.task, pins+1
		case others < maxLives:
			kind[i], others = past, others+1
		}
	}
	// A task often starts just before another's entry, and has its own
	// after it: its start is looked for among the lives of the last two.
	for i := w.npast - 1; i >= w.recent; i-- {
		if l := &w.past[i%len(w.past)]; !l.moved && l.name == "task started" && l.task == e.Task {
			w.pin(*l)
			l.moved = true
			break
		}
	}
	w.recent = w.npast
	for i, l := range w.lives {
		switch kind[i] {
		case pinned:
			w.pin(l)
		case past:
			w.past[w.npast%len(w.past)] = l
			w.npast++
		}
	}
	w.lives = w.lives[:0]
	w.gone = w.ring[w.next].n
	w.ring[w.next] = numbered{e: e, n: n}
	w.next++
	if w.next == len(w.ring) {
		w.next, w.full = 0, true
	}
}

func (w *window) pin(l life) {
	w.pinned[w.npin%len(w.pinned)] = l
	w.npin++
}

// nearby reports whether task has one of the last few entries kept.
func (w *window) nearby(task string) bool {
	kept := w.next
	if w.full {
		kept = len(w.ring)
	}
	for i := 1; i <= min(nearby, kept); i++ {
		if w.ring[(w.next-i+len(w.ring))%len(w.ring)].e.Task == task {
			return true
		}
	}
	return false
}

// hush notes e, the window's total-th entry, among the last it left out
// before the first failure.
func (w *window) hush(e sim.Entry) {
	w.hushed[w.nhushed%len(w.hushed)] = numbered{e: e, n: w.total}
	w.nhushed++
}

// isPartial reports whether e is the network's partial read or write.
func isPartial(e sim.Entry) bool {
	return e.Event && e.Name == "net" && strings.HasPrefix(e.Msg, "net: partial ")
}

// fail hears that the seed failed at simulated time at, with err when
// the failure carries an error: the first time counts, and the entry that
// records the failure, which comes next, ends the part of the window
// before it. A window around a time of its own (at) ignores failures.
func (w *window) fail(at time.Duration, err error) {
	if w == nil || w.marked || w.at >= 0 {
		return
	}
	w.marked, w.failAt = true, at
	if named, ok := namedTime(err, at); ok && named < at {
		w.named = named
	}
	w.unhush(at, false)
}

// unhush has the entries left out before the first failure that came at
// at join the window, or only its partial reads and writes: a reader that
// mishandles a partial read fails at its instant, and the debug line that
// says why is often logged just before the error.
func (w *window) unhush(at time.Duration, partialsOnly bool) {
	for i := max(w.nhushed-len(w.hushed), 0); i < w.nhushed; i++ {
		if h := w.hushed[i%len(w.hushed)]; h.e.At == at && h.n > w.gone && (!partialsOnly || isPartial(h.e)) {
			w.keep(h.e, h.n)
			if isPartial(h.e) {
				w.partials--
			} else {
				w.quiet--
			}
		}
	}
}

// newest is the newest entry the ring keeps, nil if none.
func (w *window) newest() *numbered {
	if w.ring == nil || w.next == 0 && !w.full {
		return nil
	}
	return &w.ring[(w.next-1+len(w.ring))%len(w.ring)]
}

// A timeNamer is an error that names a time of the seed, on its
// simulated clock, earlier than the error was found: a history that is
// not linearizable names the call of the operation no order can place
// (*history.Error). A report of a failure whose error names one shows the
// timeline there.
type timeNamer interface {
	At() time.Time
}

// A checkedNamer is a timeNamer whose At is on a clock of its own, such
// as a host's, skewed from the seed's: CheckedAt reads that clock at the
// check that found the error, and the time named is as long before the
// failure as At is before CheckedAt (*history.Error).
type checkedNamer interface {
	CheckedAt() time.Time
}

// namedTime is the simulated time that err, or an error it wraps, names
// by its At method, if any, for a failure at simulated time failAt: a
// zero time names none, nor does a time before the simulation's start.
func namedTime(err error, failAt time.Duration) (time.Duration, bool) {
	var n timeNamer
	if err == nil || !errors.As(err, &n) {
		return 0, false
	}
	t := n.At()
	if t.IsZero() {
		return 0, false
	}
	if c, ok := n.(checkedNamer); ok && !c.CheckedAt().IsZero() {
		ago := c.CheckedAt().Sub(t)
		if ago < 0 || ago > failAt {
			return 0, false
		}
		return failAt - ago, true
	}
	if t.Before(sim.Epoch) {
		return 0, false
	}
	return t.Sub(sim.Epoch), true
}

// An unfinished error is a check that could not finish, whose
// Inconclusive method reports true: it found nothing wrong, and ran out
// of the steps or the time it was given (*history.Error).
type unfinished interface {
	Inconclusive() bool
}

// unfinishedCheck reports whether err, or an error it wraps, is a check
// that could not finish.
func unfinishedCheck(err error) bool {
	var u unfinished
	return err != nil && errors.As(err, &u) && u.Inconclusive()
}

// A timedOut error is a check whose TimedOut method reports true: real
// time cut its search short, so the machine's speed decided what it says
// (*history.Error). Inconclusive marks it as a check's, as many errors
// have a TimedOut of their own.
type timedOut interface {
	Inconclusive() bool
	TimedOut() bool
}

// cutByTime reports whether err, or an error it wraps, is a check that
// real time cut short.
func cutByTime(err error) bool {
	var t timedOut
	return err != nil && errors.As(err, &t) && t.TimedOut()
}

// namedAway returns the time the first failure named, when the window
// does not show it: the window reaches back neither to it nor to the
// seed's start. A seed run again can show the timeline there.
func (w *window) namedAway() (time.Duration, bool) {
	if w == nil || !w.frozen || w.named < 0 || w.at >= 0 {
		return 0, false
	}
	entries, _ := w.shown()
	if w.gone == 0 || len(entries) > 0 && entries[0].At < w.named {
		return 0, false
	}
	return w.named, true
}

// freeze merges the ring's entries and the lives since the last entry it
// let go of into kept, by their numbers.
func (w *window) freeze() {
	w.frozen, w.seen = true, w.total
	entries := w.ring[:w.next]
	if w.full {
		entries = append(w.ring[w.next:len(w.ring):len(w.ring)], entries...)
	}
	// The records fail took back from the hushed came after later entries.
	slices.SortStableFunc(entries, func(a, b numbered) int { return a.n - b.n })
	lives := append(ringOf(w.pinned, w.npin), ringOf(w.past, w.npast)...)
	slices.SortFunc(lives, func(a, b life) int { return a.n - b.n })
	j := 0
	for _, l := range lives {
		if !l.moved && l.n > w.gone {
			lives[j] = l
			j++
		}
	}
	lives = lives[:j]
	for _, x := range entries {
		for len(lives) > 0 && lives[0].n < x.n {
			w.kept = append(w.kept, lives[0].entry())
			lives = lives[1:]
		}
		w.kept = append(w.kept, x.entry())
	}
	w.upTo = len(w.kept)
	w.ring, w.past, w.pinned = nil, nil, nil
	for _, r := range w.refused {
		if r.n > 1 && r.first > w.gone {
			if w.refusedKept == nil {
				w.refusedKept = make(map[string]refusals)
			}
			key := foldKey(r.e)
			k := w.refusedKept[key]
			w.refusedKept[key] = refusals{n: k.n + r.n, last: max(k.last, r.last)}
			w.refusedLeft += r.n - 1
		}
	}
	w.refused = nil
}

// A refusedKey is what tells refused connects apart as they come: their
// task and words, which make their line, read with no formatting (the
// line is made once, at freeze, for the report's fold).
type refusedKey struct{ task, process, msg string }

// A refusedRun is a refused connect the window kept, e, number first in
// the timeline, and the copies of it that came since: n in all, the last
// at last.
type refusedRun struct {
	e        sim.Entry
	first, n int
	last     time.Duration
}

// refusedAgain reports whether e is the network's line of a connect
// refused that repeats one the window still keeps, which it then counts
// and leaves out, as writeFolded would have, so that it takes none of the
// window's room. A copy of one the window let go of is kept, and counts
// the next.
func (w *window) refusedAgain(e sim.Entry) bool {
	if !isRefusedConnect(e) {
		return false
	}
	key := refusedKey{e.Task, e.Process, e.Msg}
	r := w.refused[key]
	switch {
	case r != nil && r.first > w.gone:
		r.n, r.last = r.n+1, e.At
		return true
	case r != nil:
		*r = refusedRun{e: e, first: w.total, n: 1, last: e.At} // its first copy went
	default:
		if w.refused == nil {
			w.refused = make(map[refusedKey]*refusedRun)
		}
		w.refused[key] = &refusedRun{e: e, first: w.total, n: 1, last: e.At}
	}
	return false
}

// ringOf is the live part of a ring of lives that n were put in.
func ringOf(r []life, n int) []life {
	return r[:min(n, len(r))]
}

// shown is the part of kept a report shows, and how many of those come up
// to the first failure's own: every entry when they fit in the window's
// length, else every entry but the lives of tasks with no other entry
// there.
func (w *window) shown() (entries []sim.Entry, n int) {
	if len(w.kept) <= w.before+w.nafter {
		return w.kept, w.upTo
	}
	active := make(map[string]bool)
	for _, e := range w.kept {
		if !isLife(e) {
			active[e.Task] = true
		}
	}
	for i, e := range w.kept {
		if i == w.upTo {
			n = len(entries)
		}
		if !isLife(e) || active[e.Task] {
			entries = append(entries, e)
		}
	}
	if w.upTo == len(w.kept) {
		n = len(entries)
	}
	return entries, n
}

// write writes the timeline part of a failure report: the window around
// the first failure (or around the time it named, for a window of a seed
// run again: newWindowAt) when the seed failed before it ended, its last
// entries otherwise (a panic, a deadlock), repeated lines folded. The
// last entries are the window's, kept as the window keeps them, when it
// heard any; else the engine's tail.
func (w *window) write(b *strings.Builder, tail []sim.Entry) {
	if w == nil || !w.frozen {
		fromWindow := w != nil && w.ring != nil
		if fromWindow {
			// A seed that ended failing with no failure before (a panic)
			// keeps the partial reads and writes of its last instant, as
			// a failure's window does those of the failure's; its records
			// below INFO stay out, which the page hint tells how to see.
			if n := w.newest(); n != nil {
				w.unhush(n.e.At, true)
			}
			w.freeze() // at the seed's end: what it holds is its last entries
			tail, _ = w.shown()
		}
		if len(tail) == 0 {
			return
		}
		b.WriteString("  timeline, its last entries")
		if w != nil {
			if but := w.leftOut(fromWindow); len(but) > 0 {
				b.WriteString(" but " + strings.Join(but, " and "))
			}
		}
		var hints []string
		if hint := w.fileHint("it whole", "the seed's end"); hint != "" {
			hints = append(hints, hint)
		}
		if fromWindow && w.quiet > 0 {
			hints = append(hints, w.pageHint())
		}
		if len(hints) > 0 {
			fmt.Fprintf(b, " (%s)", strings.Join(hints, "; "))
		}
		b.WriteString(":\n")
		tail = withoutTeardown(tail)
		writeFolded(b, tail, columnsOf(tail), w.refusedBefore())
		return
	}
	entries, upTo := w.shown()
	cols := columnsOf(entries)
	if w.at >= 0 {
		fmt.Fprintf(b, "  the window is at %v, the time the first failure names; the failure itself came at %v\n", w.at, w.failed)
		// What the body says through the test's own T, the Run cannot
		// hold back: it comes again, and this says why.
		b.WriteString("  the seed ran once more to show it: a line its body logs through the test's own t, not its S, is logged again\n")
	}
	w.writeClocks(b, entries)
	w.writeFaults(b, entries, upTo, cols)
	// The refused connects left out are counted on their first copies,
	// which are shown.
	earlier, later := w.seen-upTo-w.refusedLeft, w.total-w.seen-(len(entries)-upTo)
	if w.at >= 0 {
		fmt.Fprintf(b, "  timeline around %v", w.at)
	} else {
		fmt.Fprintf(b, "  timeline around the first failure, at %v", w.failAt)
		if _, away := w.namedAway(); w.named >= 0 && !away {
			fmt.Fprintf(b, ", back to %v, the time it names", w.named)
		}
	}
	var notShown []string
	if earlier > 0 {
		notShown = append(notShown, fmt.Sprintf("%d earlier", earlier))
	}
	if later > 0 {
		notShown = append(notShown, fmt.Sprintf("%d later", later))
	}
	if len(notShown) > 0 {
		fmt.Fprintf(b, " (%s %s not shown", strings.Join(notShown, " and "), pluralWord(earlier+later, "entry", "entries"))
		if among := w.leftOut(true); len(among) > 0 {
			b.WriteString(", among them " + strings.Join(among, " and "))
		}
		if hint := w.fileHint("them all", "the first failure"); hint != "" {
			fmt.Fprintf(b, "; %s", hint)
		}
		if w.quiet > 0 {
			b.WriteString("; " + w.pageHint())
		}
		b.WriteString(")")
	}
	b.WriteString(":\n")
	writeFolded(b, entries, cols, w.refusedKept)
}

// refusedBefore is refusedKept, for a window that may be nil.
func (w *window) refusedBefore() map[string]refusals {
	if w == nil {
		return nil
	}
	return w.refusedKept
}

// quietCount tells the records below INFO the window left out.
func (w *window) quietCount() string {
	return plural.Count(w.quiet, "record") + " below level INFO"
}

// pageHint says where the HTML page that shows every entry is.
func (w *window) pageHint() string {
	if w.drawn {
		return "the HTML page draws them"
	}
	return "-simhtml=FILE draws them"
}

// fileHint says what -simtimeline writes of the seed's timeline: all of
// it, told as all, unless it is longer than the bound it keeps
// (TimelineMax): then those nearest the first failure, or the seed's end.
// When the file is being written it says nothing, or, for a timeline past
// the bound, how to write it all.
func (w *window) fileHint(all, nearest string) string {
	bounded := w.pastBound()
	switch {
	case w != nil && w.filed && !bounded:
		return ""
	case w != nil && w.filed:
		return fmt.Sprintf("the timeline file has the %d entries and device operations nearest %s, -simtimelinemax=0 all of them", w.keepMax, nearest)
	case !bounded:
		return "-simtimeline=FILE writes " + all
	}
	return fmt.Sprintf("-simtimeline=FILE writes the %d entries and device operations nearest %s, -simtimelinemax=0 all of them", w.keepMax, nearest)
}

// pastBound reports whether the seed's timeline is longer than the bound
// the timeline file keeps (TimelineMax).
func (w *window) pastBound() bool { return w != nil && w.keepMax > 0 && w.total > w.keepMax }

// logHint says how the timeline file gets the log lines a report leaves
// out: they are entries of the timeline.
func (w *window) logHint() string {
	bounded := w.pastBound()
	switch {
	case w != nil && w.filed && !bounded:
		return "the timeline file has them"
	case w != nil && w.filed:
		return "-simtimelinemax=0 writes them all to the timeline file"
	}
	return "-simtimeline=FILE writes them with the timeline"
}

// withoutTeardown is the last entries of a seed that failed as it ended
// (a panic, a deadlock), without the kills of its tasks that followed the
// failure's own entry: the world tearing down, a line a task, which would
// fill the tail and push out what led to the failure.
func withoutTeardown(tail []sim.Entry) []sim.Entry {
	i := slices.IndexFunc(tail, func(e sim.Entry) bool { return e.Name == "failed" })
	if i < 0 {
		return tail
	}
	out := slices.Clone(tail[:i+1])
	for _, e := range tail[i+1:] {
		if e.Name != "task killed" {
			out = append(out, e)
		}
	}
	return out
}

// maxClocks is how many hosts' clocks a report lists at most.
const maxClocks = 12

// writeClocks writes the clocks of the hosts drawn before the first entry
// shown, a line each: a failure that clock skew or drift caused reads as
// two hosts disagreeing, and nothing else in the report says by how much
// their clocks did.
func (w *window) writeClocks(b *strings.Builder, shown []sim.Entry) {
	if len(shown) == 0 {
		return
	}
	var before []sim.Entry
	for _, e := range w.clocks {
		if e.At < shown[0].At {
			before = append(before, e)
		}
	}
	if len(before) == 0 {
		return
	}
	b.WriteString("  host clocks, against simulated time:\n")
	for _, e := range before[:min(len(before), maxClocks)] {
		host, clock, _ := strings.Cut(strings.TrimPrefix(e.Msg, "net: host "), " clock: ")
		fmt.Fprintf(b, "    %s: %s\n", host, clock)
	}
	if len(before) > maxClocks {
		if hint := w.fileHint("them all", "the first failure"); hint != "" {
			fmt.Fprintf(b, "    (%d more; %s)\n", len(before)-maxClocks, hint)
		} else {
			fmt.Fprintf(b, "    (%d more)\n", len(before)-maxClocks)
		}
	}
}

// writeFaults writes the last faults before the first entry shown,
// one line each, with what each did at once (a host's sockets, a disk's
// unsynced data) on the same line. Under a focus it writes too those the
// window's span held and its focus left out, which the timeline below
// does not show: a reboot of another process during it.
func (w *window) writeFaults(b *strings.Builder, shown []sim.Entry, upTo int, cols columns) {
	if len(shown) == 0 {
		return
	}
	var before []shownFault
	hidden := false // a fault of the window's span that its focus left out
	for i := max(w.nring-len(w.faults), 0); i < w.nring; i++ {
		e := w.faults[i%len(w.faults)]
		if e.At >= shown[0].At {
			if w.focused(e) {
				continue
			}
			hidden = true
		}
		if kindOf(e) != faultEffect {
			before = append(before, shownFault{Entry: e})
			continue
		}
		at := effectOf(before, e)
		switch {
		case allZero(e.Msg):
		case at < 0:
			before = append(before, shownFault{Entry: e})
		case !stopsProcess(kindOf(before[at].Entry)) || e.Name != "down":
			before[at].effects = append(before[at].effects, e.Msg)
		}
	}
	before = before[max(len(before)-windowFaults, 0):]
	if len(before) == 0 {
		return
	}
	// The faults of the window up to the failure are counted in nfaults;
	// those after it are not.
	earlier := w.nfaults
	for _, f := range before {
		if kindOf(f.Entry).counted() {
			earlier--
		}
	}
	for _, e := range shown[:upTo] {
		if faultOf(e).listedKind().counted() {
			earlier--
		}
	}
	b.WriteString("  faults before the timeline below")
	if hidden {
		b.WriteString(", and in it those of processes other than " + joinAnd(w.focus) + " (-simfocus)")
	}
	if earlier > 0 {
		fmt.Fprintf(b, " (%d earlier not shown)", earlier)
	}
	b.WriteString(":\n")
	for _, f := range before {
		b.WriteString("    " + cols.format(f.Entry))
		for _, e := range f.effects {
			fmt.Fprintf(b, " [%s]", e)
		}
		b.WriteByte('\n')
	}
}

// stopsProcess reports whether faults of kind k stop a process, which
// then says it is down: a reboot's or a pause's.
func stopsProcess(k faultKind) bool { return k == rebootFault || k == pauseFault }

// A shownFault is a line of a report's faults before its window: a fault,
// and what it did at once.
type shownFault struct {
	sim.Entry
	effects []string
}

// effectOf finds the fault among before that the effect e belongs to, or
// -1: the reboot at e's instant of the process, host or disk e names,
// else the latest reboot at that instant, else the latest fault there.
func effectOf(before []shownFault, e sim.Entry) int {
	reboot, other := -1, -1
	for j := len(before) - 1; j >= 0 && before[j].At == e.At; j-- {
		switch kindOf(before[j].Entry) {
		case rebootFault, pauseFault:
			if subject(before[j].Entry) == subject(e) {
				return j
			}
			if reboot < 0 {
				reboot = j
			}
		case faultEffect, faultEnded:
		default:
			if other < 0 {
				other = j
			}
		}
	}
	if reboot >= 0 {
		return reboot
	}
	return other
}

// subject is the process, host or disk a reboot or an effect names:
// "reboot: kv-0 (crash)", "stop: kv-0 (crash)", "restart: kv-0 asked...", "down: kv-0 (crash)",
// "net: host kv-0 crashed: ...", "disk kv-0: crash: ...".
func subject(e sim.Entry) string {
	msg := e.Msg
	for _, prefix := range []string{"reboot: ", "stop: ", "restart: ", "pause: ", "down: ", "net: host ", "disk "} {
		if rest, ok := strings.CutPrefix(msg, prefix); ok {
			name, _, _ := strings.Cut(rest, " ")
			return strings.TrimSuffix(name, ":")
		}
	}
	return ""
}

// allZero reports whether every count in an effect's message is zero
// ("0 connections closed", "0 sectors lost"), so that it says the fault
// did nothing there. A reboot says already what went down.
func allZero(msg string) bool {
	for _, word := range strings.Fields(msg) {
		if strings.Trim(word, "0123456789") == "" && strings.Trim(word, "0") != "" {
			return false // a count that is not zero: not a name's "kv-1"
		}
	}
	return true
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// columns are the widths of a list of entries' time and task, the
// widest of the list's, so that its messages line up past 10 s and past
// a task named with spaces ("workload incr").
type columns struct{ at, task int }

// maxTaskColumn is the widest a task column grows; a longer name pushes
// its line's message right.
const maxTaskColumn = 24

func columnsOf(entries []sim.Entry) columns {
	c := columns{at: 12, task: 12}
	for _, e := range entries {
		c.at = max(c.at, len(e.At.String()))
		if n := len(e.Who()); n <= maxTaskColumn {
			c.task = max(c.task, n)
		}
	}
	return c
}

func (c columns) format(e sim.Entry) string {
	e.Msg = errorSummary(e) // a failure's message of several lines, on one
	return e.Columns(c.at, c.task)
}

// maxFoldPeriod is the longest run of lines that folds when it repeats:
// a retry loop's few lines (dial, refused, sleep) repeat as a block.
const maxFoldPeriod = 4

// ephemeralPort is a port a dial takes (49152 to 65535, simnet's range),
// after the colon of an address.
var ephemeralPort = regexp.MustCompile(`:(49(15[2-9]|1[6-9]\d|[2-9]\d\d)|5\d{4}|6([0-4]\d{3}|5([0-4]\d\d|5([0-2]\d|3[0-5]))))\b`)

// withoutEphemeralPorts is line with the ports that dials took made one,
// ":*": a client that dials again and again logs one line a connection,
// each on a port of its own, and they fold as the same line.
func withoutEphemeralPorts(line string) string {
	return ephemeralPort.ReplaceAllLiteralString(line, ":*")
}

// foldKey is e as writeFolded compares it: its line but for its time and
// the ports that dials took.
func foldKey(e sim.Entry) string {
	e.At = 0
	return withoutEphemeralPorts(e.String())
}

// writeFolded writes entries, one a line, folding a line or a block of up
// to maxFoldPeriod lines that repeats (the same but for the time and the
// ports that dials took) into one copy and a count. before holds, by
// line, the copies of refused connects that the window left out after
// the first copy it shows (window.refusedAgain).
func writeFolded(b *strings.Builder, entries []sim.Entry, cols columns, before map[string]refusals) {
	keys := make([]string, len(entries))
	for i, e := range entries {
		keys[i] = foldKey(e)
	}
	entries, keys, again := withoutRefusedAgain(entries, keys, before)
	same := func(i, j, n int) bool {
		for k := range n {
			if keys[i+k] != keys[j+k] {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(entries); {
		period, reps := 0, 1
		for p := 1; p <= maxFoldPeriod && i+2*p <= len(entries); p++ {
			r := 1
			for i+(r+1)*p <= len(entries) && same(i, i+r*p, p) {
				r++
			}
			if r >= 2 && r*p > period*reps {
				period, reps = p, r
			}
		}
		if end, firsts := interleaved(entries, keys, i); end-i > period*reps {
			// Lines that each repeat, interleaved (several clients
			// redialling a server that is down): each once, with its
			// count and its last time.
			for _, f := range firsts {
				n, last := 0, entries[f].At
				for j := f; j < end; j++ {
					if keys[j] == keys[f] {
						n, last = n+1, entries[j].At
					}
				}
				fmt.Fprintf(b, "    %s  (x %d%s)\n", cols.format(entries[f]), n, toLater(entries[f].At, last))
			}
			fmt.Fprintf(b, "    %*s  (the %d lines above interleaved)\n", cols.at, "...", len(firsts))
			i = end
			continue
		}
		if period == 0 {
			line := cols.format(entries[i])
			if r, ok := again[i]; ok {
				line += fmt.Sprintf("  (x %d%s, the others left out)", r.n, toLater(entries[i].At, r.last))
			}
			fmt.Fprintf(b, "    %s\n", line)
			i++
			continue
		}
		to := toLater(entries[i].At, entries[i+period*reps-1].At)
		if period == 1 {
			fmt.Fprintf(b, "    %s  (x %d%s)\n", cols.format(entries[i]), reps, to)
		} else {
			for k := range period {
				fmt.Fprintf(b, "    %s\n", cols.format(entries[i+k]))
			}
			fmt.Fprintf(b, "    %*s  (the %d lines above x %d%s)\n", cols.at, "...", period, reps, to)
		}
		i += period * reps
	}
}

// toLater is a fold's end in its count, ", to 7.75s", when its last copy
// came later than its first; a fold within one instant gives none.
func toLater(first, last time.Duration) string {
	if last == first {
		return ""
	}
	return fmt.Sprintf(", to %v", last)
}

// interleaved finds the longest run of lines from i in which every line
// repeats and at most maxFoldPeriod lines differ, at least two of them,
// each of another task: the order of several tasks' lines (clients that
// retry) is the scheduler's, but one task's lines come in the order its
// code ran, which a fold would hide (a server's grants c0, c1, c1, c0
// shown as c0, c1). Lines of no task, which the world's events write
// (connects timed out), come in the scheduler's order too. It returns the run's end and the index of each
// different line's first copy, in order; end is i when there is no such
// run.
func interleaved(entries []sim.Entry, keys []string, i int) (end int, firsts []int) {
	count := make(map[string]int)
	var seen []int
	singles := 0 // lines seen once so far
	end = i
run:
	for j := i; j < len(keys); j++ {
		switch count[keys[j]] {
		case 0:
			if len(seen) == maxFoldPeriod {
				break run // one line too many: the run ends here
			}
			if who := entries[j].Who(); who != "" {
				for _, f := range seen {
					if entries[f].Who() == who {
						break run // a task's second line: its order stays
					}
				}
			}
			seen = append(seen, j)
			singles++
		case 1:
			singles--
		}
		count[keys[j]]++
		if singles == 0 && len(seen) >= 2 {
			end = j + 1
		}
	}
	for _, f := range seen {
		if f < end {
			firsts = append(firsts, f)
		}
	}
	return end, firsts
}

// refusals are the copies of a refused connect that withoutRefusedAgain
// left out after the first: how many in all, and when the last came.
type refusals struct {
	n    int
	last time.Duration
}

// withoutRefusedAgain leaves out of entries the network's lines of a
// connect refused (a client redialling a server that is down) that repeat
// one before them, wherever they stand: they tell nothing new, and
// several clients' redials, interleaved with the lines that matter, fill
// a window. It returns the entries and keys kept, and for each first copy
// kept, by its index, how many there were and the last one's time; a
// first copy counts those the window left out after it (before, by key)
// too.
func withoutRefusedAgain(entries []sim.Entry, keys []string, before map[string]refusals) ([]sim.Entry, []string, map[int]refusals) {
	first := make(map[string]int) // by key, the first copy's index in kept
	again := make(map[int]refusals)
	keptEntries, keptKeys := entries[:0:0], keys[:0:0]
	for i, e := range entries {
		if isRefusedConnect(e) {
			if f, ok := first[keys[i]]; ok {
				r := again[f]
				again[f] = refusals{n: max(r.n, 1) + 1, last: e.At}
				continue
			}
			first[keys[i]] = len(keptEntries)
			if r, ok := before[keys[i]]; ok {
				again[len(keptEntries)] = r
			}
		}
		keptEntries, keptKeys = append(keptEntries, e), append(keptKeys, keys[i])
	}
	return keptEntries, keptKeys, again
}

// isRefusedConnect reports whether e is the network's line of a connect
// refused.
func isRefusedConnect(e sim.Entry) bool {
	return e.Name == "net" && strings.HasPrefix(e.Msg, "net: connect ") && strings.HasSuffix(e.Msg, " refused")
}
