package simnet

import (
	"net"
	"time"

	"github.com/moonpool-go/moonpool/internal/sim"
)

// Go turns TCP keep-alives on for every connection it dials or accepts
// (a zero net.Dialer.KeepAlive or net.ListenConfig.KeepAlive), with
// these settings: an end that has heard nothing from its peer for
// KeepAliveIdle sends a probe, then one every KeepAliveInterval while
// none is answered, and after KeepAliveCount unanswered probes it drops
// the connection (ETIMEDOUT). So a connection whose peer vanished is
// dropped 150 s after the end last heard from it, and one whose peer's
// host came back without its socket is reset at the next probe.
const (
	KeepAliveIdle     = 15 * time.Second
	KeepAliveInterval = 15 * time.Second
	KeepAliveCount    = 9
)

// keepAlive is an end's keep-alive settings, and its probing while a fault
// leaves its probes unanswered. A probe the peer answers changes nothing
// either end can see, so none is an event: the probes count only from
// when a fault begins (watchKeepAlive) to when it ends (settleKeepAlives),
// and the end's timer is armed, quietly, only for what the probes would
// change: the drop, or the reset that answers a probe.
type keepAlive struct {
	off         bool
	idle, intvl int64
	count       int64
	timer       sim.Timer
	fire        func() // keepAliveFire, made when the timer is first armed
	// probing: the end is idle and its probes go unanswered; since is
	// when it last heard from the peer, or had a probe answered. The end
	// is on Net.probing.
	probing bool
	since   int64
	// answered is the first probe after the last fault that left the
	// end's probes unanswered ended: the peer answers it unless another
	// fault begins first.
	answered int64
}

// keepAlive returns c's keep-alive, made with Go's defaults when first
// needed.
func (c *conn) keepAlive() *keepAlive {
	if c.ka == nil {
		c.ka = &keepAlive{idle: int64(KeepAliveIdle), intvl: int64(KeepAliveInterval), count: KeepAliveCount}
	}
	return c.ka
}

// armKeepAlive arms c's keep-alive timer, quietly, for simulated time at.
func (c *conn) armKeepAlive(at int64) {
	ka := c.ka
	if ka.fire == nil {
		ka.fire = c.keepAliveFire
	}
	c.n.w.ArmQuiet(&ka.timer, time.Duration(at-c.n.now()), ka.fire)
}

// probes reports whether c sends keep-alive probes: it is on, and c is
// open and not exempt from faults.
func (c *conn) probes() bool {
	return (c.ka == nil || !c.ka.off) && !c.closed && !c.reset && !c.exempt
}

// idle reports whether nothing c sent is in flight or waits for an
// acknowledgement. Linux probes only an idle end: another one's
// retransmissions watch the connection (RetransmitTimeout).
func (c *conn) idle() bool {
	o := c.out
	return o.segs.len() == 0 && !o.stuckSet && !o.ackHeld && !c.retxArmed
}

// unanswered reports whether a probe c sent now would go unanswered: the
// peer's host is off, a silent close swallows everything, or a partition
// cuts either way. A clog only delays a probe and its answer.
func (c *conn) unanswered() bool {
	n, p := c.n, c.peer
	if p.gone && p.h.off || c.in.blackhole {
		return true
	}
	_, there := n.partitioned(c.h, p.h)
	_, back := n.partitioned(p.h, c.h)
	return there || back
}

// answersReset reports whether c's peer no longer has a socket for the
// connection, so that its host answers a probe with a reset: it came
// back from a power loss, or gave up on the connection.
func (c *conn) answersReset() bool {
	p := c.peer
	return p.gone || p.owesReset
}

// watchKeepAlive starts counting c's probes as unanswered, from now: a
// fault began that leaves them so. until is when the fault is known to
// end, or 0: a fault that ends before the first drop could come is not
// watched, since nothing the probes do would show.
func (n *Net) watchKeepAlive(c *conn, until int64) {
	if !c.probes() || !c.idle() || c.ka != nil && c.ka.probing || !c.unanswered() {
		return
	}
	now := n.now()
	if until > 0 && until < now+c.probingLeast() {
		return
	}
	ka := c.keepAlive()
	heard := min(max(c.in.lastAt, c.out.lastAt), now)
	if ka.answered <= now {
		heard = max(heard, ka.answered)
	}
	if ka.answered <= now || heard > ka.since {
		// Probes answered went on every idle from what the end heard
		// last: the last of them before now is when it last heard from
		// the peer.
		ka.since = heard + (now-1-heard)/ka.idle*ka.idle
	} // else no probe went out since the last fault ended: its count goes on
	ka.probing = true
	n.probing = appendPruning(n.probing, &n.probingCap, c, func(c *conn) bool { return !c.ka.probing })
	c.armKeepAlive(ka.dropAt())
}

// watchKeepAlives is watchKeepAlive for every connection: a partition
// began.
func (n *Net) watchKeepAlives(until int64) {
	for _, h := range n.hosts {
		for _, c := range h.conns {
			n.watchKeepAlive(c, until)
		}
	}
}

// probingLeast is the least time from a fault's start to c's drop: its
// probes after the first, and the last interval.
func (c *conn) probingLeast() int64 {
	if ka := c.ka; ka != nil {
		return ka.count * ka.intvl
	}
	return KeepAliveCount * int64(KeepAliveInterval)
}

// dropAt is when an end whose probes go unanswered from since on drops
// the connection: its count of probes sent, one after idle, the others
// intvl apart, and the last interval passed with no answer.
func (ka *keepAlive) dropAt() int64 { return ka.since + ka.idle + ka.count*ka.intvl }

// probeAt is the end's first probe at t or later, while its probes go
// unanswered; past the last, the drop.
func (ka *keepAlive) probeAt(t int64) int64 {
	first := ka.since + ka.idle
	if t <= first {
		return first
	}
	return min(first+(t-first+ka.intvl-1)/ka.intvl*ka.intvl, ka.dropAt())
}

// stopProbing ends c's count of unanswered probes.
func (c *conn) stopProbing() {
	if ka := c.ka; ka != nil && ka.probing {
		ka.probing = false
		ka.timer.Stop()
	}
}

// settleKeepAlives looks again at every end whose probes went unanswered,
// as a fault may have ended: at Heal, at the end of a random partition,
// at PowerOn. An end whose probes the peer answers again stops counting
// them; one whose peer's host answers with a reset gets it at its next
// probe.
func (n *Net) settleKeepAlives() {
	now := n.now()
	k := 0
	for _, c := range n.probing {
		ka := c.ka
		switch {
		case !ka.probing:
			continue
		case !c.probes() || !c.idle():
			c.stopProbing()
			continue
		case c.unanswered():
		case c.answersReset():
			c.armKeepAlive(ka.probeAt(now))
		default:
			if at := ka.probeAt(now); at < ka.dropAt() {
				ka.answered = at
				c.stopProbing()
				continue
			} // else the last probe went unanswered: the drop comes
		}
		n.probing[k] = c
		k++
	}
	clear(n.probing[k:])
	n.probing = n.probing[:k]
}

// keepAliveFire is the end's timer: a probe that its peer's host answers
// with a reset, or the drop.
func (c *conn) keepAliveFire() {
	n, ka := c.n, c.ka
	n.tick() // a random partition that ends now ends first
	if !ka.probing {
		return
	}
	now := n.now()
	switch {
	case !c.probes() || !c.idle():
		c.stopProbing()
	case now >= ka.dropAt():
		// Every probe went unanswered, and the end heard nothing else
		// (heard would have counted again): whatever came back since
		// the last, nothing went out to find it.
		c.stopProbing()
		c.dropUnanswered()
	case c.unanswered():
		c.armKeepAlive(ka.dropAt())
	case c.answersReset():
		c.stopProbing()
		c.peer.noSocket()
	default:
		c.stopProbing()
		ka.answered = now
	}
}

// heard tells c, whose probes go unanswered, that a segment came from the
// peer: as on Linux, the count of probes starts again from it.
func (c *conn) heard() {
	ka := c.ka
	if !c.unanswered() {
		c.stopProbing()
		ka.answered = c.n.now()
		return
	}
	ka.since = c.n.now()
	c.armKeepAlive(ka.dropAt())
}

// dropUnanswered ends c after its last probe went unanswered, as Linux's
// keep-alive timer does: the first call after it fails with ETIMEDOUT, and
// the reset sent to the peer reaches it only if the way there is open.
func (c *conn) dropUnanswered() {
	n, p := c.n, c.peer
	n.event("connection %s timed out: %d keep-alive probes unanswered", c, c.ka.count)
	c.timedOut, c.resetUntold = true, true
	c.giveUp()
	if _, cut := n.partitioned(c.h, p.h); !cut && !p.h.off && !c.out.blackhole {
		c.answerReset()
	}
}

// SetKeepAlive is *net.TCPConn's: it turns the connection's keep-alive
// probes on or off. They are on, with Go's settings (KeepAliveIdle,
// KeepAliveInterval, KeepAliveCount), from the dial or accept.
func (c *conn) SetKeepAlive(on bool) error {
	return c.SetKeepAliveConfig(net.KeepAliveConfig{Enable: on, Idle: -1, Interval: -1, Count: -1})
}

// SetKeepAlivePeriod is *net.TCPConn's: it sets how long the end waits
// without hearing from the peer before its first probe; zero is
// KeepAliveIdle, and a negative d changes nothing.
func (c *conn) SetKeepAlivePeriod(d time.Duration) error {
	on := c.ka == nil || !c.ka.off
	return c.SetKeepAliveConfig(net.KeepAliveConfig{Enable: on, Idle: d, Interval: -1, Count: -1})
}

// SetKeepAliveConfig is *net.TCPConn's: a zero field is Go's default, a
// negative one leaves the setting as it was. New times and counts apply
// from the next fault that leaves the probes unanswered; turning the
// probes off ends a count under way.
func (c *conn) SetKeepAliveConfig(cfg net.KeepAliveConfig) error {
	c.n.w.Enter("net set keep-alive")
	if c.closed {
		return c.opErr("set", net.ErrClosed)
	}
	idle, intvl, count := int64(KeepAliveIdle), int64(KeepAliveInterval), int64(KeepAliveCount)
	if ka := c.ka; ka != nil {
		idle, intvl, count = ka.idle, ka.intvl, ka.count
	}
	set := func(v *int64, to, def int64) {
		switch {
		case to == 0:
			*v = def
		case to > 0:
			*v = to
		}
	}
	set(&idle, int64(roundUpToSecond(cfg.Idle)), int64(KeepAliveIdle))
	set(&intvl, int64(roundUpToSecond(cfg.Interval)), int64(KeepAliveInterval))
	set(&count, int64(cfg.Count), KeepAliveCount)
	off := !cfg.Enable
	if c.ka == nil && !off && idle == int64(KeepAliveIdle) && intvl == int64(KeepAliveInterval) && count == KeepAliveCount {
		return nil // Go's settings, which an end without a record has
	}
	ka := c.keepAlive()
	ka.off, ka.idle, ka.intvl, ka.count = off, idle, intvl, count
	if off {
		c.stopProbing()
	}
	return nil
}

// roundUpToSecond rounds a positive d up to whole seconds, as Linux
// counts keep-alive times.
func roundUpToSecond(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return (d + time.Second - 1) / time.Second * time.Second
}
