package simtest

import (
	"context"
	"fmt"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
)

// Pause stops the named process for d, as SIGSTOP and SIGCONT, a long
// garbage collection or a VM's live migration stop one, and returns when
// it runs again:
//
//	c.Pause("lock-0", 3*time.Second)
//
// While it is paused none of its tasks runs, but the world goes on: its
// host's clock keeps time, its sleeps' ends pass, data for it lands in its
// sockets' buffers and its peers' connects are accepted by its host, as a
// kernel does for a stopped process. When it resumes, every task woken
// meanwhile is ready at once, and runs from where it stood: a lease it
// checked before the pause may have run out long since. The timeline
// tells both ends, "pause: lock-0 paused for 3s" and "resume: lock-0
// resumed after 3s".
//
// A paused process can be crashed, killed, wiped or lose power, as
// SIGKILL ends a stopped process: it dies as it stands, and the pause
// ends with it. A graceful stop resumes it first, as a service manager
// sends SIGCONT after SIGTERM (a stopped process would never see the
// SIGTERM otherwise), and its grace period starts then. The process
// counts as down against [chaos.Attrition].MaxDead while it is paused,
// and once only when a stop ends the pause early.
//
// A process may pause a peer, or itself, through [ClusterOf]. The pause
// ends after d whatever becomes of the caller: a process that pauses
// itself returns from Pause when it runs again, and a pause whose caller
// is crashed before d still ends at d.
//
// A process down or going down is waited for, as by [Cluster.Reboot],
// and so is one paused already, by attrition or another task: Pause
// pauses it once it runs again. d is positive and at most
// [chaos.MaxDuration]; anything else is a configuration error.
func (c *Cluster) Pause(name string, d time.Duration) {
	call := fmt.Sprintf("Cluster.Pause(%q, %v)", name, d)
	if d <= 0 || d > chaos.MaxDuration {
		c.s.configErrorf("simtest: %s: a pause lasts more than zero and at most chaos.MaxDuration (%v); give it a length in that range", call, chaos.MaxDuration)
	}
	p := c.get(name)
	for {
		if !c.upFor("Pause", call, p) {
			return
		}
		if !p.paused() {
			break
		}
		if !c.whenBack("Pause", p) {
			return
		}
	}
	c.dead++
	s := c.s
	held := c.pauseNow(d, true, p)
	// The pause ends in a task of the test's own: the caller may be paused
	// with it, or be crashed before d is over, and never end it. Waiting
	// for the task, a caller paused with the process runs again with it.
	h := s.w.GoUngrouped(s.ctx, "pause "+name, func(context.Context) error {
		c.resumeAfter(d, held)
		return nil
	})
	_ = h.Join(s.w.Context())
}

// A pauseHold is one pause of one process.
type pauseHold struct {
	p     *proc
	group *sim.Group    // the instance paused
	at    time.Duration // when it began
	// counted is set while the pause counts the process as down against
	// MaxDead (Cluster.dead): a Pause's or process attrition's does, until
	// it ends, early or at its end.
	counted bool
}

// pauseFor pauses ps, which are up, at once for d, and resumes each that
// did not go down meanwhile. counted: each counts against MaxDead for
// the pause, the caller having counted it already.
func (c *Cluster) pauseFor(d time.Duration, counted bool, ps ...*proc) {
	c.resumeAfter(d, c.pauseNow(d, counted, ps...))
}

// pauseNow pauses ps, which are up, for d, and returns the pauses for
// resumeAfter to end.
func (c *Cluster) pauseNow(d time.Duration, counted bool, ps ...*proc) []*pauseHold {
	s := c.s
	held := make([]*pauseHold, len(ps))
	for i, p := range ps {
		held[i] = &pauseHold{p: p, group: p.group, at: s.w.Now(), counted: counted}
		if p.down || p.leaving {
			// It went down at the instant the pause was drawn, before
			// the pause began: nothing is left to pause, and a mark
			// would outlive the process into its next boot.
			c.uncount(held[i])
			continue
		}
		p.hold = held[i]
		p.group.Pause()
		s.w.Event("", fmt.Sprintf("pause: %s paused for %v", p.peer.Name, d))
	}
	return held
}

// resumeAfter ends, d from now, the pauses held that did not end
// meanwhile, and gives back their counts against MaxDead.
func (c *Cluster) resumeAfter(d time.Duration, held []*pauseHold) {
	s := c.s
	_ = s.p.Time.Sleep(s.w.Context(), d)
	for _, h := range held {
		if p := h.p; p.hold == h && p.group == h.group {
			c.resume(p, "")
		}
	}
	for _, h := range held {
		c.uncount(h)
	}
}

// uncount gives back pause h's count against MaxDead, if it holds one.
func (c *Cluster) uncount(h *pauseHold) {
	if h.counted {
		h.counted = false
		c.dead--
	}
}

// resume lets paused p run again; why, if not empty, tells why it
// resumes early.
func (c *Cluster) resume(p *proc, why string) {
	s := c.s
	at := p.hold.at
	c.unhold(p)
	p.group.Resume()
	s.w.Event("", fmt.Sprintf("resume: %s resumed after %v%s", p.peer.Name, s.w.Now()-at, why))
	if p.back != nil { // a Pause waits for it
		p.back.Close()
		p.back = nil
	}
}

// unpauseFor ends p's pause, if it is paused, as it goes down how: a
// graceful stop resumes it, so that it can hear it is asked to stop; any
// other way kills it as it stands, its group's pause ending with it.
func (c *Cluster) unpauseFor(p *proc, how Reboot) {
	if !p.paused() {
		return
	}
	if how == Graceful {
		c.resume(p, ", for a graceful stop (SIGCONT after SIGTERM)")
		return
	}
	c.unhold(p)
}

// paused reports whether a pause holds p.
func (p *proc) paused() bool { return p.hold != nil }

// unhold ends p's pause hold, as its pause ends: it no longer counts as
// down for the pause, which would otherwise count it to d's end, on top
// of the stop that ends the pause early.
func (c *Cluster) unhold(p *proc) {
	if p.hold != nil {
		c.uncount(p.hold)
		p.hold = nil
	}
}
