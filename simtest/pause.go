package simtest

import (
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
// counts as down against [chaos.Attrition].MaxDead while it is paused.
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
		if !p.paused {
			break
		}
		if !c.whenBack("Pause", p) {
			return
		}
	}
	c.dead++
	c.pauseFor(d, p)
	c.dead--
}

// pauseFor pauses ps, which are up, at once for d, and resumes each that
// did not go down meanwhile.
func (c *Cluster) pauseFor(d time.Duration, ps ...*proc) {
	s := c.s
	groups := make([]*sim.Group, len(ps))
	for i, p := range ps {
		groups[i] = p.group
		p.paused, p.pausedAt = true, s.w.Now()
		p.group.Pause()
		s.w.Event("", fmt.Sprintf("pause: %s paused for %v", p.peer.Name, d))
	}
	_ = s.p.Time.Sleep(s.w.Context(), d)
	for i, p := range ps {
		if p.group == groups[i] && p.paused {
			c.resume(p, "")
		}
	}
}

// resume lets paused p run again; why, if not empty, tells why it
// resumes early.
func (c *Cluster) resume(p *proc, why string) {
	s := c.s
	p.paused = false
	p.group.Resume()
	s.w.Event("", fmt.Sprintf("resume: %s resumed after %v%s", p.peer.Name, s.w.Now()-p.pausedAt, why))
	if p.back != nil { // a Pause waits for it
		p.back.Close()
		p.back = nil
	}
}

// unpauseFor ends p's pause, if it is paused, as it goes down how: a
// graceful stop resumes it, so that it can hear it is asked to stop; any
// other way kills it as it stands, its group's pause ending with it.
func (c *Cluster) unpauseFor(p *proc, how Reboot) {
	if !p.paused {
		return
	}
	if how == Graceful {
		c.resume(p, ", for a graceful stop (SIGCONT after SIGTERM)")
		return
	}
	p.paused = false
}
