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

// keepAliveSettings are an end's keep-alive settings, in nanoseconds.
type keepAliveSettings struct {
	off         bool
	idle, intvl int64
	count       int64
}

// goKeepAlive is Go's settings, which every connection starts with.
func goKeepAlive() keepAliveSettings {
	return keepAliveSettings{idle: int64(KeepAliveIdle), intvl: int64(KeepAliveInterval), count: KeepAliveCount}
}

// keepAlive is an end's keep-alive settings, and its count of probes while
// it is cut off from its peer. A probe the peer answers changes nothing
// either end can see, so none is an event: the probes count only from
// when a fault cuts the end off (watchKeepAlive) to when it ends
// (settleKeepAlives), and the end's timer is armed, quietly, only for what
// the probes would change: the drop, or the reset that answers a probe.
type keepAlive struct {
	keepAliveSettings
	timer sim.Timer
	fire  func() // keepAliveFire, made when the timer is first armed
	// probing: the end is cut off and counts its probes; since is when
	// it last heard from the peer, or had a probe answered.
	probing bool
	since   int64
	// answered is when the end's first probe after the last count ended
	// goes out: the peer answers it unless another fault comes first.
	answered int64
	listed   bool // on Net.probing
}

// keepAliveSettings returns c's settings: its own, or Go's.
func (c *conn) keepAliveSettings() keepAliveSettings {
	if c.ka != nil {
		return c.ka.keepAliveSettings
	}
	return goKeepAlive()
}

// keepAlive returns c's keep-alive, made with Go's settings when first
// needed.
func (c *conn) keepAlive() *keepAlive {
	if c.ka == nil {
		c.ka = &keepAlive{keepAliveSettings: goKeepAlive()}
	}
	return c.ka
}

// armKeepAlive arms c's keep-alive timer, quietly, for simulated time at,
// or now if at has passed.
func (c *conn) armKeepAlive(at int64) {
	ka := c.ka
	if ka.fire == nil {
		ka.fire = c.keepAliveFire
	}
	c.n.w.ArmQuiet(&ka.timer, time.Duration(max(at-c.n.now(), 0)), ka.fire)
}

// probes reports whether c sends keep-alive probes: they are on, and c
// is open and not exempt from faults.
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

// hearsPeer reports whether the peer's segments reach c now and then
// whatever c sends: the way from it is open, and it sends its own probes
// or retransmits what c has not acknowledged. On Linux anything an end
// receives starts its count again, so such an end never drops by its own
// probes; the peer's drop, or its give-up, ends it.
func (c *conn) hearsPeer() bool {
	n, p := c.n, c.peer
	if p.gone || p.reset || p.closed || c.in.blackhole {
		return false
	}
	if _, cut := n.partitioned(p.h, c.h); cut {
		return false
	}
	return p.probes() || !p.idle()
}

// cutOff reports whether c's probes go unanswered and it hears nothing
// else from the peer: what its count runs on.
func (c *conn) cutOff() bool { return c.unanswered() && !c.hearsPeer() }

// answersReset reports whether c's peer no longer has a socket for the
// connection, so that its host answers a probe with a reset: it came
// back from a power loss, or gave up on the connection.
func (c *conn) answersReset() bool {
	p := c.peer
	return p.gone || p.owesReset
}

// watchKeepAlive starts c's count of unanswered probes, if a fault that
// began now cuts it off. until is when the fault is known to end, or 0: a
// fault that ends before the end's next probe loses none, and is not
// counted (most random partitions, which last a second or two).
func (n *Net) watchKeepAlive(c *conn, until int64) {
	if !c.probes() || !c.idle() || c.ka != nil && c.ka.probing || !c.cutOff() {
		return
	}
	now := n.now()
	st := c.keepAliveSettings()
	var answered, since int64
	if ka := c.ka; ka != nil {
		answered, since = ka.answered, ka.since
	}
	// A probe that goes out as the fault begins is lost with it.
	heard := min(max(c.in.lastAt, c.out.lastAt), now)
	if answered < now {
		heard = max(heard, answered)
	}
	if answered < now || heard > since {
		// Answered probes went out every idle from what the end heard
		// last: the last of them before now is when it last heard from
		// the peer.
		since = heard + (now-1-heard)/st.idle*st.idle
	} // else no probe went out since the last count ended: it goes on
	if until > 0 && until <= since+st.idle {
		return
	}
	ka := c.keepAlive()
	ka.since, ka.probing = since, true
	if !ka.listed {
		ka.listed = true
		n.probing = appendPruning(n.probing, &n.probingCap, c, func(c *conn) bool {
			if c.ka.probing {
				return false
			}
			c.ka.listed = false
			return true
		})
	}
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

// dropAt is when an end whose probes go unanswered from since on drops
// the connection: its probes go out the first after idle, the others
// intvl apart, and it drops an interval after the last.
func (ka *keepAlive) dropAt() int64 { return ka.since + ka.idle + ka.count*ka.intvl }

// probeAt is the end's first probe at t or later while it counts; past
// the last, the drop.
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

// settleKeepAlives looks again at every end that counts its probes, as a
// fault may have ended at at: at Heal and PowerOn, now; at the end of a
// random partition, which the network may notice later, its end. An end
// whose next probe, before the drop, the peer answers stops counting;
// one whose peer's host answers with a reset gets it at that probe.
func (n *Net) settleKeepAlives(at int64) {
	k := 0
	for _, c := range n.probing {
		if c.ka.probing {
			c.settleKeepAlive(at)
		}
		if !c.ka.probing {
			c.ka.listed = false
			continue
		}
		n.probing[k] = c
		k++
	}
	clear(n.probing[k:])
	n.probing = n.probing[:k]
}

// settleKeepAlive is settleKeepAlives for c, which counts its probes.
func (c *conn) settleKeepAlive(at int64) {
	ka := c.ka
	switch {
	case !c.probes() || !c.idle():
		c.stopProbing()
	case c.cutOff():
	case c.answersReset():
		c.armKeepAlive(ka.probeAt(at))
	default:
		// Unless the last probe went unanswered: the drop comes then.
		if p := ka.probeAt(at); p < ka.dropAt() {
			ka.answered = p
			c.stopProbing()
		}
	}
}

// keepAliveFire is the end's timer: a probe that its peer's host answers
// with a reset, or the drop.
func (c *conn) keepAliveFire() {
	n, ka := c.n, c.ka
	n.tick() // a random partition that ended is settled first
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
	case c.cutOff():
		c.armKeepAlive(ka.dropAt())
	case c.answersReset():
		c.stopProbing()
		c.peer.noSocket()
	default:
		c.stopProbing()
		ka.answered = now
	}
}

// heard tells c, which counts its probes, that a segment came from the
// peer: as on Linux, the count starts again from it.
func (c *conn) heard() {
	ka := c.ka
	if !c.cutOff() {
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
	n.giveUpEvent(c, "connection %s timed out: %d keep-alive probes unanswered", c, c.ka.count)
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
// negative one leaves the setting as it was. As on Linux, where the timer
// reads them each time it fires, new settings apply to a count under way,
// and turning the probes off ends it.
func (c *conn) SetKeepAliveConfig(cfg net.KeepAliveConfig) error {
	if err := c.enter("net set keep-alive", "set"); err != nil {
		return err
	}
	if c.closed {
		return c.opErr("set", net.ErrClosed)
	}
	def, st := goKeepAlive(), c.keepAliveSettings()
	set := func(v *int64, to, def int64) {
		switch {
		case to == 0:
			*v = def
		case to > 0:
			*v = to
		}
	}
	st.off = !cfg.Enable
	set(&st.idle, int64(roundUpToSecond(cfg.Idle)), def.idle)
	set(&st.intvl, int64(roundUpToSecond(cfg.Interval)), def.intvl)
	set(&st.count, int64(cfg.Count), def.count)
	if c.ka == nil && st == def {
		return nil // Go's settings, which an end without a record has
	}
	ka := c.keepAlive()
	ka.keepAliveSettings = st
	switch {
	case !ka.probing:
	case st.off:
		c.stopProbing()
	default:
		c.armKeepAlive(ka.dropAt())
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
