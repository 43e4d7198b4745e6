package history

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sync/atomic"
	"time"

	"github.com/anishathalye/porcupine"
)

// A Model is the sequential specification a history is checked against:
// the states S of the system, and what an operation with input I and
// output O does to one. Init and Step are required.
type Model[S, I, O any] struct {
	// Init returns the state before any operation.
	Init func() S
	// Step reports whether the operation (in, out) may happen in state,
	// and returns the state it leaves. It must not change state.
	Step func(state S, in I, out O) (ok bool, next S)
	// StepUnknown returns the state that an operation whose outcome is
	// unknown ([Call.Unknown]) leaves if it takes effect in state, from
	// its input alone: a compare-and-swap's new value if state holds its
	// old one, else state. It must not change state. Nil steps such an
	// operation with Step and the zero O, whose verdict is not looked
	// at: right for a Step that ignores the output of whatever may be
	// unknown (a write), wrong for one that judges by it (a
	// compare-and-swap's OK, false in the zero O, takes it as having
	// failed).
	StepUnknown func(state S, in I) (next S)
	// Equal reports whether two states are the same. Nil compares them
	// with ==, which needs an S whose values are comparable.
	Equal func(a, b S) bool
	// Partition, when set, names the independent part of the state that
	// an operation touches, such as a key: each part's operations are
	// checked alone, which is much faster, and Init and Step then see one
	// part's state only.
	Partition func(in I) string
	// DescribeOperation, when set, says what an operation did, for the
	// error and the visualization ("read() -> 19"). Nil prints the
	// input and output with %v.
	DescribeOperation func(in I, out O) string
	// DescribeState, when set, says what a state holds. Nil prints it
	// with %v.
	DescribeState func(state S) string
}

// An Option changes how [Check] checks.
type Option interface {
	apply(*config)
}

type config struct {
	timeout  time.Duration
	maxSteps int
	attach   func(name string, data []byte)
	// leaveOut is LeaveOutUnread's: a func([]*record[I, O]) []*record[I, O]
	// for the history's I and O.
	leaveOut any
	// leaveOutOf names the types LeaveOutUnread's functions take, for
	// the panic of a mismatch.
	leaveOutOf string
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// Timeout bounds the search for an order in real time: a check that has
// not finished by then fails with an error that says so, and never
// passes. The search can take exponential time on a long history with
// many overlapping operations. Zero, the default, waits as long as it
// takes.
//
// Where the timeout cuts the search, the machine's speed decided the
// outcome, and the same history may check otherwise on another machine
// or in another run: in a simulation, a replay of the seed, or the
// second run of -simcheck. Bound the search with [MaxSteps], the same
// on every machine, and keep a Timeout well above it as a backstop.
func Timeout(d time.Duration) Option {
	if d < 0 {
		panic(fmt.Sprintf("history.Timeout(%v): the timeout must not be negative; give 0 for none", d))
	}
	return optionFunc(func(c *config) { c.timeout = d })
}

// MaxSteps bounds the search for an order in each part of the history
// (each of [Model.Partition]'s parts, or the whole history) to n steps
// of the model: a part whose search takes more is left unchecked, and a
// check that leaves a part unchecked fails, never passes, with an error
// that says whether the history is linearizable is unknown. Unlike
// [Timeout] it counts work, not time, so a history checks the same way
// on every machine and in every run. Zero, the default, sets no bound.
func MaxSteps(n int) Option {
	if n < 0 {
		panic(fmt.Sprintf("history.MaxSteps(%d): the bound must not be negative; give 0 for none", n))
	}
	return optionFunc(func(c *config) { c.maxSteps = n })
}

// Attach gives attach porcupine's visualization of a history that
// failed its check, an HTML page, as a file named "porcupine.html":
// history.Attach(s.Attach) links it from the seed's HTML timeline
// (simtest's S.Attach). The page shows each client's operations on its
// own lane, at the history's times, with the longest orders found.
func Attach(attach func(name string, data []byte)) Option {
	return optionFunc(func(c *config) { c.attach = attach })
}

// LeaveOutUnread leaves out of the check each operation whose outcome is
// unknown ([Call.Unknown], or still pending) and that wrote a value no
// operation that returned read: wrote gives the value an operation's
// input writes (false for one that writes none), read the value a
// returned operation's output read (false for none). Every unknown
// operation makes porcupine's search try it at every place after its
// call, and a history with dozens of timed-out writes may not finish in
// any bound; but a write no read saw can always take effect last, after
// every other operation, so leaving it out changes no verdict, for a
// register or a key-value store whose writes are of values written once
// each (give each write a unique value, as a counter per client does).
// For a model in which an operation's effect shows other than through
// reads of the value it wrote (a compare-and-swap's, an increment's),
// it is wrong: leave it off. The types I and O are the history's; a
// mismatch panics, naming both.
func LeaveOutUnread[I, O any, V comparable](wrote func(in I) (V, bool), read func(out O) (V, bool)) Option {
	return optionFunc(func(c *config) {
		c.leaveOutOf = fmt.Sprintf("%v and %v", reflect.TypeFor[I](), reflect.TypeFor[O]())
		c.leaveOut = func(ops []*record[I, O]) []*record[I, O] {
			seen := make(map[V]bool)
			for _, r := range ops {
				if v, ok := read(r.out); ok && r.end == returned {
					seen[v] = true
				}
			}
			kept := ops[:0:0]
			for _, r := range ops {
				if v, ok := wrote(r.in); ok && r.end == unknown && !seen[v] {
					continue
				}
				kept = append(kept, r)
			}
			return kept
		}
	})
}

// Check checks, with porcupine, that the history h is linearizable for
// the model m: that its operations could have taken effect one at a
// time, each at an instant between its call and its return, in an order
// that m allows. It returns nil if so, and otherwise an [*Error] that
// names the operations that no order can place. A check that could not
// finish ([MaxSteps], [Timeout]) is an [*Error] too, whose Inconclusive
// method reports true; one cut by its Timeout wraps
// context.DeadlineExceeded. Only a check that fails reads the history's
// clock, once, for [Error.CheckedAt].
//
// Operations still pending count as [Call.Unknown], and operations
// recorded while Check runs are not seen. In a simulation, call it from
// within S.Slow: the search runs on goroutines of its own, in real time.
func Check[S, I, O any](h *History[I, O], m Model[S, I, O], opts ...Option) error {
	if m.Init == nil || m.Step == nil {
		panic("history.Check: the model needs Init and Step")
	}
	if t := reflect.TypeFor[S](); m.Equal == nil && !t.Comparable() {
		panic(fmt.Sprintf("history.Check: the model's states, of type %v, cannot be compared with ==: give the model an Equal", t))
	}
	var c config
	for _, o := range opts {
		o.apply(&c)
	}
	ops := h.snapshot()
	leftOut := 0
	if c.leaveOut != nil {
		leave, ok := c.leaveOut.(func([]*record[I, O]) []*record[I, O])
		if !ok {
			panic(fmt.Sprintf("history.Check: LeaveOutUnread's wrote and read take %s, the inputs and outputs of another history than this one, of %v and %v: give it functions of those", c.leaveOutOf, reflect.TypeFor[I](), reflect.TypeFor[O]()))
		}
		before := len(ops)
		ops = leave(ops)
		leftOut = before - len(ops)
	}
	parts := partition(ops, m.Partition)
	all := make([]porcupine.Operation, 0, len(ops))
	for _, p := range parts {
		for _, r := range p.ops {
			all = append(all, porcupine.Operation{ClientId: r.client, Input: r, Call: r.call, Output: r, Return: r.ret})
		}
	}
	// The bounds are the model's own, counted per part, rather than
	// porcupine's timeout, which stops every part at once and does not
	// say which it cut.
	b := newBounds(len(parts), c)
	res, info := porcupine.CheckOperationsVerbose(m.porcupine(parts, b), all, 0)
	b.stop()
	if res == porcupine.Ok {
		return nil
	}
	if c.attach != nil {
		var page bytes.Buffer
		if porcupine.Visualize(m.porcupine(parts, nil), info, &page) == nil {
			c.attach("porcupine.html", page.Bytes())
		}
	}
	e := &Error{ops: len(ops), clients: clients(ops), start: h.start, checked: h.clockNow(), timeout: c.timeout, maxSteps: c.maxSteps}
	for _, r := range ops {
		if r.end == unknown {
			e.unknownOps++
		}
	}
	e.dropped = h.Outcomes().Dropped
	e.leaveOut, e.leftOut = c.leaveOut != nil, leftOut
	if first, stuck, alone := explain(e, m, parts, info.PartialLinearizations(), b.cut); first >= 0 && e.dropped > 0 {
		blameDrop(e, h, m, c, parts[first], stuck)
		if !alone {
			e.blamePart = parts[first].name
		}
	}
	return e
}

// maxBlamed bounds how many dropped operations blameDrop tries one at a
// time, each a check of the failing part, blameSteps each check's steps,
// and blameBudget the steps of them all: dozens of operations of unknown
// outcome can take a search past any bound, and an explanation must not
// make a failing check slow.
const (
	maxBlamed   = 16
	blameSteps  = 1_000_000
	blameBudget = 4_000_000
)

// blameDrop looks among the operations dropped in failed, the first part
// that failed, for one that would make the part linearizable had it taken
// effect: a call dropped on an error that did not prove it changed
// nothing, such as a refusal after the request was sent again, is a
// recording mistake that reads as a bug of the system. It tries each
// alone, those called before stuck (the operation the error names)
// returned first, the latest of them first, as what explains a stuck
// operation most often came just before it; then, if none alone does, all
// together. Each check keeps the check's Timeout and takes at most
// blameSteps steps, and all of them blameBudget; a cut one blames nothing.
func blameDrop[S, I, O any](e *Error, h *History[I, O], m Model[S, I, O], c config, failed part[I, O], stuck *record[I, O]) {
	most := blameSteps
	if c.maxSteps > 0 {
		most = min(most, c.maxSteps)
	}
	budget := blameBudget
	var drops []*record[I, O]
	for _, r := range h.snapshotDropped() {
		if m.Partition == nil || m.Partition(r.in) == failed.name {
			drops = append(drops, r)
		}
	}
	if len(drops) == 0 {
		return
	}
	linearizable := func(extra ...*record[I, O]) bool {
		ops := slices.SortedStableFunc(slices.Values(slices.Concat(failed.ops, extra)), func(a, b *record[I, O]) int { return cmp.Compare(a.call, b.call) })
		all := make([]porcupine.Operation, len(ops))
		for i, r := range ops {
			r.part = 0
			all[i] = porcupine.Operation{ClientId: r.client, Input: r, Call: r.call, Output: r, Return: r.ret}
		}
		one := []part[I, O]{{name: failed.name, ops: ops}}
		c.maxSteps = min(most, budget)
		if c.maxSteps <= 0 {
			return false
		}
		b := newBounds(1, c)
		defer b.stop()
		ok := porcupine.CheckOperations(m.porcupine(one, b), all) && b.cut[0] == notCut
		budget -= b.steps[0]
		return ok
	}
	before := func(r *record[I, O]) bool { return r.call < stuck.ret }
	tries := slices.Clone(drops)
	slices.SortStableFunc(tries, func(a, b *record[I, O]) int {
		switch {
		case before(a) != before(b):
			if before(a) {
				return -1
			}
			return 1
		case before(a):
			return cmp.Compare(b.call, a.call) // the latest first
		}
		return cmp.Compare(a.call, b.call)
	})
	for _, r := range tries[:min(len(tries), maxBlamed)] {
		if linearizable(r) {
			e.blamed = 1
			e.blame = fmt.Sprintf("client %d's %s (called at %s, dropped at %s)", r.client, m.describe(r), seconds(r.callAt), seconds(r.retAt))
			return
		}
	}
	if len(drops) > 1 && linearizable(drops...) {
		e.blamed = len(drops)
	}
}

// cutBy is what cut a part's search short.
type cutBy uint8

const (
	notCut  cutBy = iota
	bySteps       // MaxSteps
	byTime        // Timeout
)

// bounds bounds a check's search: each part's steps, and the real time
// of all. A step past a bound is refused, which winds the part's search
// down to a result of "not linearizable" that the check, seeing the
// part cut, takes as unknown: a refused step never lets an order through.
type bounds struct {
	maxSteps int
	steps    []int   // each part's, counted by the goroutine that searches it
	cut      []cutBy // each part's, set by that goroutine; read once the check is done
	late     atomic.Bool
	timer    *time.Timer
}

func newBounds(parts int, c config) *bounds {
	b := &bounds{maxSteps: c.maxSteps, steps: make([]int, parts), cut: make([]cutBy, parts)}
	if c.timeout > 0 {
		b.timer = time.AfterFunc(c.timeout, func() { b.late.Store(true) })
	}
	return b
}

// allow reports whether part may take one more step; nil bounds allow
// every step.
func (b *bounds) allow(part int) bool {
	if b == nil {
		return true
	}
	if b.cut[part] != notCut {
		return false
	}
	if b.maxSteps > 0 && b.steps[part] >= b.maxSteps {
		b.cut[part] = bySteps
		return false
	}
	if b.late.Load() {
		b.cut[part] = byTime
		return false
	}
	b.steps[part]++
	return true
}

func (b *bounds) stop() {
	if b.timer != nil {
		b.timer.Stop()
	}
}

// clockNow reads the history's clock for [Error.CheckedAt], or returns
// the zero time when that clock cannot be read any more: a simulated
// clock panics after its seed ended, and a check made then (a history
// kept past its seed) still returns its error, whose At the report then
// reads on the seed's clock.
func (h *History[I, O]) clockNow() (t time.Time) {
	defer func() {
		if recover() != nil {
			t = time.Time{}
		}
	}()
	return h.now()
}

// snapshot copies the operations not dropped, in the order of their
// calls; a pending one becomes unknown.
func (h *History[I, O]) snapshot() []*record[I, O] {
	return h.copyOps(func(r *record[I, O]) bool { return r.end != dropped })
}

// snapshotDropped copies the dropped operations, in the order of their
// calls, each as of unknown outcome: as the check would take them had
// they not been dropped. Their retAt stays the time of the drop.
func (h *History[I, O]) snapshotDropped() []*record[I, O] {
	ops := h.copyOps(func(r *record[I, O]) bool { return r.end == dropped })
	for _, r := range ops {
		r.end, r.ret = unknown, math.MaxInt64
	}
	return ops
}

// copyOps copies the operations that keep reports true of, in the order
// of their calls; a pending one becomes unknown.
func (h *History[I, O]) copyOps(keep func(*record[I, O]) bool) []*record[I, O] {
	h.mu.Lock()
	defer h.mu.Unlock()
	all := make([]record[I, O], 0, h.n)
	for _, c := range h.chunks {
		for _, r := range c {
			if !keep(&r) {
				continue
			}
			if r.end == pending {
				r.end, r.ret, r.retAt = unknown, math.MaxInt64, math.MaxInt64
			}
			all = append(all, r)
		}
	}
	ops := make([]*record[I, O], len(all))
	for i := range all {
		ops[i] = &all[i]
	}
	return ops
}

func clients[I, O any](ops []*record[I, O]) int {
	seen := make(map[int]bool)
	for _, r := range ops {
		seen[r.client] = true
	}
	return len(seen)
}

// part is one partition's operations, in the order of their calls.
type part[I, O any] struct {
	name string
	ops  []*record[I, O]
}

// partition groups ops by key, the parts in the order of their first
// calls.
func partition[I, O any](ops []*record[I, O], key func(I) string) []part[I, O] {
	if key == nil {
		return []part[I, O]{{ops: ops}}
	}
	index := make(map[string]int)
	var parts []part[I, O]
	for _, r := range ops {
		k := key(r.in)
		i, ok := index[k]
		if !ok {
			i = len(parts)
			index[k] = i
			parts = append(parts, part[I, O]{name: k})
		}
		r.part = i
		parts[i].ops = append(parts[i].ops, r)
	}
	return parts
}

// porcupine returns m as porcupine takes it, for operations whose input
// and output are both their *record, checked by the parts given, each
// part's steps within b (nil: no bound).
func (m Model[S, I, O]) porcupine(parts []part[I, O], b *bounds) porcupine.Model {
	pm := porcupine.Model{
		Init: func() any { return m.Init() },
		Step: func(state, in, _ any) (bool, any) {
			r := in.(*record[I, O])
			if !b.allow(r.part) {
				return false, state
			}
			return m.step(state.(S), r)
		},
		DescribeOperation: func(in, _ any) string { return m.describe(in.(*record[I, O])) },
		DescribeState:     func(state any) string { return m.describeState(state.(S)) },
	}
	if m.Equal != nil {
		pm.Equal = func(a, b any) bool { return m.Equal(a.(S), b.(S)) }
	}
	if len(parts) > 1 {
		// Check hands porcupine the parts one after another.
		pm.Partition = func(all []porcupine.Operation) [][]porcupine.Operation {
			out := make([][]porcupine.Operation, len(parts))
			for i, p := range parts {
				out[i], all = all[:len(p.ops):len(p.ops)], all[len(p.ops):]
			}
			return out
		}
	}
	return pm
}

// step steps r from state; an operation whose outcome is unknown may
// always take effect.
func (m Model[S, I, O]) step(state S, r *record[I, O]) (bool, S) {
	if r.end == unknown && m.StepUnknown != nil {
		return true, m.StepUnknown(state, r.in)
	}
	ok, next := m.Step(state, r.in, r.out)
	return ok || r.end == unknown, next
}

func (m Model[S, I, O]) describe(r *record[I, O]) string {
	if m.DescribeOperation != nil {
		return m.DescribeOperation(r.in, r.out)
	}
	if r.end == unknown {
		return fmt.Sprintf("%v -> ?", r.in)
	}
	return fmt.Sprintf("%v -> %v", r.in, r.out)
}

func (m Model[S, I, O]) describeState(state S) string {
	if m.DescribeState != nil {
		return m.DescribeState(state)
	}
	return fmt.Sprintf("%v", state)
}

// errTimeout is the cause of a check that timed out.
var errTimeout = context.DeadlineExceeded
