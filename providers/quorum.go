package providers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Quorum makes every call at once, each in a task of its own started with
// t, and returns once k of them have succeeded: their results, in the
// order they succeeded. Once so many calls have failed that k can no
// longer succeed, it returns an error that wraps theirs, in the order they
// failed (errors.Is and errors.As see each; its message lists them on one
// line, apart by "; ", as a log line's attribute needs). If ctx is done
// first, it returns ctx's error. Either way it cancels the context of the
// calls still under way as it returns, and does not wait for them.
//
// In a simulation the calls' tasks are named for the task that calls
// Quorum, within its process: "reader/quorum call 0", "reader/quorum
// call 1", and so on, so that a timeline tells two tasks' quorums apart.
//
// It is FoundationDB's quorum: a write that a majority of replicas must
// take, a read of the first few of several answers. A message every peer
// must get (a heartbeat, a lease's renewal) is no quorum: the slower peers'
// calls are cancelled, and they never hear it; make each such call under
// context.WithoutCancel, or send it on a loop of its own. k must be between
// 1 and the number of calls; another k is a programmer error, and panics.
func Quorum[T any](ctx context.Context, t Task, k int, calls ...func(ctx context.Context) (T, error)) ([]T, error) {
	if k < 1 || k > len(calls) {
		panic(fmt.Sprintf("providers: Quorum of %d among %d calls; ask for between 1 and the number of calls", k, len(calls)))
	}
	ctx, cancel := withCancelCause(ctx, t)
	defer cancel(nil)
	type answer struct {
		v   T
		err error
	}
	answers := NewChan[answer](t, len(calls))
	// In a simulation, the calls are named after the task that makes
	// them, so that two tasks' quorums tell apart in a timeline.
	caller, sep := "", ""
	if n, ok := t.(ownNamer); ok {
		if caller = n.OwnTaskName(); caller != "" {
			sep = "/"
		}
	}
	for i, call := range calls {
		t.Go(ctx, caller+sep+"quorum call "+strconv.Itoa(i), func(ctx context.Context) error {
			v, err := call(ctx)
			answers.TrySend(answer{v, err}) // room for every call's answer
			return nil
		})
	}
	var got []T
	var errs []error
	for len(got) < k && len(errs) <= len(calls)-k {
		a, _, err := answers.Recv(ctx)
		switch {
		case err != nil:
			return nil, err
		case a.err != nil:
			errs = append(errs, a.err)
		default:
			got = append(got, a.v)
		}
	}
	if len(got) < k {
		return nil, fmt.Errorf("providers: a quorum of %d among %d calls is out of reach, %d of them failed: %w", k, len(calls), len(errs), failures(errs))
	}
	return got, nil
}

// ownNamer is a simulation's Task: OwnTaskName is the running task's
// name, without its process's prefix, which a task it starts gets again.
type ownNamer interface{ OwnTaskName() string }

// failures is the errors of a quorum's calls that failed.
type failures []error

func (f failures) Error() string {
	var b strings.Builder
	for i, err := range f {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(err.Error())
	}
	return b.String()
}

func (f failures) Unwrap() []error { return f }
