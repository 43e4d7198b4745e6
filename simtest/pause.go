package simtest

import (
	"context"
	"fmt"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
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
	c.pause("Pause", name, d, func(p *proc) func() {
		held := c.pauseNow(d, true, true, p)
		return func() { c.resumeAfter(d, held) }
	})
}

// PauseAfterClockRead is [Cluster.Pause], begun just after one of the
// process's tasks next reads its clock (Time.Now, and what reads it: a
// time-out's deadline, a program's clock) rather than wherever its tasks
// wait:
//
//	c.PauseAfterClockRead("lock-0", 3*time.Second)
//
// The read returns the time before the pause, and the task goes on with
// it after the pause, as a real pause can fall between any two
// instructions: a lease checked against that read and the write the check
// guards are split by the pause, with no wait between them. The timeline
// reads "pause: lock-0 paused for 3s, just after lock-0/client read its
// clock". If the process reads no clock within d, the pause begins then,
// wherever its tasks wait. Half of the pauses that [chaos.Attrition]
// draws for a process begin so.
func (c *Cluster) PauseAfterClockRead(name string, d time.Duration) {
	c.pause("PauseAfterClockRead", name, d, func(p *proc) func() { return c.armPause(d, p, false) })
}

// pause is Pause and PauseAfterClockRead: once the named process is up and
// not paused, it counts it against MaxDead and has begin pause it, then
// runs the end that begin returns in a task of the test's own.
func (c *Cluster) pause(op, name string, d time.Duration, begin func(*proc) (end func())) {
	call := fmt.Sprintf("Cluster.%s(%q, %v)", op, name, d)
	if d <= 0 || d > chaos.MaxDuration {
		c.s.configErrorf("simtest: %s: a pause lasts more than zero and at most chaos.MaxDuration (%v); give it a length in that range", call, chaos.MaxDuration)
	}
	p := c.get(name)
	for {
		if !c.upFor(op, call, p) {
			return
		}
		if !p.paused() {
			break
		}
		if !c.whenBack(op, p) {
			return
		}
	}
	c.dead++
	end := begin(p)
	// The pause ends in a task of the test's own: the caller may be paused
	// with it, or be crashed before d is over, and never end it. Waiting
	// for the task, a caller paused with the process runs again with it.
	h := c.s.w.GoUngrouped(c.s.ctx, "pause "+name, func(context.Context) error {
		end()
		return nil
	})
	_ = h.Join(c.s.w.Context())
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
	// armed is set while the pause waits for the process's next clock
	// read (pauseAtClockRead): the process runs on meanwhile, but is
	// counted and picked as paused.
	armed bool
	// drawn marks a pause that attrition drew: one still armed as
	// attrition ends is taken back (disarmDrawn).
	drawn bool
}

// pauseFor pauses ps, which are up, at once for d, and resumes each that
// did not go down meanwhile. counted: each counts against MaxDead for
// the pause, the caller having counted it already. Attrition alone
// calls it.
func (c *Cluster) pauseFor(d time.Duration, counted bool, ps ...*proc) {
	c.resumeAfter(d, c.pauseNow(d, counted, false, ps...))
}

// pauseNow pauses ps, which are up, for d, and returns the pauses for
// resumeAfter to end. hand: the test asked for it (Cluster.Pause), not
// attrition.
func (c *Cluster) pauseNow(d time.Duration, counted, hand bool, ps ...*proc) []*pauseHold {
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
		msg := fmt.Sprintf("pause: %s paused for %v", p.peer.Name, d)
		s.faultEvent(hand, msg, msg)
	}
	return held
}

// pauseAtClockRead is attrition's pause of p, which is up, for d, from
// just after one of its tasks next reads its clock, or from d on, wherever
// its tasks wait, if none reads one by then; it resumes p at the pause's
// end if it did not go down meanwhile. It counts against MaxDead from now
// to the pause's end, the caller having counted it.
func (c *Cluster) pauseAtClockRead(d time.Duration, p *proc) {
	c.armPause(d, p, true)()
}

// armPause is pauseAtClockRead up to the wait for a read: it arms p's
// pause, and returns the rest, which waits. drawn: attrition drew it
// (disarmDrawn).
func (c *Cluster) armPause(d time.Duration, p *proc, drawn bool) (wait func()) {
	s := c.s
	if p.down || p.leaving {
		c.dead-- // nothing to pause: the caller's count goes back, as in pauseNow
		return func() {}
	}
	h := &pauseHold{p: p, group: p.group, at: s.w.Now(), counted: true, armed: true, drawn: drawn}
	p.hold = h
	var resumer providers.Handle
	p.group.PauseAfterClockRead(func() {
		// On the reader's task, paused with its process: the pause's end
		// is a task of no process.
		h.armed, h.at = false, s.w.Now()
		msg := fmt.Sprintf("pause: %s paused for %v, just after %s read its clock", p.peer.Name, d, s.w.CurrentTask())
		s.faultEvent(!drawn, msg, msg)
		resumer = s.w.GoUngrouped(s.ctx, "resume "+p.peer.Name, func(context.Context) error {
			c.resumeAfter(d, []*pauseHold{h})
			return nil
		})
	})
	return func() {
		_ = s.p.Time.Sleep(s.w.Context(), d)
		switch {
		case resumer != nil:
			_ = resumer.Join(s.w.Context())
		case p.hold == h && h.armed:
			// No clock read in d: the pause begins now, its count the
			// arming's.
			p.group.Disarm()
			p.hold = nil
			c.resumeAfter(d, c.pauseNow(d, true, !drawn, p))
		}
		// Otherwise the process went down while armed, and its stop took
		// the arming and its count back (unpauseFor), or attrition ended
		// and took it back (disarmDrawn).
	}
}

// disarmDrawn takes back, as attrition ends, the pauses it drew that
// still wait for a clock read, and their counts against MaxDead: a fault
// drawn in the chaos phase does not begin in the quiesce. Those under way
// run to their ends, as a reboot under way does.
func (c *Cluster) disarmDrawn() {
	for _, p := range c.procs {
		if h := p.hold; h != nil && h.armed && h.drawn {
			p.group.Disarm()
			c.unhold(p)
		}
	}
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
	if p.hold.armed { // no clock read yet: nothing to resume
		p.group.Disarm()
		c.unhold(p)
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
