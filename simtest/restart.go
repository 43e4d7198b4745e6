package simtest

import (
	"errors"
	"fmt"
	"time"

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
	kept := p.restarts[:0]
	for _, at := range p.restarts {
		if now-at < RestartInterval {
			kept = append(kept, at)
		}
	}
	p.restarts = append(kept, now)
	loops := len(p.restarts) > RestartBurst
	if loops {
		s.failAt(runSite(inst), fmt.Sprintf("process %s asked to be restarted %d times within %v, the last time with %q; it fails on every boot, so it stays down. "+
			"Return providers.ErrRestart for a fault that a fresh boot recovers from (a failed fsync); wait and retry inside Run for one that time heals (a peer not yet up)",
			name, len(p.restarts), RestartInterval, err.Error()))
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

// wantsRestart reports whether a process's Run error asks for a restart.
func wantsRestart(err error) bool { return errors.Is(err, providers.ErrRestart) }

// awaitRestarts waits until no process is between a restart it asked for
// and its next boot.
func (c *Cluster) awaitRestarts() {
	for c.restarting > 0 {
		c.s.Sleep(RestartDelay)
	}
}
