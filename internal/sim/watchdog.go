package sim

import (
	"bytes"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// GoroutineID returns the id of the calling goroutine, read from the head
// of its stack trace. The engine reads it once per goroutine that runs
// worlds (goRun); simtest, to tell a test's goroutine from another's.
func GoroutineID() int64 {
	var buf [64]byte
	b := bytes.TrimPrefix(buf[:runtime.Stack(buf[:], false)], []byte("goroutine "))
	n, _, _ := bytes.Cut(b, []byte(" "))
	id, _ := strconv.ParseInt(string(n), 10, 64)
	return id
}

// The watchdog samples the goroutine of the task that does not come back
// several times, because one sample of a running goroutine shows whichever
// line it was at, and a loop spends most of its time on the line that
// matters.
const (
	watchSamples = 3
	watchGap     = 10 * time.Millisecond
)

// samplesToTake is how many samples the watchdog takes of a goroutine, or
// tries to find it: watchSamples, but one past realWaitGoroutines
// goroutines, where each is a stack trace of them all that stops the
// world for long (at 150 processes, tens of thousands of goroutines, the
// samples of one report took a fifth of the run's CPU).
func samplesToTake() int {
	if runtime.NumGoroutine() > realWaitGoroutines {
		return 1
	}
	return watchSamples
}

// sample is what the watchdog saw of a goroutine.
type sample struct {
	busy bool // running or runnable in some sample: not waiting
	// blind tells that no sample could be taken: a program's code ran in
	// the process, out of reach of a stop of the world (stopWorld).
	blind bool
	state string // the goroutine's state in the samples shown
	stack string // the task's own frames, as userFrames gives them
	// helper is the stack of a goroutine that the goroutine started,
	// directly or not, and that was running or runnable while it waited:
	// a waiting task may wait for work it handed to goroutines of its own
	// (porcupine checks a history on several).
	helper string
	// inProviders: the goroutine waits in package providers' production
	// code, which a simulation's providers never block in.
	inProviders bool
	// on tells, of a goroutine that waits, the goroutine it started that
	// it may wait for, and where that one waits (waitingDescendant), or "".
	on string
}

// providersPkg begins the names of package providers' functions.
const providersPkg = "github.com/moonpool-go/moonpool/providers."

// waitsInProviders reports whether the innermost frame of stack outside
// the runtime is package providers' own.
func waitsInProviders(stack string) bool {
	for line := range strings.SplitSeq(stack, "\n") {
		switch {
		case strings.HasPrefix(line, "\t"):
		case strings.HasPrefix(line, "runtime.") || strings.HasPrefix(line, "internal/") || strings.HasPrefix(line, "sync."):
		default:
			return strings.HasPrefix(line, providersPkg)
		}
	}
	return false
}

// sampleGoroutine samples goroutine id: its state, and the stack most of
// the samples share at their top frame.
func sampleGoroutine(id int64) (out sample) {
	count := map[string]int{}
	best := 0
	var gs []dumpedG
	defer func() {
		if !out.busy && out.helper == "" && gs != nil {
			out.on = waitingDescendant(gs, id)
		}
	}()
	for i := range samplesToTake() {
		if i > 0 {
			time.Sleep(watchGap)
		}
		all := goroutines()
		if all == nil {
			out.blind = i == 0
			break
		}
		g := slices.IndexFunc(all, func(g dumpedG) bool { return g.id == id })
		if g < 0 {
			break // it ended
		}
		gs = all
		state, stack := gs[g].state, gs[g].stack
		out.busy = out.busy || runs(state)
		if h := busyDescendant(gs, id); h != nil && out.helper == "" {
			out.helper = h.stack
		}
		inProviders := waitsInProviders(stack)
		stack = userFrames(stack)
		top, _, _ := strings.Cut(stack, "\n\t")
		loc, _, _ := strings.Cut(strings.TrimPrefix(stack, top+"\n\t"), "\n")
		count[top+loc]++
		if n := count[top+loc]; n > best {
			best, out.state, out.stack, out.inProviders = n, state, stack, inProviders
		}
		if !out.busy && out.helper == "" && best == 2 {
			break // waiting, twice at the same place: it is not moving
		}
	}
	return out
}

// waitingDescendant tells of the goroutine that id started last, directly,
// among those that wait, and of the goroutine deepest under it, also
// waiting: what a goroutine that waits for work it handed off (an
// http.Transport's dial, a DNS lookup) waits for, such as
// "net.(*Resolver).lookupIPAddr (select), and under it net.(*netFD).Read (IO wait)".
// It returns "" when id started none that waits. The simulation's own
// workers are left out, as by busyDescendant, and so are coroutines not
// yet started: a task's worker parked at its start has no worker's frame
// yet, and runs no code that anything could wait for.
func waitingDescendant(gs []dumpedG, id int64) string {
	children := map[int64][]int{}
	for i, g := range gs {
		if g.creator != 0 && !runs(g.state) && !strings.Contains(g.stack, workerFrame) && !unstartedCoroutine(g) {
			children[g.creator] = append(children[g.creator], i)
		}
	}
	var child *dumpedG
	for _, i := range children[id] {
		if child == nil || gs[i].id > child.id {
			child = &gs[i]
		}
	}
	if child == nil {
		return ""
	}
	deepest := child
	level := []int64{child.id}
	for len(level) > 0 {
		var next []int64
		for _, parent := range level {
			for _, i := range children[parent] {
				deepest = &gs[i]
				next = append(next, gs[i].id)
			}
		}
		level = next
	}
	on := fmt.Sprintf("%s (%s)", innerFunc(child.stack), child.state)
	if deepest != child {
		on += fmt.Sprintf(", and under it %s (%s)", innerFunc(deepest.stack), deepest.state)
	}
	return on
}

// unstartedCoroutine reports whether g is a coroutine (iter.Pull's) that
// has not begun to run: its stack holds nothing but the runtime's start of
// a coroutine. The simulation starts each task's worker as one, and a
// task that starts a task and blocks before it yields leaves the new
// worker there.
func unstartedCoroutine(g dumpedG) bool {
	if g.state != "coroutine" {
		return false
	}
	start := false
	for line := range strings.SplitSeq(g.stack, "\n") {
		if strings.HasPrefix(line, "\t") {
			continue
		}
		if !strings.HasPrefix(line, "runtime.") {
			return false
		}
		start = start || line == "runtime.corostart"
	}
	return start
}

// innerFunc names the innermost function of a stack outside the runtime
// and the standard library's internal packages.
func innerFunc(stack string) string {
	fn := ""
	for line := range strings.SplitSeq(stack, "\n") {
		if strings.HasPrefix(line, "\t") {
			continue
		}
		if fn == "" {
			fn = line
		}
		if !strings.HasPrefix(line, "runtime.") && !strings.HasPrefix(line, "internal/") && !strings.HasPrefix(line, "syscall.") {
			return line
		}
	}
	return fn
}

// goFunc returns the function a goroutine was started with: its stack's
// outermost frame.
func goFunc(stack string) string {
	lines := strings.Split(stack, "\n")
	return lines[max(len(lines)-2, 0)]
}

// runs reports whether a goroutine in state runs or waits only for a
// processor.
func runs(state string) bool { return state == "running" || state == "runnable" }

// busyDescendant returns a goroutine of gs that id started, directly or
// through others, and that runs, or nil. The simulation's own workers are
// left out, and what they started: a task's goroutine may have started a
// worker that now runs a task of another world.
func busyDescendant(gs []dumpedG, id int64) *dumpedG {
	children := map[int64][]int{}
	for i, g := range gs {
		if g.creator != 0 && !strings.Contains(g.stack, workerFrame) {
			children[g.creator] = append(children[g.creator], i)
		}
	}
	queue := []int64{id}
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		for _, i := range children[parent] {
			if runs(gs[i].state) {
				return &gs[i]
			}
			queue = append(queue, gs[i].id)
		}
	}
	return nil
}

// findGoroutine returns the id of the goroutine of the worker labelled
// label, or 0. Labels show only in a goroutine profile, and ids and states
// only in a stack trace: the goroutine is the one whose stack in the trace
// is its stack in the profile, but for the line of the innermost frame,
// which moves if the goroutine runs. (Reading each worker's id as it
// starts would cost microseconds per worker.)
//
// A running goroutine may be one call deeper or shallower in one than in
// the other, so a stack one frame shorter matches too, and a few tries are
// made. looked is false when no stack could be taken (stopWorld).
func findGoroutine(label string) (id int64, looked bool) {
	var raw string
	var gs []dumpedG
	for range samplesToTake() {
		st := stacks()
		if st == nil {
			return 0, false
		}
		raw = st[label]
		want := loosen(raw)
		if want == "" {
			return 0, true
		}
		if gs = goroutines(); gs == nil {
			return 0, false
		}
		for _, g := range gs {
			have := loosen(g.stack)
			if have == want || have == outer(want) || outer(have) == want {
				return g.id, true
			}
		}
	}
	return closest(raw, gs), true
}

// closest is findGoroutine's last resort, for a goroutine that moved by
// more than a call between the profile and the stack trace, as a busy one
// on a loaded machine does: the goroutine of gs that runs, or waits for a
// processor, on a worker, and shares with stack, from the bottom up, the
// most frames, the task's first among them (the callers of what runs do
// not move). It returns 0 unless one alone does.
func closest(stack string, gs []dumpedG) int64 {
	want := userCallFrames(stack)
	body := slices.IndexFunc(want, func(f string) bool { return strings.Contains(f, bodyFrame) })
	if body < 0 {
		return 0
	}
	// Every frame from task.body down, a worker's, and the one above it:
	// what the worker runs, not just that it runs something.
	need := len(want) - body + 1
	best, id, tie := 0, int64(0), false
	for _, g := range gs {
		if !runs(g.state) || !strings.Contains(g.stack, workerFrame) {
			continue
		}
		have := userCallFrames(g.stack)
		n := 0
		for n < len(want) && n < len(have) && want[len(want)-1-n] == have[len(have)-1-n] {
			n++
		}
		switch {
		case n > best:
			best, id, tie = n, g.id, false
		case n == best:
			tie = true
		}
	}
	if tie || best < need {
		return 0
	}
	return id
}

// userCallFrames splits a stack ("function\n\tfile:line" lines) into its
// frames, innermost first, without the runtime's, which a stack trace and
// a profile show differently.
func userCallFrames(stack string) []string {
	lines := strings.Split(stack, "\n")
	var out []string
	for i := 0; i+1 < len(lines); i += 2 {
		if !strings.HasPrefix(lines[i], "runtime.") {
			out = append(out, lines[i]+"\n"+lines[i+1])
		}
	}
	return out
}

// outer drops the innermost frame of a loosened stack, and the line of the
// next, which becomes the innermost.
func outer(stack string) string {
	lines := strings.Split(stack, "\n")
	if len(lines) < 3 {
		return ""
	}
	return strings.Join(append(lines[1:2], lines[3:]...), "\n")
}

// loosen drops from a stack the runtime's frames, which a stack trace
// hides and a profile shows, and the line of the innermost frame left.
func loosen(stack string) string {
	lines := strings.Split(stack, "\n")
	var out []string
	for i := 0; i+1 < len(lines); i += 2 {
		if strings.HasPrefix(lines[i], "runtime.") {
			continue
		}
		if len(out) == 0 {
			out = append(out, lines[i])
			continue
		}
		out = append(out, lines[i], lines[i+1])
	}
	return strings.Join(out, "\n")
}

type dumpedG struct {
	id      int64
	creator int64 // the goroutine that started it; 0 if none is named
	// createdBy is the function whose go statement started it, as the
	// trace's "created by" line names it.
	createdBy string
	state     string // "chan receive", "running"...
	stack     string // "function\n\tfile:line" lines, as stacks gives them
}

// goroutines returns every goroutine, read from a stack trace of all of
// them: unlike a goroutine profile, it gives the exact line of a goroutine
// stopped while running. It returns nil, could not look, while a
// program's code runs that would hold the trace's stop of the world
// (stopWorld).
func goroutines() []dumpedG {
	buf := make([]byte, 64<<10)
	trace := func() {
		for {
			n := runtime.Stack(buf, true)
			if n < len(buf) {
				buf = buf[:n]
				return
			}
			buf = make([]byte, 2*len(buf))
		}
	}
	if !stopWorld(trace) {
		return nil
	}
	var out []dumpedG
	for _, rec := range strings.Split(string(buf), "\n\n") {
		rest, ok := strings.CutPrefix(rec, "goroutine ")
		if !ok {
			continue
		}
		lines := strings.Split(rest, "\n")
		id, head, _ := strings.Cut(lines[0], " [")
		var g dumpedG
		g.id, _ = strconv.ParseInt(id, 10, 64)
		g.state, _, _ = strings.Cut(head, "]")
		g.state, _, _ = strings.Cut(g.state, ",")
		var frames []string
		for i := 1; i+1 < len(lines); i++ {
			fn := lines[i]
			if strings.HasPrefix(fn, "created by ") {
				// "created by pkg.fn in goroutine 7"
				in, by, ok := strings.Cut(fn, " in goroutine ")
				if ok {
					g.creator, _ = strconv.ParseInt(by, 10, 64)
				}
				g.createdBy = strings.TrimPrefix(in, "created by ")
				break
			}
			if !strings.HasPrefix(lines[i+1], "\t") {
				continue // "...additional frames elided..."
			}
			loc := strings.TrimSpace(lines[i+1])
			i++
			if j := strings.LastIndexByte(fn, '('); j > 0 {
				fn = fn[:j]
			}
			if j := strings.LastIndex(loc, " +0x"); j > 0 {
				loc = loc[:j]
			}
			frames = append(frames, fn, "\t"+loc)
		}
		g.stack = strings.Join(frames, "\n")
		out = append(out, g)
	}
	return out
}
