package history

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// An Error is what [Check] returns for a history that is not
// linearizable, or whose check did not finish within its [Timeout]. Its
// text is the explanation: its first line names the first operation that
// no order can place, and the lines after it, for each part of the
// history that fails, the longest order found, the state it leaves, and
// the operations that cannot follow it, each with its client, what it
// did, and its call and return times since the history began ("?": an
// unknown outcome).
type Error struct {
	ops, clients int
	start        time.Time
	timeout      time.Duration // a check that timed out
	at           int64         // the call of the operation the first line names
	first        string        // the first line's explanation
	detail       strings.Builder
}

// At returns the time of the call of the first operation the error
// names, on the history's clock: where a report of the run should look.
// It returns the zero time for a check that timed out.
//
// A simtest report looks there by itself, as it does for any error with
// a method At() time.Time: when the error is a seed's first failure
// (returned by a workload's Check, wrapped by S.Errorf's %w, or passed to
// S.Error or S.Fatal) and the history was made with S.Now, the report's
// timeline is around this time rather than around the check at the end
// of the seed, which the Run runs once more to show it.
func (e *Error) At() time.Time {
	if e.timeout > 0 {
		return time.Time{}
	}
	return e.start.Add(time.Duration(e.at))
}

func (e *Error) Error() string {
	if e.timeout > 0 {
		return fmt.Sprintf("the check of the history of %s by %s did not finish within its timeout of %v, so whether the history is linearizable is unknown: raise the Timeout, or split the model's state with Model.Partition",
			count(e.ops, "operation"), count(e.clients, "client"), e.timeout)
	}
	return fmt.Sprintf("the history of %s by %s is not linearizable: %s%s", count(e.ops, "operation"), count(e.clients, "client"), e.first, e.detail.String())
}

// Unwrap returns context.DeadlineExceeded for a check that timed out.
func (e *Error) Unwrap() error {
	if e.timeout > 0 {
		return errTimeout
	}
	return nil
}

// tailOps is how many operations of the longest order the error shows
// at least: the last ones, which made the state that the next cannot
// follow. It shows more to reach back to the last that returned before
// the first that cannot follow was called, which any order must place
// before it, up to maxTail in all.
const (
	tailOps = 3
	maxTail = 8
)

// failure is one part's explanation.
type failure[I, O any] struct {
	part    string
	n       int
	order   []*record[I, O] // the longest order found
	state   string
	stuck   *record[I, O] // the first operation left out of it to return
	cannot  []*record[I, O]
	cut     bool // an operation could follow the order: the search was cut off
	onePart bool
}

// explain fills e from the longest orders porcupine found in each part
// (partials: for each part, orders as indices into its operations): for
// each part that fails, the longest, and what cannot follow it.
func explain[S, I, O any](e *Error, m Model[S, I, O], parts []part[I, O], partials [][][]int) {
	var fails []failure[I, O]
	for p, pt := range parts {
		var longest []int
		if p < len(partials) {
			for _, l := range partials[p] {
				if len(l) > len(longest) || len(l) == len(longest) && slices.Compare(l, longest) < 0 {
					longest = l
				}
			}
		}
		if len(longest) == len(pt.ops) {
			continue // linearizable
		}
		f := failure[I, O]{part: pt.name, n: len(pt.ops), onePart: len(parts) == 1}
		in := make([]bool, len(pt.ops))
		state := m.Init()
		for _, id := range longest {
			in[id] = true
			f.order = append(f.order, pt.ops[id])
			_, state = m.step(state, pt.ops[id])
		}
		f.state = m.describeState(state)
		// Whatever comes next must be called before the first left out
		// returns.
		for id, r := range pt.ops {
			if !in[id] && (f.stuck == nil || r.ret < f.stuck.ret) {
				f.stuck = r
			}
		}
		for id, r := range pt.ops {
			if in[id] || r.call > f.stuck.ret {
				continue
			}
			ok, _ := m.step(state, r)
			if !ok || r == f.stuck {
				f.cannot = append(f.cannot, r)
			}
			f.cut = f.cut || ok
		}
		fails = append(fails, f)
	}
	// A part whose longest order could go on was cut off by the timeout,
	// not found to fail: another part failed.
	if proven := slices.DeleteFunc(slices.Clone(fails), func(f failure[I, O]) bool { return f.cut }); len(proven) > 0 {
		fails = proven
	}
	if len(fails) == 0 {
		// Porcupine found no failing part: it cannot say which.
		e.first = "the check found no order, and no part that fails"
		return
	}
	slices.SortStableFunc(fails, func(a, b failure[I, O]) int { return cmp.Compare(a.stuck.call, b.stuck.call) })
	f := fails[0]
	e.at = f.stuck.callAt
	where := ""
	if !f.onePart {
		where = fmt.Sprintf("in part %q, ", f.part)
	}
	e.first = fmt.Sprintf("%sno order of the operations before it can take client %d's %s (%s)", where, f.stuck.client, m.describe(f.stuck), span(f.stuck))
	if len(fails) > 1 {
		e.first += fmt.Sprintf("; %d parts fail", len(fails))
	}
	for _, f := range fails {
		tail := f.order[max(0, len(f.order)-tailOps):]
		for i := len(f.order) - 1; i >= 0; i-- {
			if f.order[i].ret < f.stuck.call {
				tail = f.order[min(i, len(f.order)-len(tail)):]
				break
			}
		}
		var elided int
		if len(tail) > maxTail {
			// The one that returned before, and the last ones.
			elided = len(tail) - maxTail
			tail = slices.Concat(tail[:1], tail[1+elided:])
		}
		ops := slices.Concat(tail, f.cannot)
		width, clientWidth := 0, 0
		for _, r := range ops {
			width = max(width, len(span(r)))
			clientWidth = max(clientWidth, len(strconv.Itoa(r.client)))
		}
		line := func(r *record[I, O]) {
			what := m.describe(r)
			if r.end == unknown {
				what += ", outcome unknown"
			}
			fmt.Fprintf(&e.detail, "\n      %-*s  client %-*d  %s", width, span(r), clientWidth, r.client, what)
		}
		fmt.Fprintf(&e.detail, "\n  ")
		if !f.onePart {
			fmt.Fprintf(&e.detail, "part %q: ", f.part)
		}
		switch {
		case len(f.order) == 0:
			fmt.Fprintf(&e.detail, "no order of its %d operations can even begin: from the initial state %s, none of these can come first:", f.n, f.state)
		default:
			fmt.Fprintf(&e.detail, "the longest order found takes %d of its %d operations, ending with", len(f.order), f.n)
			for i, r := range tail {
				line(r)
				if i == 0 && elided > 0 {
					fmt.Fprintf(&e.detail, "\n      ... %d more", elided)
				}
			}
			fmt.Fprintf(&e.detail, "\n    in state %s, which none of these can follow:", f.state)
		}
		for _, r := range f.cannot {
			line(r)
		}
	}
}

// span gives r's call and return times since the history began, "?" for
// an unknown outcome.
func span[I, O any](r *record[I, O]) string {
	return seconds(r.callAt) + "-" + seconds(r.retAt)
}

func seconds(ns int64) string {
	if ns == math.MaxInt64 {
		return "?"
	}
	return fmt.Sprintf("%.3fs", float64(ns)/1e9)
}

// count gives n things.
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
