// Package kvhistory records what the clients of a key-value store saw,
// with the times of each call and return, and checks with porcupine that
// the history is linearizable, for the examples' workloads: in a
// simulation (on simulated time) and against real processes (on the wall
// clock). A read that failed changed nothing and is left out; a write
// whose outcome is unknown may take effect at any time after its call, or
// never.
package kvhistory

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/simtest"
)

// History is the operations of a run's clients on a store. Its methods
// may be called from several goroutines (a test against real processes)
// as well as from a simulation's tasks.
type History struct {
	now   func() time.Time
	start time.Time
	final int // the client id of the final reads
	//simvet:allow sync never held across a call that parks, so no task ever waits on it
	mu sync.Mutex
	// The operations, filled a chunk at a time so that recording one does
	// not allocate and a chunk never moves: porcupine's operations point
	// into them (History.operations).
	chunks [][]op
	n      int
	// parts numbers the keys in the order they first appear: an
	// operation's partition (model's Partition).
	parts map[string]int32
	// Story, when set, gives the timeline entries that explain a failure,
	// under the heading StoryTitle.
	Story      func() []simtest.Entry
	StoryTitle string
	// Attach, when set, is given porcupine's own visualization of a
	// history that is not linearizable, as porcupine.html: S.Attach, for
	// a seed whose timeline is drawn (S.Drawing).
	Attach func(name string, data []byte)
}

// New starts a history on the clock now (p.Time.Now in a simulation,
// time.Now against real processes), counting times from its first
// reading; final is the client id of the checker's final reads.
func New(now func() time.Time, final int) *History {
	return &History{now: now, start: now(), final: final}
}

// op is an operation of the history as porcupine sees it: its input and
// its output are both the op (History.operations), whose fields say what
// each is, so that an operation is one small record.
type op struct {
	key string
	// value is a put's value, or what a get returned.
	value     string
	call, ret int64
	client    int
	part      int32 // the key's number in its history: see model's Partition
	put       bool
	found     bool // a get found the key
	unknown   bool // a put that may or may not have happened
}

func (h *History) since() int64 { return int64(h.now().Sub(h.start)) }

// opChunk is how many operations are allocated at once, unless reserve
// asks for more.
const opChunk = 64

// reserve makes room for n more operations in one chunk: the clients' count
// of operations is known before they start.
func (h *History) reserve(n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if last := len(h.chunks) - 1; last < 0 || cap(h.chunks[last])-len(h.chunks[last]) < n {
		h.chunks = append(h.chunks, make([]op, 0, n))
	}
}

// add records o.
func (h *History) add(o op) {
	h.mu.Lock()
	defer h.mu.Unlock()
	last := len(h.chunks) - 1
	if last < 0 || len(h.chunks[last]) == cap(h.chunks[last]) {
		h.chunks = append(h.chunks, make([]op, 0, opChunk))
		last++
	}
	if h.parts == nil {
		h.parts = make(map[string]int32)
	}
	part, ok := h.parts[o.key]
	if !ok {
		part = int32(len(h.parts))
		h.parts[o.key] = part
	}
	o.part = part
	h.chunks[last] = append(h.chunks[last], o)
	h.n++
}

// grouped returns the history's operations grouped by key, in the order
// of the keys' numbers and each key's in the order recorded: key p's are
// ops[start[p]:start[p+1]]. h.mu is held.
func (h *History) grouped() (ops []*op, start []int) {
	start = make([]int, len(h.parts)+1)
	for _, c := range h.chunks {
		for i := range c {
			start[c[i].part+1]++
		}
	}
	for p := 1; p < len(start); p++ {
		start[p] += start[p-1]
	}
	next := slices.Clone(start)
	ops = make([]*op, h.n)
	for _, c := range h.chunks {
		for i := range c {
			o := &c[i]
			ops[next[o.part]] = o
			next[o.part]++
		}
	}
	return ops, start
}

// operations returns the history as porcupine takes it, grouped by key in
// the order of the keys' numbers, so that model's Partition hands out
// parts of it and copies nothing. h.mu is held.
func (h *History) operations() []porcupine.Operation {
	ops, _ := h.grouped()
	all := make([]porcupine.Operation, len(ops))
	for i, o := range ops {
		all[i] = o.operation()
	}
	return all
}

// operation is o as porcupine takes it: o is its input and its output.
func (o *op) operation() porcupine.Operation {
	return porcupine.Operation{ClientId: o.client, Input: o, Call: o.call, Output: o, Return: o.ret}
}

// Len returns how many operations the history holds.
func (h *History) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// Get records client id's read of key, made by get, and reports whether
// it succeeded.
func (h *History) Get(id int, key string, get func() (string, bool, error)) bool {
	call := h.since()
	v, found, err := get()
	if err != nil {
		return false // a read that failed changed nothing
	}
	h.add(op{key: key, value: v, found: found, client: id, call: call, ret: h.since()})
	return true
}

// Put records client id's write of value to key, made by put; unknown
// tells an error after which the write may or may not take effect.
func (h *History) Put(ctx context.Context, id int, key, value string, put func() error, unknown func(error) bool) {
	call := h.since()
	err := put()
	ret := h.since()
	maybe := err != nil && unknown(err)
	assertions.Sometimes(ctx, maybe, "a put ends with an unknown outcome")
	switch {
	case maybe:
		// It may take effect at any time from now on, or never: it
		// returns at the end of time, as porcupine's docs advise.
		ret = math.MaxInt64
	case err != nil:
		return // it took no effect
	}
	h.add(op{put: true, key: key, value: value, unknown: maybe, client: id, call: call, ret: ret})
}

// Check asserts that the history is linearizable and, when it is not,
// returns an [*Error] that names the first operation no order can place
// and lists, for each key that fails, its operations, and the story.
func (h *History) Check(ctx context.Context) error {
	h.mu.Lock()
	ok := h.linearizable()
	h.mu.Unlock()
	assertions.Always(ctx, ok, "the history is linearizable")
	if ok {
		return nil
	}
	h.mu.Lock()
	all := h.operations()
	h.mu.Unlock()
	if h.Attach != nil {
		h.visualize(all)
	}
	return h.explain(all)
}

// linearizable reports what porcupine.CheckOperations(model(),
// h.operations()) does. A key whose operations each returned before the
// next was called has one order only, which is checked in place; porcupine
// searches the others. In a simulated run most keys' histories are so:
// clients think for seconds between operations that take milliseconds,
// and only the others are made into porcupine's operations. h.mu is held.
func (h *History) linearizable() bool {
	ops, start := h.grouped()
	var rest []porcupine.Operation
	m := model()
	for p := 1; p < len(start); p++ {
		key := ops[start[p-1]:start[p]]
		slices.SortFunc(key, func(a, b *op) int { return cmp.Compare(a.call, b.call) })
		if ok, alone := sequential(m, key); !alone {
			for _, o := range key {
				rest = append(rest, o.operation())
			}
		} else if !ok {
			return false
		}
	}
	// rest is grouped by key: partition splits it in place.
	return len(rest) == 0 || porcupine.CheckOperations(m, rest)
}

// sequential checks ops, one key's by call time, when none overlaps the
// next (alone): each returned strictly before the next was called, so
// that the order of the calls is the only one there is.
func sequential(m porcupine.Model, ops []*op) (ok, alone bool) {
	for i := 1; i < len(ops); i++ {
		if ops[i-1].ret >= ops[i].call {
			return false, false
		}
	}
	state := m.Init()
	for _, o := range ops {
		if ok, state = m.Step(state, o, o); !ok {
			return false, true
		}
	}
	return true, true
}

// visualize attaches porcupine's picture of the history: the longest
// linearizable prefix of each key's operations, and where it breaks.
func (h *History) visualize(all []porcupine.Operation) {
	_, info := porcupine.CheckOperationsVerbose(model(), all, 0)
	var b bytes.Buffer
	if err := porcupine.Visualize(model(), info, &b); err == nil {
		h.Attach("porcupine.html", b.Bytes())
	}
}

// An Error is a history that is not linearizable. Its text names the
// first operation that no order of the operations before it can place,
// then lists, for each key whose history is not linearizable, its
// operations by call time, and the story.
type Error struct {
	at   time.Time
	text string
}

func (e *Error) Error() string { return e.text }

// At returns the time of the call of the operation the first line
// names, on the history's clock (New's now): where a report of the run
// should look. A simtest report whose first failure is this error, made
// on the seed's clock, shows its timeline around that time.
func (e *Error) At() time.Time { return e.at }

func (h *History) explain(all []porcupine.Operation) error {
	var b strings.Builder
	parts := model().Partition(all)
	slices.SortFunc(parts, func(a, b []porcupine.Operation) int {
		return strings.Compare(a[0].Input.(*op).key, b[0].Input.(*op).key)
	})
	var first porcupine.Operation // the stuck operation called first
	found := false
	var histories []string // by key
	lead := 0              // the history of the stuck operation called first
	for _, ops := range parts {
		slices.SortStableFunc(ops, func(a, b porcupine.Operation) int { return cmp.Compare(a.Call, b.Call) })
		stuck, ok := stuckIn(ops)
		if !ok {
			continue
		}
		var hb strings.Builder
		key := ops[0].Input.(*op).key
		fmt.Fprintf(&hb, "\nthe history of %s is not linearizable; its operations, by call time:", key)
		for _, op := range ops {
			fmt.Fprintf(&hb, "\n  %s", h.describe(op))
		}
		if !found || stuck.Call < first.Call {
			first, found, lead = stuck, true, len(histories)
		}
		histories = append(histories, hb.String())
	}
	if found {
		// The history of the key the error names first, then the others
		// in key order.
		b.WriteString(histories[lead])
		histories = slices.Delete(histories, lead, lead+1)
	}
	for _, text := range histories {
		b.WriteString(text)
	}
	if h.Story != nil {
		fmt.Fprintf(&b, "\n%s:", h.StoryTitle)
		b.WriteString(storyLines(h.Story()))
	}
	if !found {
		// No key's history alone fails, which the check by key cannot
		// find: the error names no operation.
		return &Error{text: "a history that is not linearizable:" + b.String()}
	}
	return &Error{
		at: h.start.Add(time.Duration(first.Call)),
		text: fmt.Sprintf("a history that is not linearizable: no order of the operations before it can take %s's %s, called at %v:%s",
			h.who(first), opString(first.Input, first.Output), time.Duration(first.Call), b.String()),
	}
}

// stuckIn checks one key's operations, ops, and when they are not
// linearizable returns the first that no order can place: of those left
// out of the longest order porcupine found, the first to return, as
// history.Check names it. Any order must place before it every operation
// that returned before it was called, and none can.
func stuckIn(ops []porcupine.Operation) (porcupine.Operation, bool) {
	m := model()
	res, info := porcupine.CheckOperationsVerbose(porcupine.Model{Init: m.Init, Step: m.Step, Equal: m.Equal}, ops, 0)
	if res == porcupine.Ok {
		return porcupine.Operation{}, false
	}
	// One partition; its orders are indices into ops.
	var longest []int
	if partials := info.PartialLinearizations(); len(partials) > 0 {
		for _, l := range partials[0] {
			if len(l) > len(longest) || len(l) == len(longest) && slices.Compare(l, longest) < 0 {
				longest = l
			}
		}
	}
	in := make([]bool, len(ops))
	for _, id := range longest {
		in[id] = true
	}
	stuck := -1
	for id, o := range ops {
		if !in[id] && (stuck < 0 || o.Return < ops[stuck].Return) {
			stuck = id
		}
	}
	if stuck < 0 {
		return porcupine.Operation{}, false
	}
	return ops[stuck], true
}

// describe gives op's call and return times, its client (the final reads
// have their own), and what it did.
func (h *History) describe(op porcupine.Operation) string {
	ret := time.Duration(op.Return).String()
	if op.Return == math.MaxInt64 {
		ret = "?"
	}
	who := fmt.Sprintf("client %d", op.ClientId)
	if op.ClientId == h.final {
		who = "final read"
	}
	return fmt.Sprintf("%15v .. %15s  %-10s  %s", time.Duration(op.Call), ret, who, opString(op.Input, op.Output))
}

// who names op's client in a sentence: "client 2", or "the final read".
func (h *History) who(op porcupine.Operation) string {
	if op.ClientId == h.final {
		return "the final read"
	}
	return fmt.Sprintf("client %d", op.ClientId)
}

func opString(in, _ any) string {
	o := in.(*op)
	switch {
	case o.put && o.unknown:
		return fmt.Sprintf("put %s=%s: unknown outcome", o.key, o.value)
	case o.put:
		return fmt.Sprintf("put %s=%s", o.key, o.value)
	case o.found:
		return fmt.Sprintf("get %s -> %s", o.key, o.value)
	}
	return fmt.Sprintf("get %s -> not found", o.key)
}

// model is a map of keys to values, checked one key at a time. The state
// of one key is the put whose value it holds (nil: none), a pointer, so
// that a step allocates nothing.
func model() porcupine.Model {
	return porcupine.Model{
		Partition: partition,
		Init:      func() any { return (*op)(nil) },
		Step: func(state, in, _ any) (bool, any) {
			o := in.(*op)
			if o.put {
				return true, o
			}
			if s := state.(*op); s != nil {
				return o.found && o.value == s.value, s
			}
			return !o.found, state
		},
		Equal: func(a, b any) bool {
			s, t := a.(*op), b.(*op)
			return s == t || s != nil && t != nil && s.value == t.value
		},
		DescribeOperation: opString,
		DescribeState: func(state any) string {
			if s := state.(*op); s != nil {
				return s.value
			}
			return "(none)"
		},
	}
}

// partOf returns the number of x's key.
func partOf(x porcupine.Operation) int { return int(x.Input.(*op).part) }

// partition splits h by key, in the order of the keys' numbers. A history
// already grouped that way (History.operations) is split where it stands;
// any other is copied into groups first.
func partition(h []porcupine.Operation) [][]porcupine.Operation {
	parts := 0
	for _, x := range h {
		parts = max(parts, partOf(x)+1)
	}
	start := make([]int, parts+1)
	for _, x := range h {
		start[partOf(x)+1]++
	}
	for p := 1; p < len(start); p++ {
		start[p] += start[p-1]
	}
	grouped := h
	for p := 0; p < parts && len(grouped) == len(h); p++ {
		for _, x := range h[start[p]:start[p+1]] {
			if partOf(x) != p {
				grouped = nil
				break
			}
		}
	}
	if grouped == nil {
		grouped = make([]porcupine.Operation, len(h))
		next := slices.Clone(start)
		for _, x := range h {
			p := partOf(x)
			grouped[next[p]] = x
			next[p]++
		}
	}
	out := make([][]porcupine.Operation, 0, parts)
	for p := range parts {
		if start[p] < start[p+1] {
			out = append(out, grouped[start[p]:start[p+1]:start[p+1]])
		}
	}
	return out
}

// storyLines formats entries one to a line, their times right-aligned in
// one column, as a report's timeline is.
func storyLines(entries []simtest.Entry) string {
	type line struct{ at, rest string }
	lines := make([]line, len(entries))
	width := 0
	for i, e := range entries {
		at, rest, _ := strings.Cut(strings.TrimLeft(e.String(), " "), "  ")
		lines[i] = line{at, rest}
		width = max(width, len(at))
	}
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "\n  %*s  %s", width, l.at, l.rest)
	}
	return b.String()
}
