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
	"maps"
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
	mu  sync.Mutex
	ops []porcupine.Operation
	// The operations' inputs and outputs, which ops holds pointers to:
	// filled a chunk at a time, so that recording an operation does not
	// allocate for each.
	inputs  []input
	outputs []output
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
// holds pointers to its input and output (History.add).
type (
	input struct {
		put        bool
		key, value string
	}
	output struct {
		value   string
		found   bool
		unknown bool // a put that may or may not have happened
	}
)

func (h *History) since() int64 { return int64(h.now().Sub(h.start)) }

// opChunk is how many inputs and outputs are allocated at once.
const opChunk = 64

// add records the operation of client id with input in and output out.
func (h *History) add(id int, in input, call int64, out output, ret int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.inputs) == cap(h.inputs) {
		h.inputs = make([]input, 0, opChunk)
		h.outputs = make([]output, 0, opChunk)
	}
	h.inputs = append(h.inputs, in)
	h.outputs = append(h.outputs, out)
	h.ops = append(h.ops, porcupine.Operation{
		ClientId: id, Input: &h.inputs[len(h.inputs)-1], Call: call,
		Output: &h.outputs[len(h.outputs)-1], Return: ret,
	})
}

// Len returns how many operations the history holds.
func (h *History) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ops)
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
	all := slices.Clone(h.ops)
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
	for _, ops := range model().Partition(all) {
		if porcupine.CheckOperations(porcupine.Model{Init: model().Init, Step: model().Step}, ops) {
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

// model is a map of keys to values, checked one key at a time.
func model() porcupine.Model {
	return porcupine.Model{
		Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
			// Counted first, so that each key's operations are one
			// allocation.
			count := map[string]int{}
			for _, op := range h {
				count[op.Input.(*input).key]++
			}
			keys := slices.Sorted(maps.Keys(count))
			index := make(map[string]int, len(keys))
			out := make([][]porcupine.Operation, len(keys))
			for i, k := range keys {
				index[k] = i
				out[i] = make([]porcupine.Operation, 0, count[k])
			}
			for _, op := range h {
				i := index[op.Input.(*input).key]
				out[i] = append(out[i], op)
			}
			return out
		},
		// The state of one key: its value, if any.
		Init: func() any { return output{} },
		Step: func(state, in, out any) (bool, any) {
			s, i := state.(output), in.(*input)
			if i.put {
				return true, output{value: i.value, found: true}
			}
			o := out.(*output)
			return o.found == s.found && o.value == s.value, s
		},
		DescribeOperation: opString,
	}
}
