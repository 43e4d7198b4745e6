package simtest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/simdisk"
	"github.com/moonpool-go/moonpool/providers"
)

// The supervisor that restarts a process whose Run returned an error
// wrapping [providers.ErrRestart] acts as systemd's Restart=on-failure with
// its default settings.
const (
	// RestartDelay is how long a process that asked to be restarted stays
	// down before it boots again (systemd's RestartSec).
	RestartDelay = 100 * time.Millisecond
	// RestartBurst is how many restarts a process may ask for within
	// RestartInterval of simulated time; one more fails the seed, and the
	// process stays down (systemd's StartLimitBurst and
	// StartLimitIntervalSec).
	RestartBurst    = 5
	RestartInterval = 10 * time.Second
)

// restart takes down a process whose Run returned err, which wraps
// [providers.ErrRestart], as a crash, and boots it again after
// [RestartDelay]. It runs in the process's main task, as Run returns: the
// process's other tasks stop at that instant, as a process's goroutines do
// when it exits, and the main task unwinds.
func (c *Cluster) restart(p *proc, inst Process, err error) {
	s := c.s
	name := p.peer.Name
	now := s.w.Now()
	s.w.Event("", fmt.Sprintf("restart: %s asked to be restarted: %v", name, err))
	p.restarts = slices.DeleteFunc(p.restarts, func(r restartAsked) bool { return now-r.at >= RestartInterval })
	asked := restartAsked{at: now, afterFailure: failedOps(s.diskSet().Disk(p.diskAddr()).Stats()) > p.diskFailures}
	if c := s.diskCalls[p.diskAddr()]; c.n > p.diskCalls {
		asked.afterTest = c.last
	}
	p.restarts = append(p.restarts, asked)
	loops := len(p.restarts) > RestartBurst
	if loops {
		s.failOf(s.procSite(p, inst), restartLimitMessage(name, p.restarts, err), err, false)
	}
	c.dead++
	p.leaving, p.taker = true, byRestart
	if loops {
		p.taker = byRestartLimit
	}
	c.devicesDown(p, Crash)
	p.down = true
	p.boot = providers.AfterCrash
	p.ready, p.notReadyWhy = true, ""
	s.w.Event("", fmt.Sprintf("down: %s (%v)", name, Crash))
	if !loops {
		c.restarting++
		boots := p.boots
		s.w.After(RestartDelay, func() {
			c.restarting--
			if p.boots != boots || !p.down {
				return // started again by the test meanwhile
			}
			c.dead--
			c.start(p, p.boot)
		})
	}
	p.group.Crash() // the others now; this task last, which ends here
}

// A restartAsked is a restart a process asked for: when, whether its
// disk had failed an operation since it booted, and the test's call that
// closed its disk's files since then ("Disk.Crash"), if any.
type restartAsked struct {
	at           time.Duration
	afterFailure bool
	afterTest    string
}

// restartLimitMessage says why a process that asked for the restarts
// within RestartInterval stays down, the last time for err. It fails on
// every boot, unless each restart came after a fault its disk returned to
// it as an error, or after the test's own call that closed its disk's
// files (Disk.Crash): then those came faster than a restart apiece can
// take them. A program (err wraps its exit: programExit) is told in its
// own terms: it cannot return providers.ErrRestart or retry in a Run.
func restartLimitMessage(name string, restarts []restartAsked, err error) string {
	n, after, byTest := len(restarts), 0, 0
	var calls []string // the test's calls blamed, in the order first met
	for _, r := range restarts {
		switch {
		case r.afterTest != "":
			byTest++
			if !slices.Contains(calls, r.afterTest) {
				calls = append(calls, r.afterTest)
			}
		case r.afterFailure:
			after++
		}
	}
	testCall := "the test's " + strings.Join(calls, " or ") + " of its disk"
	program := programExit(err)
	last := fmt.Sprintf("%q", err.Error())
	if program {
		// Its standard error's end, on one line: the last line, where
		// log.Fatal's message is, or a panic's.
		last = fmt.Sprintf("%q", failureLine(err.Error()))
	}
	head := fmt.Sprintf("process %s asked to be restarted %d times within %v, the last time with %s", name, n, RestartInterval, last)
	if byTest > 0 && after+byTest == n {
		why := "; each came after " + testCall
		if after > 0 {
			why = fmt.Sprintf("; %d of them came after %s, the others after its disk failed an operation", byTest, testCall)
		}
		return head + why + ", faster than a restart apiece can take them, so it stays down, as systemd's start limit leaves it. " +
			fmt.Sprintf("Close its files no more than %d times within %v, ", RestartBurst, RestartInterval) +
			"or for a power loss of the process with its disk use Cluster.Reboot(name, simtest.PowerLoss), which boots it again with no restart asked for"
	}
	if after+byTest < n {
		note := ""
		switch {
		case byTest > 0:
			note = fmt.Sprintf(" (%d of the %d came after %s, %d after its disk failed an operation, the others after neither)", byTest, n, testCall, after)
		case after > 0:
			note = fmt.Sprintf(" (%d of the %d came after its disk failed an operation, the others did not)", after, n)
		}
		if program {
			return head + "; on every boot it exits with a status that program.RestartOnExit restarts, so it stays down" + note + ". " +
				"A restart does not mend what the program starts from: its files (a crash may leave one torn, short, lost or older than the program expects) " +
				"or its arguments. Make it start from whatever a crash can leave on its disk"
		}
		return head + "; it fails on every boot, so it stays down" + note + ". " +
			"Return providers.ErrRestart for a fault that a fresh boot recovers from (a failed fsync); wait and retry inside Run for one that time heals (a peer not yet up)"
	}
	take := "Take in Run the failures the data allows (a failed sync of one copy of several)"
	if program {
		take = "Have the program go on, rather than exit, after the failures its data allows (a failed sync of one copy of several)"
	}
	return head + "; each came after its disk failed an operation (a failed sync, a full disk) since it booted, faster than a restart apiece can take them, " +
		"so it stays down, as systemd's start limit leaves it. " + take + ", " +
		"or lower the disk's fault rates (chaos.Storage) if they are beyond what the system is meant to survive"
}

// programExit reports whether err is a program's exit with a status
// (program.ExitError, which tells its status as os/exec's ExitError
// does), rather than an error a Run returned.
func programExit(err error) bool {
	var exit interface{ ExitCode() int }
	return errors.As(err, &exit)
}

// failedOps counts the operations a disk's chaos failed with an error the
// process sees: a failed sync, a write or truncation refused for space.
// Its other faults (a corrupted or misdirected sector, a stall) return no
// error, and no restart follows from them alone.
func failedOps(st simdisk.Stats) int { return st.SyncFailures + st.NoSpace }

// wantsRestart reports whether a process's Run error asks for a restart.
func wantsRestart(err error) bool { return errors.Is(err, providers.ErrRestart) }

// awaitRestarts waits until no process is between a restart it asked for
// and its next boot.
func (c *Cluster) awaitRestarts() {
	for c.restarting > 0 {
		c.s.Sleep(RestartDelay)
	}
}

// crashPoint crashes the running task's process at a chaos.CrashPoint
// that fired at site, as attrition crashes one; crashMay has found that
// it may. The calling task, the process's, waits for the crash in
// outlivingCaller, which kills it.
func (c *Cluster) crashPoint(site string) {
	s := c.s
	p := c.byName[s.w.CurrentProcess()]
	a := s.chaos.Attrition
	p.crashing = true
	var down time.Duration
	if a.Enabled {
		down = a.DownFor.Draw(s.w.Rand())
	}
	msg := fmt.Sprintf("crash point: %s crashes at %s", p.peer.Name, site)
	s.faultEvent(false, "crash point: "+p.peer.Name, msg)
	c.dead++
	c.outlivingCaller("crash "+p.peer.Name, []*proc{p}, func() {
		c.stop(p, byReboot, Crash, 0, false, "")
		_ = s.p.Time.Sleep(s.w.Context(), down)
		c.dead--
		c.start(p, p.boot)
	})
}

// crashMay reports whether a crash point of the running task's process
// may crash it now, as attrition may take it down: Run's chaos phase has
// begun and its faults are on, the process is up, not Protected, no other
// crash is on its way to it, and attrition would not stay its hand
// (attritionFull). A point that may not makes no draw, and its site tells
// no firing.
func (c *Cluster) crashMay() bool {
	s := c.s
	p := c.byName[s.w.CurrentProcess()]
	a := s.chaos.Attrition
	return p != nil && c.chaosRan && !s.obs.faultsOff && !p.down && !p.leaving && !p.crashing && !p.aimed && !p.spec.Protected &&
		!(a.Enabled && c.attritionFull(p, a))
}

// unavailable reports whether p is down, going down, up and not ready,
// paused, or crashing: what attrition counts against MaxDead.
func (p *proc) unavailable() bool {
	return p.down || p.leaving || !p.ready || p.paused() || p.crashing
}

// unitsDown names the units of kind u that have a process unavailable,
// which unit attrition counts against MaxDead.
func (c *Cluster) unitsDown(u chaos.Unit) map[string]bool {
	down := map[string]bool{}
	for _, p := range c.procs {
		if p.unavailable() {
			down[unitOf(p, u)] = true
		}
	}
	return down
}

// attritionFull reports whether a crash of p would take down more than
// attrition allows, counted as attrition counts: MaxDead processes, or
// under a Unit MaxDead units, down already, those up and not ready among
// them; or an outage holds attrition back. A not-ready p, or one whose
// unit is down already, is counted down: its crash adds none.
func (c *Cluster) attritionFull(p *proc, a chaos.Attrition) bool {
	if c.outageHolds() {
		return true
	}
	if a.Unit == chaos.Process {
		down := c.dead + c.notReady()
		if !p.ready {
			down--
		}
		return down >= a.MaxDead
	}
	down := c.unitsDown(a.Unit)
	return !down[unitOf(p, a.Unit)] && len(down) >= a.MaxDead
}
