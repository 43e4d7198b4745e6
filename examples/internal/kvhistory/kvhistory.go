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
	chunks [][]record
	n      int
	// parts numbers the keys in the order they first appear: an
	// operation's partition (model's Partition).
	parts map[string]int
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

// The operations of the history, as porcupine sees them: an operation
// holds pointers to its record's input and output (History.operations).
type (
	input struct {
		put        bool
		part       int // the key's number in its history: see model's Partition
		key, value string
	}
	output struct {
		value   string
		found   bool
		unknown bool // a put that may or may not have happened
	}
	record struct {
		in        input
		out       output
		client    int
		call, ret int64
	}
)

func (h *History) since() int64 { return int64(h.now().Sub(h.start)) }

// opChunk is how many records are allocated at once, unless reserve asks
// for more.
const opChunk = 64

// reserve makes room for n more records in one chunk: the clients' count
// of operations is known before they start.
func (h *History) reserve(n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if last := len(h.chunks) - 1; last < 0 || cap(h.chunks[last])-len(h.chunks[last]) < n {
		h.chunks = append(h.chunks, make([]record, 0, n))
	}
}

// add records the operation of client id with input in and output out.
func (h *History) add(id int, in input, call int64, out output, ret int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	last := len(h.chunks) - 1
	if last < 0 || len(h.chunks[last]) == cap(h.chunks[last]) {
		h.chunks = append(h.chunks, make([]record, 0, opChunk))
		last++
	}
	if h.parts == nil {
		h.parts = make(map[string]int)
	}
	part, ok := h.parts[in.key]
	if !ok {
		part = len(h.parts)
		h.parts[in.key] = part
	}
	in.part = part
	h.chunks[last] = append(h.chunks[last], record{in: in, out: out, client: id, call: call, ret: ret})
	h.n++
}

// operations returns the history as porcupine takes it, grouped by key in
// the order of the keys' numbers, so that model's Partition hands out
// parts of it and copies nothing. h.mu is held.
func (h *History) operations() []porcupine.Operation {
	start := make([]int, len(h.parts)+1)
	for _, c := range h.chunks {
		for i := range c {
			start[c[i].in.part+1]++
		}
	}
	for p := 1; p < len(start); p++ {
		start[p] += start[p-1]
	}
	all := make([]porcupine.Operation, h.n)
	for _, c := range h.chunks {
		for i := range c {
			r := &c[i]
			all[start[r.in.part]] = porcupine.Operation{
				ClientId: r.client, Input: &r.in, Call: r.call, Output: &r.out, Return: r.ret,
			}
			start[r.in.part]++
		}
	}
	return all
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
	h.add(id, input{key: key}, call, output{value: v, found: found}, h.since())
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
	h.add(id, input{put: true, key: key, value: value}, call, output{unknown: maybe}, ret)
}

// Check asserts that the history is linearizable and, when it is not,
// returns an error that lists, for each key whose history is not, its
// operations by call time, and the story.
func (h *History) Check(ctx context.Context) error {
	h.mu.Lock()
	all := h.operations()
	h.mu.Unlock()
	ok := porcupine.CheckOperations(model(), all)
	assertions.Always(ctx, ok, "the history is linearizable")
	if ok {
		return nil
	}
	if h.Attach != nil {
		h.visualize(all)
	}
	return h.explain(all)
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

func (h *History) explain(all []porcupine.Operation) error {
	var b strings.Builder
	parts := model().Partition(all)
	slices.SortFunc(parts, func(a, b []porcupine.Operation) int {
		return strings.Compare(a[0].Input.(*input).key, b[0].Input.(*input).key)
	})
	for _, ops := range parts {
		if porcupine.CheckOperations(porcupine.Model{Init: model().Init, Step: model().Step, Equal: model().Equal}, ops) {
			continue
		}
		key := ops[0].Input.(*input).key
		fmt.Fprintf(&b, "\nthe history of %s is not linearizable; its operations, by call time:", key)
		slices.SortStableFunc(ops, func(a, b porcupine.Operation) int { return cmp.Compare(a.Call, b.Call) })
		for _, op := range ops {
			fmt.Fprintf(&b, "\n  %s", h.describe(op))
		}
	}
	if h.Story != nil {
		fmt.Fprintf(&b, "\n%s:", h.StoryTitle)
		for _, e := range h.Story() {
			fmt.Fprintf(&b, "\n  %v", e)
		}
	}
	return fmt.Errorf("a history that is not linearizable:%s", b.String())
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

func opString(i, o any) string {
	in, out := i.(*input), o.(*output)
	switch {
	case in.put && out.unknown:
		return fmt.Sprintf("put %s=%s: unknown outcome", in.key, in.value)
	case in.put:
		return fmt.Sprintf("put %s=%s", in.key, in.value)
	case out.found:
		return fmt.Sprintf("get %s -> %s", in.key, out.value)
	}
	return fmt.Sprintf("get %s -> not found", in.key)
}

// model is a map of keys to values, checked one key at a time. The state
// of one key is the put whose value it holds (nil: none), a pointer, so
// that a step allocates nothing.
func model() porcupine.Model {
	return porcupine.Model{
		Partition: partition,
		Init:      func() any { return (*input)(nil) },
		Step: func(state, in, out any) (bool, any) {
			i := in.(*input)
			if i.put {
				return true, i
			}
			s, o := state.(*input), out.(*output)
			if s == nil {
				return !o.found, s
			}
			return o.found && o.value == s.value, s
		},
		Equal: func(a, b any) bool {
			s, t := a.(*input), b.(*input)
			return s == t || s != nil && t != nil && s.value == t.value
		},
		DescribeOperation: opString,
		DescribeState: func(state any) string {
			if s := state.(*input); s != nil {
				return s.value
			}
			return "(none)"
		},
	}
}

// partition splits h by key, in the order of the keys' numbers. A history
// already grouped that way (History.operations) is split where it stands;
// any other is copied into groups first.
func partition(h []porcupine.Operation) [][]porcupine.Operation {
	parts := 0
	for _, op := range h {
		parts = max(parts, op.Input.(*input).part+1)
	}
	start := make([]int, parts+1)
	for _, op := range h {
		start[op.Input.(*input).part+1]++
	}
	for p := 1; p < len(start); p++ {
		start[p] += start[p-1]
	}
	grouped := h
	for p := 0; p < parts && len(grouped) == len(h); p++ {
		for _, op := range h[start[p]:start[p+1]] {
			if op.Input.(*input).part != p {
				grouped = nil
				break
			}
		}
	}
	if grouped == nil {
		grouped = make([]porcupine.Operation, len(h))
		next := slices.Clone(start)
		for _, op := range h {
			p := op.Input.(*input).part
			grouped[next[p]] = op
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
