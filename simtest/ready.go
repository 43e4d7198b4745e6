package simtest

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// SetReady records whether the process the view was made for is ready to
// serve (see [providers.Readiness]). While a process is up and not ready,
// attrition counts it as down against MaxDead, and does not pick it. A
// change is recorded in the timeline. A view of an instance that has
// since been restarted records nothing.
func (v clusterView) SetReady(ready bool, why string) {
	c := v.c
	s := c.s
	s.w.Enter("providers.SetReady")
	p := v.proc
	if p == nil {
		s.Fatalf("simtest: providers.SetReady or SetNotReady was called with the test driver's Cluster; readiness is a process's: call it with the providers the process's Run was given")
	}
	if p.boots != v.boots || p.down || p.leaving || p.ready == ready && (ready || p.notReadyWhy == why) {
		return
	}
	if ready {
		p.ready, p.notReadyWhy = true, ""
		s.w.Event(p.peer.Name, "ready")
		return
	}
	if p.ready {
		p.notReadySince = s.w.Now()
	}
	p.ready, p.notReadyWhy = false, why
	s.w.Event(p.peer.Name, fmt.Sprintf("not ready: %s", why))
}

// Ready reports whether the process the view was made for is ready; the
// test driver always is.
func (v clusterView) Ready() (bool, string) {
	if p := v.proc; p != nil && p.boots == v.boots {
		return p.ready, p.notReadyWhy
	}
	return true, ""
}

// Ready reports whether the named process is up and ready to serve, and
// why not when it is up and says it is not ready.
func (c *Cluster) Ready(name string) (ready bool, why string) {
	p := c.get(name)
	switch {
	case p.down || p.leaving:
		return false, "down"
	case !p.ready:
		return false, p.notReadyWhy
	}
	return true, ""
}

// notReady counts the processes that are up and say they are not ready.
func (c *Cluster) notReady() int {
	n := 0
	for _, p := range c.procs {
		if !p.down && !p.leaving && !p.ready {
			n++
		}
	}
	return n
}

// checkReady fails the seed for every process that is up and has stayed
// not ready through the quiet of the settle phase: attrition counted it
// as down all along, and a flag that is never set back is a mistake.
// When every process of its group is stuck so, they are likely waiting on
// each other, which neither SetReady nor a longer settle mends: the
// failure says so.
func (c *Cluster) checkReady(settle time.Duration) {
	s := c.s
	for _, p := range c.procs {
		if p.down || p.leaving || p.ready {
			continue
		}
		if n := c.groupNotReady(p.spec); n > 1 {
			s.failAt(s.procSite(p, p.inst), fmt.Sprintf("process %s said it was not ready (%s) at %v and was still not ready after %v of quiet settling, "+
				"as were all %d processes of %s at once: each may be waiting on another to be ready, which no settling ends. "+
				"Let one of them serve without the others being ready (the one with the newest state, or once a majority answers), then call providers.SetReady(p.Cluster)",
				p.peer.Name, p.notReadyWhy, p.notReadySince, settle, n, p.spec.Name), nil)
			continue
		}
		s.failAt(s.procSite(p, p.inst), fmt.Sprintf("process %s said it was not ready (%s) at %v and was still not ready after %v of quiet settling; "+
			"while it is not ready, attrition counts it as down. Call providers.SetReady(p.Cluster) once it serves again, or lengthen Phases.Settle if it needs longer to catch up",
			p.peer.Name, p.notReadyWhy, p.notReadySince, settle), nil)
	}
}

// groupNotReady is the size of the group declared by spec when every one
// of its processes is up and not ready, 0 otherwise.
func (c *Cluster) groupNotReady(spec *Processes) int {
	n := 0
	for _, q := range c.procs {
		if q.spec != spec {
			continue
		}
		if q.down || q.leaving || q.ready {
			return 0
		}
		n++
	}
	return n
}

// readyPoll is how often WaitReady looks again, in simulated time.
const readyPoll = 10 * time.Millisecond

// WaitReady waits until every named process, or every process of the
// cluster when none is named, is up and ready at once ([Cluster.Ready]),
// or ctx ends, whose error it then returns. It looks every 10ms of
// simulated time, and takes a process that booted at the instant it
// looks for not yet ready: a boot starts ready, and its Run has not yet
// had its turn to say otherwise ([providers.SetNotReady] at the start of
// Run). A process taken down by [Cluster.Stop] is waited for until its
// [Cluster.Start]; one paused (by [Cluster.Pause] or attrition, armed for
// a clock read too) until it resumes, and one whose crash attrition aims
// at its next unsynced write until that crash has come and gone, as
// attrition counts each down against MaxDead meanwhile.
//
// A step of a rolling upgrade or restart waits here before it takes the
// next process down, as a rollout that keeps at most one process
// unavailable waits on readiness: [Cluster.Reboot] waits only for its own
// process, so a reboot while attrition has another down, or while the
// last one rebooted still catches up, takes two down at once.
func (c *Cluster) WaitReady(ctx context.Context, names ...string) error {
	procs := c.procs
	if len(names) > 0 {
		procs = make([]*proc, len(names))
		for i, name := range names {
			procs[i] = c.get(name)
		}
	}
	for {
		up, now := 0, c.s.w.Now()
		for _, p := range procs {
			if !p.unavailable() && !p.aimed && p.bootedAt < now {
				up++
			}
		}
		if up == len(procs) {
			return nil
		}
		if err := c.s.p.Time.Sleep(ctx, readyPoll); err != nil {
			return err
		}
	}
}

// releasesNow says what release each process of a group with Releases
// runs, with the down ones marked: "kv-0 v1, kv-1 v2 (down)"; "" for a
// cluster without Releases. A process down or going down is marked with
// the release it boots into next.
func (c *Cluster) releasesNow() string {
	var out []string
	for _, p := range c.procs {
		if len(p.spec.Releases) == 0 {
			continue
		}
		e := p.peer.Name + " " + p.release
		if p.down || p.leaving {
			e += " (down)"
		}
		out = append(out, e)
	}
	return strings.Join(out, ", ")
}
