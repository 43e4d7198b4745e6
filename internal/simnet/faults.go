package simnet

import (
	"math"
	"math/bits"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
)

// latency draws the one-way delay of a packet from src to dst: the slow
// tail's coin (when SlowProb > 0), then the fast or slow delay (when its
// range is not a single value), then, the first time the pair talks, the
// pair's stable extra delay, the fixed delay between their zones and data
// centers (which draws nothing), and a slow link's ([Net.Slow]).
func (n *Net) latency(src, dst *Host) int64 {
	l := &n.cfg.Latency
	var d int64
	switch {
	case l.SlowProb > 0 && n.rng.Bool(l.SlowProb):
		d = n.uniform(int64(l.Slow.Min), int64(l.Slow.Max))
		n.event("slow packet %s -> %s: %v", src.name, dst.name, time.Duration(d))
	case l.Shape == chaos.LatencyExponential:
		d = int64(l.Fast.Min) + min(n.expDraw(int64(l.Mean)), int64(l.Fast.Max-l.Fast.Min))
	default:
		d = n.uniform(int64(l.Fast.Min), int64(l.Fast.Max))
	}
	if src != dst && n.cfg.MaxPairLatency > 0 {
		d += n.pairLatency(src, dst)
	}
	if src.zone != dst.zone && src.zone != "" && dst.zone != "" {
		d = satAdd(d, int64(n.cfg.ZoneLatency))
		if src.dc != dst.dc {
			d = satAdd(d, int64(n.cfg.DataCenterLatency))
		}
	}
	if len(n.slows) > 0 {
		d = satAdd(d, n.slows[pairKey(src, dst)])
	}
	return d
}

// pairLatency is the stable extra delay between two hosts, drawn the first
// time they talk.
func (n *Net) pairLatency(a, b *Host) int64 {
	if a.id > b.id {
		a, b = b, a
	}
	if b.id < len(a.pairLat) {
		if d := a.pairLat[b.id]; d > 0 {
			return d - 1
		}
	} else {
		a.pairLat = append(a.pairLat, make([]int64, b.id+1-len(a.pairLat))...)
	}
	d := n.uniform(0, int64(n.cfg.MaxPairLatency))
	a.pairLat[b.id] = d + 1
	n.event("pair %s <-> %s: extra latency %v", a.name, b.name, time.Duration(d))
	return d
}

// rollClose decides whether an operation on c closes it at random: the
// coin (when CloseProb > 0 and no cooldown runs), then explicit or silent.
// An explicit close resets c, and the operation must fail; it reports true.
// A silent one stops both directions from carrying data, unbeknownst to
// either end, and the operation goes on.
func (n *Net) rollClose(c *conn, op string) (reset bool) {
	p := n.cfg.CloseProb
	if p <= 0 || n.paused || c.exempt || c.reset || c.in.blackhole || n.now() < n.closeQuietUntil || !n.rng.Bool(p) {
		return false
	}
	n.closeQuietUntil = n.now() + int64(n.cfg.CloseCooldown)
	if n.rng.Bool(n.cfg.CloseExplicitProb) {
		n.event("random close on %s of %s: reset", op, c)
		c.abort()
		return true
	}
	n.event("random close on %s of %s: silent, no data will pass", op, c)
	c.in.blackhole = true
	c.out.blackhole = true
	n.watchKeepAlive(c, 0)
	n.watchKeepAlive(c.peer, 0)
	return false
}

// partial draws whether an operation of k bytes is cut short (a coin when p
// > 0 and k > 1), and to how many bytes (one more draw).
func (n *Net) partial(p float64, k int) int {
	if p <= 0 || n.paused || k <= 1 || !n.rng.Bool(p) {
		return k
	}
	return 1 + n.rng.IntN(k-1)
}

// flipBits corrupts the segment [from, to) of p with BitFlipProb: a coin,
// then the count of bits (one draw: 33 minus the bit length of a 32-bit
// value, so one bit with probability 1/2, two with 1/4, up to 32), then
// each bit's position.
func (n *Net) flipBits(p *pipe, from, to uint64) {
	prob := n.cfg.BitFlipProb
	if prob <= 0 || n.paused || to <= from || !n.rng.Bool(prob) {
		return
	}
	count := min(33-bits.Len32(uint32(n.rng.Uint64())), 32)
	size := int64(to-from) * 8
	for range count {
		bit := uint64(n.rng.Int64N(size))
		p.buf[(from+bit/8)&p.mask()] ^= 1 << (bit % 8)
	}
	n.event("bit flip: %d bits in %d bytes from %s to %s", count, to-from, p.src, p.dst)
}

// connectFault draws whether a dial fails by fault (a coin when
// ConnectFailProb > 0), and then whether it hangs or is refused (a coin).
func (n *Net) connectFault() (fail, hang bool) {
	p := n.cfg.ConnectFailProb
	if p <= 0 || n.paused || !n.rng.Bool(p) {
		return false, false
	}
	return true, n.rng.Bool(n.cfg.ConnectHangProb)
}

// rollClog draws whether a write clogs the link from src to dst (a coin
// when ClogProb > 0), and for how long (one more draw).
func (n *Net) rollClog(src, dst *Host) {
	p := n.cfg.ClogProb
	if p <= 0 || n.paused || src == dst || !n.rng.Bool(p) {
		return
	}
	n.w.FaultBegins(sim.Fault{Kind: "clog", At: n.rng.Draws(), On: src.name, To: dst.name})
	n.clog(src, dst, n.uniform(int64(n.cfg.ClogDuration.Min), int64(n.cfg.ClogDuration.Max)))
}

// ln is the natural logarithm of x in (0, 1], computed with +, *, / only,
// each result rounded on its own, so that it gives the same bits on every
// platform (math.Log has assembly versions that may differ in the last
// place, which would change a replay).
func ln(x float64) float64 {
	frac, exp := math.Frexp(x) // x = frac × 2^exp, frac in [0.5, 1)
	s := float64(frac-1) / float64(frac+1)
	s2 := float64(s * s)
	term, sum := s, s
	for k := 3; k < 60; k += 2 {
		term = float64(term * s2)
		sum = float64(sum + float64(term/float64(k)))
	}
	return float64(float64(exp)*math.Ln2) + float64(2*sum)
}

// pow1000 is u^1000 by repeated squaring, for the buggified sleep delay.
func pow1000(u float64) float64 {
	// 1000 = 512 + 256 + 128 + 64 + 32 + 8
	r := 1.0
	p := u
	for bit := 1000; bit > 0; bit >>= 1 {
		if bit&1 == 1 {
			r = float64(r * p)
		}
		p = float64(p * p)
	}
	return r
}
