package simtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// ErrDown is the error [Cluster.Do] returns for a process that is down, or
// going down, when it is called.
var ErrDown = errors.New("the process is down")

// Do runs fn as a task of the named process, beside the process's own
// tasks, and returns what fn returns. fn is given the process's running
// instance: a test drives what the process holds through its Go API (an
// embedded store, a state machine), where a call from the workload's own
// task would put fn's disk and network operations on the workload's lane
// in the timeline and let them run on through the process's crash.
//
// fn's task, "NAME/do", is the process's: it pauses with the process and
// dies with it. A crash, wipe, power loss or kill of the process kills it
// where it stands, as it kills the process's other tasks (its defers
// act on nothing), and Do returns an error matching [ErrKilled]. A
// graceful stop, the process's or its unit's ([Cluster.RebootUnit], an
// outage), ends fn's context and gives fn what is left of the grace
// period once the process's Run has returned (at once for a Run that had
// returned nil before), as a server's shutdown lets its requests under
// way finish; fn still running when the grace runs out is killed with
// the process. fn that stops or reboots its own process, or a unit that
// holds it, ends with it, as the process exits; fn that reboots another
// is waited for as any other. A process that is down, or going down,
// runs nothing: Do returns an error matching [ErrDown] at once; one
// whose Run returned nil, its work done, is up, and runs fn. fn's
// context is a child of ctx: when ctx ends, Do returns its error at once
// and fn's context ends.
func (c *Cluster) Do(ctx context.Context, name string, fn func(ctx context.Context, inst Process) error) error {
	p := c.get(name)
	switch {
	case p.down:
		return fmt.Errorf("simtest: Cluster.Do(%q): %w (Cluster.Alive reports it; a Reboot returns once it is back)", name, ErrDown)
	case p.leaving:
		// Alive says up until the stop ends: the error must not send the
		// reader to it.
		return fmt.Errorf("simtest: Cluster.Do(%q): %w, or going down: a stop of it is under way, and Cluster.Alive reports it up until that stop ends (a Reboot returns once it is back)", name, ErrDown)
	}
	inst := p.inst
	h := p.group.Go(ctx, "do", func(ctx context.Context) error { return fn(ctx, inst) })
	p.calls = append(p.calls, h)
	err := h.Join(ctx)
	p.calls = slices.DeleteFunc(p.calls, func(x providers.Handle) bool { return x == h })
	if errors.Is(err, providers.ErrKilled) && ctx.Err() == nil {
		return fmt.Errorf("simtest: Cluster.Do(%q): %w while fn ran", name, ErrKilled)
	}
	return err
}

// endCalls ends the contexts of the calls of Cluster.Do running in p, as
// its graceful stop begins, by itself or with its unit's.
func (p *proc) endCalls() {
	for _, h := range p.calls {
		h.Cancel()
	}
}

// graceOver is the timeline's line for p, killed as its graceful stop's
// grace ran out: its Run had not returned, or a call of Cluster.Do had
// not, once it had.
func (p *proc) graceOver(grace time.Duration) string {
	what := p.peer.Name + " did not stop"
	if p.runReturned {
		what = p.peer.Name + "'s Cluster.Do did not return"
	}
	return fmt.Sprintf("grace over: %s within %v; killed", what, grace)
}
