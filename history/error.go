package history

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/internal/plural"
)

// An Error is what [Check] returns for a history that is not
// linearizable, or whose check could not finish within its [MaxSteps] or
// its [Timeout] (see [Error.Inconclusive]). Its text is the explanation: its
// first line names the first operation that no order can place, and the
// lines after it, for each part of the history that fails, the longest
// order found, the state it leaves, and the operations that cannot
// follow it, each with its client, what it did, and its call and return
// times since the history began ("?": an unknown outcome); then the
// parts that went unchecked, if any.
type Error struct {
	ops, clients int
	start        time.Time
	checked      time.Time // the history's clock when the check began
	timeout      time.Duration
	maxSteps     int
	unknown      bool     // no part failed, and some went unchecked
	timedOut     bool     // the Timeout cut some part's search
	cut          []string // what went unchecked, for the message of an unknown outcome
	unknownOps   int      // the operations of unknown outcome it checked
	dropped      int      // the operations dropped (Call.Drop), which it left out
	leaveOut     bool     // LeaveOutUnread was given
	leftOut      int      // the unknown writes LeaveOutUnread left out
	blamed       int      // the dropped operations that, had they taken effect, pass the failing part (blameDrop)
	blame        string   // the one, when one alone does
	blamePart    string   // the failing part they are of, when others fail or went unchecked
	at           int64    // the call of the operation the first line names
	first        string   // the first line's explanation
	detail       strings.Builder
}

// At returns the time of the call of the first operation the error
// names, on the history's clock (the one [New] was given): where a report
// of the run should look. It returns the zero time for a check that
// could not finish.
//
// A simtest report looks there by itself, as it does for any error with
// a method At() time.Time: when the error is a seed's first failure
// (returned by a workload's Check, wrapped by S.Errorf's %w, or passed to
// S.Error or S.Fatal), the report's timeline is around this time rather
// than around the check at the end of the seed, which the Run runs once
// more to show it. As the error also has [Error.CheckedAt], the report
// places the time by how long before the check it came, so a history on
// a host's clock, skewed from the seed's, is placed right too.
func (e *Error) At() time.Time {
	if e.unknown {
		return time.Time{}
	}
	return e.start.Add(time.Duration(e.at))
}

// CheckedAt returns the time on the history's clock when [Check] began:
// with [Error.At], on the same clock, it tells how long before the check
// the first operation the error names was called, whatever that clock's
// offset from another's.
func (e *Error) CheckedAt() time.Time { return e.checked }

// Inconclusive reports whether the check could not tell whether the
// history is linearizable: it found no part that fails, and left a part
// unchecked, its search cut short by [MaxSteps] or [Timeout].
func (e *Error) Inconclusive() bool { return e.unknown }

// TimedOut reports whether the check's [Timeout] cut the search of a
// part, in real time: then the machine's speed decided what the error
// says (an unknown outcome, or which parts went unchecked besides those
// that fail), and another run of the same history, a replay of the seed
// or the second run of -simcheck, may end otherwise.
func (e *Error) TimedOut() bool { return e.timedOut }

// machineWords is what an error says of an outcome the Timeout decided.
const machineWords = "this outcome depends on the machine's speed, so a replay or -simcheck may differ; MaxSteps bounds the search the same way on every machine"

func (e *Error) Error() string {
	if e.unknown {
		what := plural.Count(e.ops, "operation") + " by " + plural.Count(e.clients, "client")
		if e.timedOut {
			also := ""
			if len(e.cut) > 0 {
				also = "; besides, " + strings.Join(e.cut, "; ")
			}
			raise := "the Timeout"
			if e.maxSteps > 0 && len(e.cut) > 0 {
				raise = "MaxSteps and the Timeout"
			}
			return fmt.Sprintf("the check of the history of %s did not finish within its timeout of %v, so whether the history is linearizable is unknown: raise %s, or split the model's state with Model.Partition%s%s; %s",
				what, e.timeout, raise, e.unknownAdvice(), also, machineWords)
		}
		return fmt.Sprintf("the check of the history of %s did not finish: %s, so whether the history is linearizable is unknown: raise MaxSteps, or split the model's state with Model.Partition%s",
			what, strings.Join(e.cut, "; "), e.unknownAdvice())
	}
	dropped := ""
	if e.dropped > 0 {
		// A drop says the operation changed nothing: where it did, a
		// read of what it wrote is what no order can place.
		dropped = fmt.Sprintf(" (and %d dropped, left out as having changed nothing)", e.dropped)
		if e.blamed > 0 {
			dropped = fmt.Sprintf(" (and %d dropped, left out as having changed nothing, which the last line doubts)", e.dropped)
		}
	}
	if e.leftOut > 0 {
		// A model in which a write shows other than through reads of
		// its value fails here where it should not: say what went.
		dropped += fmt.Sprintf(" (and %d of unknown outcome left out by LeaveOutUnread, as no read returned what they wrote)", e.leftOut)
	}
	return fmt.Sprintf("the history of %s by %s%s is not linearizable: %s%s%s", plural.Count(e.ops, "operation"), plural.Count(e.clients, "client"), dropped, e.first, e.detail.String(), e.blameLine())
}

// blameLine says which dropped operation would, had it taken effect, make
// the failing part linearizable, and so the history when no other part
// fails or went unchecked; "" when none would.
func (e *Error) blameLine() string {
	const fix = "Drop says a call changed nothing: end one whose error cannot tell (a timeout, a lost connection, a refusal of a request that was sent again) with Unknown, and Drop only what never left (rpc.ErrNotSent) or what your protocol proves had no effect"
	its, what, failure := "its", "the history", "the failure"
	if e.blamePart != "" {
		// Other parts fail or went unchecked, which a drop of this part
		// cannot mend: only this part would pass.
		its, what = fmt.Sprintf("part %q's", e.blamePart), fmt.Sprintf("part %q", e.blamePart)
		failure = "that part's failure (not the other parts')"
	}
	switch {
	case e.blamed == 0:
		return ""
	case e.blame != "":
		return fmt.Sprintf("\n  had the dropped %s taken effect, %s would be linearizable, so %s may be the recording's: %s", e.blame, what, failure, fix)
	}
	return fmt.Sprintf("\n  had %s %d dropped operations taken effect, %s would be linearizable (no one of those tried alone makes it so), so %s may be the recording's: %s", its, e.blamed, what, failure, fix)
}

// unknownAdvice names, for a check that did not finish, the operations of
// unknown outcome it searched, which are what blow a search up, and
// LeaveOutUnread; "" for a history with none.
func (e *Error) unknownAdvice() string {
	if e.unknownOps == 0 {
		return ""
	}
	takes := "take the search to every place after their calls"
	if e.unknownOps == 1 {
		takes = "takes the search to every place after its call"
	}
	if e.leaveOut {
		// Those left are ones a read saw, or not writes: the advice
		// to leave out what is already left out would help nothing.
		return fmt.Sprintf("; its %s of unknown outcome that LeaveOutUnread kept, as a read returned what they wrote or they wrote nothing, %s",
			plural.Count(e.unknownOps, "operation"), takes)
	}
	return fmt.Sprintf(", or leave out the writes of unknown outcome that no read saw (LeaveOutUnread): its %s of unknown outcome %s",
		plural.Count(e.unknownOps, "operation"), takes)
}

// Unwrap returns context.DeadlineExceeded for a check whose Timeout left
// the outcome unknown.
func (e *Error) Unwrap() error {
	if e.unknown && e.timedOut {
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
	part   string
	index  int // of the part, among the check's
	n      int
	order  []*record[I, O] // the longest order found
	state  string
	stuck  *record[I, O] // the first operation left out of it to return
	cannot []*record[I, O]
	// judged is an operation whose outcome is unknown that Step, given
	// the zero output, refused in judgedIn, a state of the order: Step
	// judges by the output, and the model has no StepUnknown.
	judged   *record[I, O]
	judgedIn string
	onePart  bool
}

// explain fills e from the longest orders porcupine found in each part
// (partials: for each part, orders as indices into its operations) and
// what cut each part's search (cut; nil when none was): for each part
// that fails, the longest, and what cannot follow it; then the parts
// that went unchecked. It returns the index of the part whose failure the
// first line names and the operation it names, or -1 and nil when it
// names none, and whether that part is the only one that failed or went
// unchecked: whether the history would pass if that part did.
func explain[S, I, O any](e *Error, m Model[S, I, O], parts []part[I, O], partials [][][]int, cut []cutBy) (first int, stuck *record[I, O], alone bool) {
	var fails []failure[I, O]
	var stepCut, timeCut []string
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
		if p < len(cut) && cut[p] != notCut {
			// Not found to fail: its search was cut short.
			if cut[p] == byTime {
				timeCut = append(timeCut, pt.name)
			} else {
				stepCut = append(stepCut, pt.name)
			}
			continue
		}
		f := failure[I, O]{part: pt.name, index: p, n: len(pt.ops), onePart: len(parts) == 1}
		in := make([]bool, len(pt.ops))
		state := m.Init()
		states := []S{state}
		for _, id := range longest {
			in[id] = true
			f.order = append(f.order, pt.ops[id])
			_, state = m.step(state, pt.ops[id])
			states = append(states, state)
		}
		f.state = m.describeState(state)
		if m.StepUnknown == nil {
			f.judged, f.judgedIn = judgedUnknown(m, pt.ops, states)
		}
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
		}
		fails = append(fails, f)
	}
	e.timedOut = len(timeCut) > 0
	onePart := len(parts) == 1
	if len(fails) == 0 && (len(timeCut) > 0 || len(stepCut) > 0) {
		e.unknown = true
		if len(stepCut) > 0 {
			what := "the search took more than its"
			switch {
			case len(stepCut) > 1:
				what = "the searches of " + partNames(stepCut) + " each took more than their"
			case !onePart:
				what = "the search of " + partNames(stepCut) + " took more than its"
			}
			e.cut = append(e.cut, fmt.Sprintf("%s %s (MaxSteps)", what, plural.Count(e.maxSteps, "step")))
		}
		return -1, nil, false
	}
	if len(fails) == 0 {
		// Porcupine found no failing part: it cannot say which.
		e.first = "the check found no order, and no part that fails"
		return -1, nil, false
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
	if len(stepCut) > 0 {
		search := "its search"
		if len(stepCut) > 1 {
			search = "the search of each"
		}
		fmt.Fprintf(&e.detail, "\n  %s unchecked: %s took more than its %s (MaxSteps), so whether %s linearizable is unknown",
			wentUnchecked(stepCut), search, plural.Count(e.maxSteps, "step"), itOrThey(stepCut))
	}
	if len(timeCut) > 0 {
		fmt.Fprintf(&e.detail, "\n  %s unchecked: the check's timeout of %v cut the search, so whether %s linearizable is unknown; which parts it cuts depends on the machine's speed, so a replay or -simcheck may differ; MaxSteps bounds the search the same way on every machine",
			wentUnchecked(timeCut), e.timeout, itOrThey(timeCut))
	}
	if i := slices.IndexFunc(fails, func(f failure[I, O]) bool { return f.judged != nil }); i >= 0 {
		f := fails[i]
		fmt.Fprintf(&e.detail, "\n  the model has no StepUnknown, so Step took each operation whose outcome is unknown with the zero output, and it judged that output: "+
			"it refused client %d's %s (%s) in state %s. A Step that judges by the output, as a compare-and-swap by whether it succeeded, "+
			"takes such an operation as one that failed and changed nothing, and may find a history that is fine not linearizable; "+
			"if that operation changes the state, give the model a StepUnknown, the state the operation leaves if it took effect, from its input alone "+
			"(if it is a read, Step's refusal did no harm: a read whose outcome is unknown tells nothing, and Drop records it so)",
			f.judged.client, m.describe(f.judged), span(f.judged), f.judgedIn)
	}
	return fails[0].index, fails[0].stuck, len(fails) == 1 && len(stepCut) == 0 && len(timeCut) == 0
}

// judgedUnknown finds an operation of ops whose outcome is unknown that
// m.Step, given the zero output, refuses in one of states: the first,
// and the state it refuses it in.
func judgedUnknown[S, I, O any](m Model[S, I, O], ops []*record[I, O], states []S) (*record[I, O], string) {
	var zero O
	for _, r := range ops {
		if r.end != unknown {
			continue
		}
		for _, st := range states {
			if ok, _ := m.Step(st, r.in, zero); !ok {
				return r, m.describeState(st)
			}
		}
	}
	return nil, ""
}

// partNames names the parts given: "part \"k1\"", or "parts \"k1\" and
// \"k2\"".
func partNames(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	if len(quoted) == 1 {
		return "part " + quoted[0]
	}
	return "parts " + strings.Join(quoted[:len(quoted)-1], ", ") + " and " + quoted[len(quoted)-1]
}

// wentUnchecked says that the parts named went unchecked.
func wentUnchecked(names []string) string {
	if len(names) == 1 {
		return partNames(names) + " went"
	}
	return fmt.Sprintf("%d other parts went (%s)", len(names), strings.TrimPrefix(partNames(names), "parts "))
}

func itOrThey(names []string) string {
	if len(names) == 1 {
		return "it is"
	}
	return "they are"
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
