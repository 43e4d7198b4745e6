package simtest

import (
	"fmt"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/internal/sim"
)

// A failure report shows the timeline around the seed's first failure,
// not its end: assertions and errors record and go on, so a seed that
// first failed at 7.9 s may run to 20 s, and its last entries say nothing
// of what led to the failure. window keeps, as the seed runs, its last
// entries until the first failure, and a few after it.
type window struct {
	before int // entries kept up to the first failure
	ring   []sim.Entry
	next   int
	full   bool

	// started holds "task started" entries until the next other entry
	// says whether their tasks did anything: a task that starts and
	// finishes at one instant with nothing between (a timer's callback,
	// the wake of a program's sleep) is left out, so that the window
	// reaches back to what happened rather than fill with timers.
	started []sim.Entry

	marked bool // the first failure has happened; the next entry is its own
	frozen bool // the entries up to the first failure are in kept
	failAt time.Duration
	kept   []sim.Entry // once frozen: up to the first failure, then after
	after  int         // entries kept after the first failure's
	total  int         // entries seen
	first  int         // the number of the first entry kept, from 0

	// faults is a ring of the last faults and their effects up to the
	// first failure (kindOf), nring the entries put in it, and nfaults
	// the faults alone: a failure found by a check at the end is often
	// the work of a crash or a lost write long before the entries the
	// window keeps.
	faults  [4 * windowFaults]sim.Entry
	nring   int
	nfaults int
}

// windowFaults is how many faults before the window a report shows at
// most; the window keeps four times as many, some of them its own.
const windowFaults = 8

// windowAfter is how many entries after the first failure's own a report
// shows: enough to see what the failure did at once.
const windowAfter = 8

func newWindow(before int) *window {
	if before <= 0 {
		before = 64
	}
	return &window{before: before}
}

// add hears a timeline entry, of fault kind k.
func (w *window) add(e sim.Entry, k faultKind) {
	w.total++
	if w.frozen {
		if w.after < windowAfter {
			w.kept = append(w.kept, e)
			w.after++
		}
		return
	}
	if !w.marked {
		switch e.Name {
		case "task started":
			w.started = append(w.started, e)
			return
		case "task finished":
			for i := len(w.started) - 1; i >= 0; i-- {
				if st := w.started[i]; st.Task == e.Task && st.At == e.At {
					w.started = append(w.started[:i], w.started[i+1:]...)
					return // a task that did nothing: both left out
				}
			}
		}
	}
	for _, st := range w.started {
		w.keep(st)
	}
	w.started = w.started[:0]
	w.keep(e)
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

// keep puts e in the ring of the last entries.
func (w *window) keep(e sim.Entry) {
	if w.ring == nil {
		w.ring = make([]sim.Entry, w.before)
	}
	w.ring[w.next] = e
	w.next++
	if w.next == len(w.ring) {
		w.next, w.full = 0, true
	}
}

// fail hears that the seed failed at simulated time at: the first time
// counts, and the entry that records the failure, which comes next, ends
// the part of the window before it.
func (w *window) fail(at time.Duration) {
	if w == nil || w.marked {
		return
	}
	w.marked, w.failAt = true, at
}

func (w *window) freeze() {
	w.frozen = true
	if w.full {
		w.kept = append(append([]sim.Entry(nil), w.ring[w.next:]...), w.ring[:w.next]...)
	} else {
		w.kept = append([]sim.Entry(nil), w.ring[:w.next]...)
	}
	w.first = w.total - len(w.kept)
	w.ring = nil
}

// writeTimeline writes the timeline part of a failure report: the window
// around the first failure when the seed failed before it ended, the last
// entries (tail) otherwise, repeated lines folded.
func (w *window) write(b *strings.Builder, tail []sim.Entry) {
	if w == nil || !w.frozen {
		if len(tail) == 0 {
			return
		}
		b.WriteString("  timeline, its last entries (-simtimeline=FILE writes it whole):\n")
		writeFolded(b, tail)
		return
	}
	w.writeFaults(b)
	later := w.total - w.first - len(w.kept)
	fmt.Fprintf(b, "  timeline around the first failure, at %v", w.failAt)
	var notShown []string
	if w.first > 0 {
		notShown = append(notShown, fmt.Sprintf("%d earlier", w.first))
	}
	if later > 0 {
		notShown = append(notShown, fmt.Sprintf("%d later", later))
	}
	if len(notShown) > 0 {
		fmt.Fprintf(b, " (%s %s not shown; -simtimeline=FILE writes them all)", strings.Join(notShown, " and "), pluralWord(w.first+later, "entry", "entries"))
	}
	b.WriteString(":\n")
	writeFolded(b, w.kept)
}

// writeFaults writes the last faults before the window's first entry,
// one line each, with what each did at once (a host's sockets, a disk's
// unsynced data) on the same line.
func (w *window) writeFaults(b *strings.Builder) {
	if len(w.kept) == 0 {
		return
	}
	var before []shownFault
	for i := max(w.nring-len(w.faults), 0); i < w.nring; i++ {
		e := w.faults[i%len(w.faults)]
		if e.At >= w.kept[0].At {
			continue
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
		case kindOf(before[at].Entry) != rebootFault || e.Name != "down":
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
	for _, e := range w.kept[:len(w.kept)-w.after] {
		if kindOf(e).counted() {
			earlier--
		}
	}
	b.WriteString("  faults before it")
	if earlier > 0 {
		fmt.Fprintf(b, " (%d earlier not shown)", earlier)
	}
	b.WriteString(":\n")
	for _, f := range before {
		fmt.Fprintf(b, "    %v", f.Entry)
		for _, e := range f.effects {
			fmt.Fprintf(b, " [%s]", e)
		}
		b.WriteByte('\n')
	}
}

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
		case rebootFault:
			if subject(before[j].Entry) == subject(e) {
				return j
			}
			if reboot < 0 {
				reboot = j
			}
		case faultEffect:
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
// "reboot: kv-0 (crash)", "restart: kv-0 asked...", "down: kv-0 (crash)",
// "net: host kv-0 crashed: ...", "disk kv-0: crash: ...".
func subject(e sim.Entry) string {
	msg := e.Msg
	for _, prefix := range []string{"reboot: ", "restart: ", "down: ", "net: host ", "disk "} {
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

// A faultKind sorts a timeline entry by the fault it tells of.
type faultKind int

const (
	noFault faultKind = iota
	// the kinds a Run's report counts
	rebootFault  // a reboot, by chaos or by hand, or a restart a process asked for
	networkFault // a partition, clog, slow packet, bit flip, random close or dropped connection
	diskFault    // a disk's corruption, misdirected or phantom write, sync failure, stall...
	// faultEffect is what a fault did, told on a line of its own: a
	// process down, a host's sockets or a disk's unsynced data after a
	// crash.
	faultEffect
)

// kindOf sorts a timeline entry. It is cheap: it sees every entry of every
// seed.
func kindOf(e sim.Entry) faultKind {
	switch e.Name {
	case "reboot", "restart":
		return rebootFault
	case "down":
		return faultEffect
	case "net":
		what, _, _ := strings.Cut(strings.TrimPrefix(e.Msg, "net: "), " ")
		switch what {
		case "partition", "random", "isolate", "clog", "bit", "slow", "connection":
			return networkFault
		case "host":
			if strings.Contains(e.Msg, " crashed: ") || strings.Contains(e.Msg, " lost power: ") {
				return faultEffect
			}
		}
		return noFault
	}
	// A disk's entry reads "disk kv-0: write-corruption: ...", its name
	// the part before the first ": ".
	if !strings.HasPrefix(e.Name, "disk ") || len(e.Msg) < len(e.Name)+2 {
		return noFault
	}
	what, _, _ := strings.Cut(e.Msg[len(e.Name)+2:], ":")
	switch what {
	case "stop", "full":
		return noFault
	case "crash", "kill", "wipe":
		return faultEffect
	}
	return diskFault
}

// faultCounts counts the faults of the kinds a report counts.
type faultCounts [faultEffect - 1]int

func (c *faultCounts) add(k faultKind) {
	if k.counted() {
		c[k-1]++
	}
}

// counted reports whether k is a fault a report counts, not an effect.
func (k faultKind) counted() bool { return k > noFault && k < faultEffect }

// none reports whether no fault was counted.
func (c faultCounts) none() bool { return c == faultCounts{} }

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// maxFoldPeriod is the longest run of lines that folds when it repeats:
// a retry loop's few lines (dial, refused, sleep) repeat as a block.
const maxFoldPeriod = 4

// writeFolded writes entries, one a line, folding a line or a block of up
// to maxFoldPeriod lines that repeats (the same but for the time) into one
// copy and a count.
func writeFolded(b *strings.Builder, entries []sim.Entry) {
	keys := make([]string, len(entries))
	for i, e := range entries {
		e.At = 0
		keys[i] = e.String()
	}
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
		if period == 0 {
			fmt.Fprintf(b, "    %v\n", entries[i])
			i++
			continue
		}
		last := entries[i+period*reps-1].At
		if period == 1 {
			fmt.Fprintf(b, "    %v  (x %d, to %v)\n", entries[i], reps, last)
		} else {
			for k := range period {
				fmt.Fprintf(b, "    %v\n", entries[i+k])
			}
			fmt.Fprintf(b, "    %12s  (the %d lines above x %d, to %v)\n", "...", period, reps, last)
		}
		i += period * reps
	}
}
