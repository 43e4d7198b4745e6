package chaos

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"time"
)

// Network configures the simulated network: how long packets take, how much
// a connection buffers, and which faults it injects and how often. Every
// fault is a field, documented with the default that [DefaultNetwork] gives
// it; a zero probability, interval or bound switches that fault off.
//
// Three presets cover most tests:
//
//   - [DefaultNetwork]: every fault on, at the intensities FoundationDB's
//     simulator and Moonpool use.
//   - [NoNetworkFaults]: realistic latency, no faults. [Network.NoFaults]
//     does the same to any configuration.
//   - [RandomNetwork]: [DefaultNetwork] with Randomize set, so that each
//     seed draws its own configuration, where each fault family is on or
//     off at random (swarm testing) with a random intensity (see
//     [Network.Draw]).
//
// The zero Network is a perfect network: no latency, no faults, and the
// default buffer sizes. Every duration is at least zero and at most
// [MaxDuration].
//
// Whatever the configuration, a connection is a TCP-like stream: bytes
// arrive in the order they were written, or the connection fails. Faults
// delay, cut, reset and (with BitFlipProb) corrupt; they never reorder or
// duplicate bytes. Datagrams (ListenPacket's sockets) are UDP-like: the
// Datagram faults lose, duplicate and reorder them, and a partition or a
// clog loses those that cross it.
type Network struct {
	// Latency is the one-way delay of every packet: a segment of written
	// data, a connect, a close or a reset. Default: uniform in [50µs,
	// 400µs], with a slow tail of probability 0.001 in [50µs, 50ms]
	// (FoundationDB's halfLatency).
	Latency Latency

	// MaxPairLatency bounds a stable extra one-way delay between each pair
	// of hosts, drawn uniformly in [0, MaxPairLatency] the first time the
	// pair talks and kept for the run: some hosts are farther apart than
	// others. Default 500µs.
	MaxPairLatency time.Duration

	// ZoneLatency is a fixed one-way delay added to every packet between
	// two hosts in different zones of a simulation's Topology, and
	// DataCenterLatency one added on top of it between two hosts in
	// different data centers: with ZoneLatency 1ms and DataCenterLatency
	// 30ms, a packet takes 1ms more across zones and 31ms more across
	// data centers than within a zone. They model where the hosts are, not
	// a fault: they draw nothing, count as no fault, no heal ends them, and
	// [Network.NoFaults] and [Network.Draw] keep them. A host no Topology
	// places (the test driver's, a process placed by none) is in no zone
	// and gets neither. Per-pair variety is MaxPairLatency's, added to
	// both. Default 0.
	ZoneLatency       time.Duration
	DataCenterLatency time.Duration

	// SendBuffer is how many bytes one direction of a connection holds,
	// written and not yet read by the peer, or read while the way back
	// was cut and so not yet acknowledged. A Write blocks while it is
	// full, so a reader that stops reading stops its writer, and so does
	// a cut of the writer's acknowledgements. Zero means
	// DefaultSendBuffer (64 KiB).
	SendBuffer int

	// Backlog is how many connections a listener keeps waiting for Accept;
	// a connect that finds the queue full waits until an Accept makes
	// room, or times out, as on Linux. Zero means DefaultBacklog (128).
	Backlog int

	// PartitionInterval is the mean time between random partitions, drawn
	// from an exponential distribution; zero means none. A partition
	// splits the hosts in two, with equal chance as random halves, as a
	// random-size group against the rest, or as one host alone; where a
	// Topology places the processes in two zones or more, a fourth shape,
	// as likely, cuts one zone off from the rest. Traffic
	// across the cut waits (it is not lost, as TCP retransmits), and goes
	// on at its sender's next retransmission after the partition ends, on
	// Linux's timer (200 ms after the send, backing off); connects
	// across it, at the next retransmission of the SYN, failing with
	// ETIMEDOUT after 131 s as on Linux. When not zero, at least
	// [MinInterval]. Default 60s.
	PartitionInterval time.Duration
	// PartitionDuration is how long a random partition lasts, drawn
	// uniformly. Default [200ms, 2s].
	PartitionDuration Range
	// PartitionOneWayProb is the probability that a random partition cuts
	// one direction only: the first group's packets to the second wait,
	// the other way flows. Default 0.25.
	PartitionOneWayProb float64

	// ClogProb is the probability that a write clogs the link from its host
	// to the peer's host for a time drawn uniformly from ClogDuration:
	// packets on that link, on any connection, wait until the clog ends.
	// Default 0.0001, [100ms, 300ms].
	ClogProb     float64
	ClogDuration Range

	// CloseProb is the probability that a read or write closes its
	// connection at random (FoundationDB's rollRandomClose), at most once
	// per CloseCooldown across the network. Default 0.00001 per
	// operation, cooldown 5s.
	CloseProb     float64
	CloseCooldown time.Duration
	// CloseExplicitProb is the share of random closes that are explicit:
	// the connection is reset and both ends get ECONNRESET or EPIPE. The
	// others are silent: the connection stops carrying data without
	// either end being told, as when a peer's machine vanishes, so only a
	// timeout notices. Default 0.3.
	CloseExplicitProb float64

	// PartialReadProb is the probability that a Read returns fewer bytes
	// than are available (at least one). Default 0.01.
	PartialReadProb float64
	// PartialWriteProb is the probability that a Write's bytes are sent as
	// two segments that travel separately, so that the peer can read the
	// first part before the rest arrives. (A Go Write never returns short
	// without an error, so this is how a short write shows.) Default 0.01.
	PartialWriteProb float64

	// BitFlipProb is the probability that a segment of data is corrupted on
	// the way: a power-law number of its bits flip (one bit half of the
	// time, two a quarter, up to 32), as FoundationDB's simulator does.
	// Code that relies on TCP's checksum alone sees corrupt data. Default
	// 0: TCP's checksum makes such corruption rare in the wild, and most
	// protocols carry no checksum of their own. [Harsh] sets 0.0001, for
	// protocols that do.
	BitFlipProb float64

	// ConnectFailProb is the probability that a dial fails by fault even
	// though someone listens. Default 0.01.
	ConnectFailProb float64
	// ConnectHangProb is the share of those failures that hang rather
	// than being refused: every SYN of the connect is lost until the
	// network heals (Heal, Quiesce), and it goes on at the dialler's next
	// retransmission of the SYN after that, as one a partition held does;
	// it fails sooner if the dial's context ends, and with ETIMEDOUT after
	// 131 s, as on Linux. Default 0.5.
	ConnectHangProb float64

	// MaxClockSkew bounds the offset of each host's clock from simulated
	// time, drawn uniformly in [-MaxClockSkew, MaxClockSkew] when the host
	// is made. Default 100ms (FoundationDB's timer drift bound).
	MaxClockSkew time.Duration
	// MaxClockDrift bounds the rate error of each host's clock, drawn
	// uniformly in [-MaxClockDrift, MaxClockDrift] when the host is made:
	// a host whose drift is 0.0001 sees 1.0001s pass in each simulated
	// second. At most 0.5. The drift is drawn in whole parts per billion,
	// so a bound below 0.5 ppb (5e-10) draws no drift. Default 0.00005
	// (50 ppm, a common quartz tolerance).
	MaxClockDrift float64
	// ClockDriftAtBoundProb is the probability that a host's drift is its
	// bound, MaxClockDrift fast or slow (even odds), rather than drawn
	// within it: a lease's margin against rate error
	// fails on the worst arrangement, the holder's clock slow and the
	// grantors' fast, which uniform drifts make rarely (one seed in 25 of
	// a three-host lease). Default 0: every drift is uniform.
	ClockDriftAtBoundProb float64

	// SleepDelayProb is the probability that a sleep or timer on a host
	// takes longer than asked, by MaxSleepDelay × u^1000 for a uniform u
	// (mostly nothing, rarely up to MaxSleepDelay), after FoundationDB's
	// buggified delay. Default 0.25, 100ms.
	SleepDelayProb float64
	MaxSleepDelay  time.Duration

	// Randomize makes each seed draw its own network settings from the
	// run's random stream, first thing in the run: see [Network.Draw].
	Randomize bool

	// MaxDatagramSize is the largest payload of one datagram; sending a
	// larger one fails with EMSGSIZE. Zero means DefaultMaxDatagramSize
	// (1472 bytes: what fits an Ethernet frame without IP fragmentation,
	// the size beyond which real networks start to drop datagrams); at
	// most MaxUDPPayload (65507, UDP over IPv4's own limit). It is a
	// limit, not a random fault: [Network.NoFaults] keeps it.
	MaxDatagramSize int
	// DatagramBuffer is how many bytes of datagrams a socket holds,
	// arrived and not yet read; a datagram that finds it full is dropped,
	// as a kernel drops what overflows a socket's receive buffer. Zero
	// means DefaultDatagramBuffer (208 KiB, Linux's default); at least the
	// largest datagram.
	DatagramBuffer int
	// DatagramLossProb is the probability that a datagram is lost on the
	// way. Default 0.01. Datagrams that meet a partition or a clog are
	// lost too, whatever this says: nothing retransmits them.
	DatagramLossProb float64
	// DatagramDupProb is the probability that a datagram arrives twice,
	// each copy with its own latency. Default 0.001.
	DatagramDupProb float64
	// DatagramReorderProb is the probability that a datagram is held back
	// by an extra delay drawn uniformly from DatagramReorderDelay, so that
	// datagrams sent after it arrive first. The others keep their order
	// between two sockets, as on most paths. Default 0.01, with a delay in
	// [1ms, 10ms].
	DatagramReorderProb  float64
	DatagramReorderDelay Range
}

// Latency is a distribution of one-way delays: a fast mode, uniform or
// exponential, and an optional slow tail, which together make the bimodal
// distribution of a real network.
type Latency struct {
	// Shape is the fast mode's distribution.
	Shape LatencyShape
	// Fast bounds the fast mode. Uniform draws in it; Fast.Min ==
	// Fast.Max gives a fixed delay and draws nothing. Exponential draws
	// Fast.Min plus an exponential delay of mean Mean, capped at Fast.Max.
	Fast Range
	// Mean is the mean of the exponential part above Fast.Min
	// (Exponential only).
	Mean time.Duration
	// SlowProb is the probability of a slow packet, whose delay is drawn
	// uniformly in Slow instead. When SlowProb is above 0, Slow.Max is
	// too.
	SlowProb float64
	Slow     Range
}

// LatencyShape is the distribution of a [Latency]'s fast mode.
type LatencyShape uint8

// The latency shapes.
const (
	LatencyUniform     LatencyShape = iota // uniform in Fast
	LatencyExponential                     // Fast.Min plus an exponential of mean Mean, capped at Fast.Max
)

func (s LatencyShape) String() string {
	switch s {
	case LatencyUniform:
		return "uniform"
	case LatencyExponential:
		return "exponential"
	}
	return fmt.Sprintf("LatencyShape(%d)", uint8(s))
}

// The buffer sizes that a zero SendBuffer, Backlog, MaxDatagramSize or
// DatagramBuffer stands for.
const (
	DefaultSendBuffer      = 64 << 10
	DefaultBacklog         = 128
	DefaultMaxDatagramSize = 1472
	DefaultDatagramBuffer  = 208 << 10
)

// MaxUDPPayload bounds [Network].MaxDatagramSize: the largest payload of
// a UDP datagram over IPv4 (65535 bytes less the IP and UDP headers).
const MaxUDPPayload = 65507

// DefaultNetwork returns the default configuration: every fault on but bit
// flips, at the intensities documented on each field of [Network].
func DefaultNetwork() Network {
	return Network{
		Latency: Latency{
			Fast:     Range{50 * time.Microsecond, 400 * time.Microsecond},
			SlowProb: 0.001,
			Slow:     Range{50 * time.Microsecond, 50 * time.Millisecond},
		},
		MaxPairLatency:      500 * time.Microsecond,
		SendBuffer:          DefaultSendBuffer,
		Backlog:             DefaultBacklog,
		PartitionInterval:   60 * time.Second,
		PartitionDuration:   Range{200 * time.Millisecond, 2 * time.Second},
		PartitionOneWayProb: 0.25,
		ClogProb:            0.0001,
		ClogDuration:        Range{100 * time.Millisecond, 300 * time.Millisecond},
		CloseProb:           0.00001,
		CloseCooldown:       5 * time.Second,
		CloseExplicitProb:   0.3,
		PartialReadProb:     0.01,
		PartialWriteProb:    0.01,
		ConnectFailProb:     0.01,
		ConnectHangProb:     0.5,
		MaxClockSkew:        100 * time.Millisecond,
		MaxClockDrift:       0.00005,
		SleepDelayProb:      0.25,
		MaxSleepDelay:       100 * time.Millisecond,

		MaxDatagramSize:      DefaultMaxDatagramSize,
		DatagramBuffer:       DefaultDatagramBuffer,
		DatagramLossProb:     0.01,
		DatagramDupProb:      0.001,
		DatagramReorderProb:  0.01,
		DatagramReorderDelay: Range{time.Millisecond, 10 * time.Millisecond},
	}
}

// NoNetworkFaults returns [DefaultNetwork] with every fault off: packets
// still take between 50µs and 400µs, and nothing else goes wrong.
func NoNetworkFaults() Network { return DefaultNetwork().NoFaults() }

// HasFaults reports whether c injects any of the faults that
// [Network.NoFaults] drops: whether it is other than c.NoFaults().
func (c Network) HasFaults() bool { return !reflect.DeepEqual(c, c.NoFaults()) }

// NoFaults returns c with every fault off. It keeps the fast mode of the
// latency, the buffer sizes and the datagram size limit, and drops the
// slow tail, the per-pair latency, partitions, clogs, random closes,
// partial reads and writes, bit flips, connect failures, clock skew and
// drift, delayed sleeps, and the loss, duplication and reordering of
// datagrams. It keeps ZoneLatency and DataCenterLatency, which are no
// faults.
func (c Network) NoFaults() Network {
	return Network{
		Latency: Latency{
			Shape: c.Latency.Shape,
			Fast:  c.Latency.Fast,
			Mean:  c.Latency.Mean,
		},
		ZoneLatency:       c.ZoneLatency,
		DataCenterLatency: c.DataCenterLatency,
		SendBuffer:        c.SendBuffer,
		Backlog:           c.Backlog,
		MaxDatagramSize:   c.MaxDatagramSize,
		DatagramBuffer:    c.DatagramBuffer,
	}
}

// Spike returns c with its clogs and partitions pushed to extremes: clogs
// a hundred times as likely (ClogProb at most 1) and ten times as long,
// partitions ten times as frequent (PartitionInterval at least
// [MinInterval]) and ten times as long, every duration at most
// [MaxDuration]. With the defaults, a write clogs its link for 1-3 s once
// in a hundred, and a partition of 2-20 s comes every 6 s on average. A fault that is off in c stays off: a spike makes a
// faulty network worse, it does not make a perfect one faulty.
// [Config].SpikeProb spikes some seeds at random.
func (c Network) Spike() Network {
	grow := func(d time.Duration, f int64) time.Duration {
		if d > MaxDuration/time.Duration(f) {
			return MaxDuration
		}
		return d * time.Duration(f)
	}
	if c.ClogProb > 0 {
		c.ClogProb = min(c.ClogProb*100, 1)
		c.ClogDuration = Range{grow(c.ClogDuration.Min, 10), grow(c.ClogDuration.Max, 10)}
	}
	if c.PartitionInterval > 0 {
		c.PartitionInterval = max(c.PartitionInterval/10, MinInterval)
		c.PartitionDuration = Range{grow(c.PartitionDuration.Min, 10), grow(c.PartitionDuration.Max, 10)}
	}
	return c
}

// RandomNetwork returns [DefaultNetwork] with Randomize set: each seed
// draws its own settings from the run's random stream (see [Network.Draw]).
func RandomNetwork() Network {
	c := DefaultNetwork()
	c.Randomize = true
	return c
}

// Draw returns c with its fault settings drawn from src, as a seed does
// first thing in its run when Randomize is set, and as [Config.ForSeed]
// does under [Random]. In the order below, it draws whether each fault
// family is on (probability 1/2, so that some seeds see only one kind of
// trouble), then that family's intensity:
//
//  1. latency: Fast.Min in [10µs, 200µs) and the fast mode's width in [0,
//     2ms) (no on/off draw: latency is always on); exponential with
//     probability 1/2, with Mean a quarter of the width and Fast.Max four
//     widths above Fast.Min; then the slow tail: Slow.Min at Fast.Max, and
//     SlowProb in [0.001, 0.01) and Slow.Max in [10ms, 200ms) above
//     Slow.Min;
//  2. MaxPairLatency in [0, 2ms);
//  3. partitions: PartitionInterval in [5s, 60s), PartitionDuration.Min in
//     [100ms, 1s), PartitionDuration.Max in [Min, Min+5s),
//     PartitionOneWayProb in [0, 0.5);
//  4. clogs: ClogProb in [0.00001, 0.001);
//  5. random closes: CloseProb in [0.000001, 0.0001), CloseCooldown in [1s,
//     10s), CloseExplicitProb in [0.2, 0.4);
//  6. partial reads and writes: each probability in [0, 0.2);
//  7. bit flips: BitFlipProb in [0.00001, 0.0002);
//  8. connect failures: ConnectFailProb in [0.001, 0.05), ConnectHangProb
//     in [0, 1);
//  9. clocks: MaxClockSkew in [0, 200ms), MaxClockDrift in [0, 0.0002);
//  10. delayed sleeps: SleepDelayProb in [0.1, 0.4), MaxSleepDelay in
//     [10ms, 200ms);
//  11. datagram loss: DatagramLossProb in [0.001, 0.1);
//  12. datagram duplication: DatagramDupProb in [0.0001, 0.01);
//  13. datagram reordering: DatagramReorderProb in [0.001, 0.05), and
//     DatagramReorderDelay [1ms, 1ms+d] with d in [1ms, 50ms).
//
// The datagram families come last, so that the draws of the others are
// those they were before datagrams existed.
//
// Each on/off choice is one draw, and each intensity one more, so the
// number of values drawn depends on which families are on. A family that is
// off injects nothing, as in [Network.NoFaults]: the settings that turn
// it on are zero (SlowProb, MaxPairLatency, PartitionInterval, ClogProb,
// CloseProb, PartialReadProb and PartialWriteProb, BitFlipProb,
// ConnectFailProb, MaxClockSkew and MaxClockDrift, SleepDelayProb,
// DatagramLossProb, DatagramDupProb, DatagramReorderProb). The settings
// that only shape a family's faults keep c's values while it is off
// (CloseCooldown, CloseExplicitProb, ConnectHangProb, MaxSleepDelay,
// DatagramReorderDelay), and those never drawn keep them always
// (ClogDuration, SendBuffer, Backlog, ClockDriftAtBoundProb, the datagram
// size limits, ZoneLatency and DataCenterLatency). The result has
// Randomize cleared.
func (c Network) Draw(src rand.Source) Network {
	r := drawer{src}

	c.Latency.Shape, c.Latency.Mean = LatencyUniform, 0
	c.Latency.Fast.Min = r.dur(10*time.Microsecond, 200*time.Microsecond)
	width := r.dur(0, 2*time.Millisecond)
	c.Latency.Fast.Max = c.Latency.Fast.Min + width
	if r.coin() {
		c.Latency.Shape = LatencyExponential
		c.Latency.Mean = max(width/4, time.Microsecond)
		c.Latency.Fast.Max = c.Latency.Fast.Min + 4*max(width, time.Microsecond)
	}
	if r.coin() {
		c.Latency.SlowProb = r.prob(0.001, 0.01)
		c.Latency.Slow.Min = c.Latency.Fast.Max
		c.Latency.Slow.Max = c.Latency.Slow.Min + r.dur(10*time.Millisecond, 200*time.Millisecond)
	} else {
		c.Latency.SlowProb, c.Latency.Slow = 0, Range{}
	}
	c.MaxPairLatency = 0
	if r.coin() {
		c.MaxPairLatency = r.dur(0, 2*time.Millisecond)
	}
	c.PartitionInterval, c.PartitionDuration, c.PartitionOneWayProb = 0, Range{}, 0
	if r.coin() {
		c.PartitionInterval = r.dur(5*time.Second, 60*time.Second)
		c.PartitionDuration.Min = r.dur(100*time.Millisecond, time.Second)
		c.PartitionDuration.Max = c.PartitionDuration.Min + r.dur(0, 5*time.Second)
		c.PartitionOneWayProb = r.prob(0, 0.5)
	}
	c.ClogProb = 0
	if r.coin() {
		c.ClogProb = r.prob(0.00001, 0.001)
	}
	c.CloseProb = 0
	if r.coin() {
		c.CloseProb = r.prob(0.000001, 0.0001)
		c.CloseCooldown = r.dur(time.Second, 10*time.Second)
		c.CloseExplicitProb = r.prob(0.2, 0.4)
	}
	c.PartialReadProb, c.PartialWriteProb = 0, 0
	if r.coin() {
		c.PartialReadProb = r.prob(0, 0.2)
		c.PartialWriteProb = r.prob(0, 0.2)
	}
	c.BitFlipProb = 0
	if r.coin() {
		c.BitFlipProb = r.prob(0.00001, 0.0002)
	}
	c.ConnectFailProb = 0
	if r.coin() {
		c.ConnectFailProb = r.prob(0.001, 0.05)
		c.ConnectHangProb = r.prob(0, 1)
	}
	c.MaxClockSkew, c.MaxClockDrift = 0, 0
	if r.coin() {
		c.MaxClockSkew = r.dur(0, 200*time.Millisecond)
		c.MaxClockDrift = r.prob(0, 0.0002)
	}
	c.SleepDelayProb = 0
	if r.coin() {
		c.SleepDelayProb = r.prob(0.1, 0.4)
		c.MaxSleepDelay = r.dur(10*time.Millisecond, 200*time.Millisecond)
	}
	c.DatagramLossProb = 0
	if r.coin() {
		c.DatagramLossProb = r.prob(0.001, 0.1)
	}
	c.DatagramDupProb = 0
	if r.coin() {
		c.DatagramDupProb = r.prob(0.0001, 0.01)
	}
	c.DatagramReorderProb = 0
	if r.coin() {
		c.DatagramReorderProb = r.prob(0.001, 0.05)
		c.DatagramReorderDelay = Range{time.Millisecond, time.Millisecond + r.dur(time.Millisecond, 50*time.Millisecond)}
	}
	c.Randomize = false
	return c
}

// EffectiveDatagramMaxSize is the largest datagram payload c lets through:
// MaxDatagramSize, or DefaultMaxDatagramSize when that is zero.
func (c Network) maxDatagramSize() int {
	if c.MaxDatagramSize == 0 {
		return DefaultMaxDatagramSize
	}
	return c.MaxDatagramSize
}

// drawer turns a source's values into the draws Network.Draw documents,
// one value per draw.
type drawer struct{ src rand.Source }

func (d drawer) unit() float64 { return float64(d.src.Uint64()>>11) / (1 << 53) }
func (d drawer) coin() bool    { return d.src.Uint64()>>63 == 1 }

func (d drawer) prob(lo, hi float64) float64 { return lo + float64((hi-lo)*d.unit()) }

func (d drawer) dur(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(float64(float64(hi-lo)*d.unit()))
}

// Validate reports every setting of c that cannot work, each named by its
// field, joined in one error; it returns nil for a usable configuration.
func (c Network) Validate() error { return c.validate(c.Randomize) }

// validate is Validate, told whether the settings will be drawn per seed
// (see [Network.Draw]), which can switch clogs on whatever ClogProb says.
func (c Network) validate(drawn bool) error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("chaos.Network."+format, args...))
	}
	prob := func(name string, p float64) {
		if !(p >= 0 && p <= 1) { // written so that NaN fails too
			bad("%s is %v; a probability must be between 0 and 1 (0 turns the fault off)", name, p)
		}
	}
	nonNeg := func(name string, d time.Duration) {
		switch {
		case d < 0:
			bad("%s is %v; a duration must not be negative", name, d)
		case d > MaxDuration:
			bad("%s is %v; a duration is at most chaos.MaxDuration (%v)", name, d, MaxDuration)
		}
	}
	span := func(name string, r Range) {
		if err := r.check(); err != "" {
			bad("%s is [%v, %v]; %s", name, r.Min, r.Max, err)
		}
	}

	l := c.Latency
	span("Latency.Fast", l.Fast)
	nonNeg("Latency.Mean", l.Mean)
	switch l.Shape {
	case LatencyUniform:
	case LatencyExponential:
		if l.Mean == 0 {
			bad("Latency.Mean is 0s but Latency.Shape is %v; an exponential latency needs a positive mean", l.Shape)
		}
	default:
		bad("Latency.Shape is %v; use LatencyUniform or LatencyExponential", l.Shape)
	}
	prob("Latency.SlowProb", l.SlowProb)
	span("Latency.Slow", l.Slow)
	// A slow tail of no delay would make its packets the fastest of all.
	if l.SlowProb > 0 && l.Slow.isZero() {
		bad("Latency.Slow is [0s, 0s] but Latency.SlowProb is %v; give slow packets a positive delay, or set SlowProb to 0 to turn the slow tail off", l.SlowProb)
	}
	nonNeg("MaxPairLatency", c.MaxPairLatency)
	for _, l := range []struct {
		name, between string
		d             time.Duration
	}{{"ZoneLatency", "zones", c.ZoneLatency}, {"DataCenterLatency", "data centers", c.DataCenterLatency}} {
		if l.d < 0 {
			bad("%s is %v; it is the delay added between %s and cannot be negative: use a positive duration, or 0 for none", l.name, l.d, l.between)
		} else {
			nonNeg(l.name, l.d)
		}
	}
	if c.SendBuffer < 0 {
		bad("SendBuffer is %d; use a positive size in bytes, or 0 for the default (%d)", c.SendBuffer, DefaultSendBuffer)
	}
	if c.Backlog < 0 {
		bad("Backlog is %d; use a positive count, or 0 for the default (%d)", c.Backlog, DefaultBacklog)
	}

	nonNeg("PartitionInterval", c.PartitionInterval)
	if c.PartitionInterval > 0 && c.PartitionInterval < MinInterval {
		bad("PartitionInterval is %v; random partitions come at least chaos.MinInterval (%v) apart on average, so that they cannot pile up at one instant: raise it to %v or more, or set it to 0 to turn them off", c.PartitionInterval, MinInterval, MinInterval)
	}
	span("PartitionDuration", c.PartitionDuration)
	if c.PartitionInterval > 0 && c.PartitionDuration.Max <= 0 {
		bad("PartitionDuration.Max is %v but PartitionInterval is %v; give partitions a positive length, or set PartitionInterval to 0 to turn them off", c.PartitionDuration.Max, c.PartitionInterval)
	}
	prob("PartitionOneWayProb", c.PartitionOneWayProb)

	prob("ClogProb", c.ClogProb)
	span("ClogDuration", c.ClogDuration)
	switch {
	case c.ClogProb > 0 && c.ClogDuration.Max <= 0:
		bad("ClogDuration.Max is %v but ClogProb is %v; give clogs a positive length, or set ClogProb to 0 to turn them off", c.ClogDuration.Max, c.ClogProb)
	case drawn && c.ClogDuration.Max <= 0:
		bad("ClogDuration.Max is %v but the settings are drawn per seed (Randomize), which may switch clogs on; give clogs a positive length", c.ClogDuration.Max)
	}

	prob("CloseProb", c.CloseProb)
	nonNeg("CloseCooldown", c.CloseCooldown)
	prob("CloseExplicitProb", c.CloseExplicitProb)
	prob("PartialReadProb", c.PartialReadProb)
	prob("PartialWriteProb", c.PartialWriteProb)
	prob("BitFlipProb", c.BitFlipProb)
	prob("ConnectFailProb", c.ConnectFailProb)
	prob("ConnectHangProb", c.ConnectHangProb)

	nonNeg("MaxClockSkew", c.MaxClockSkew)
	if !(c.MaxClockDrift >= 0 && c.MaxClockDrift <= 0.5) { // written so that NaN fails too
		bad("MaxClockDrift is %v; a clock's rate error must be between 0 and 0.5 (0.0001 is 100 ppm)", c.MaxClockDrift)
	}
	prob("ClockDriftAtBoundProb", c.ClockDriftAtBoundProb)
	prob("SleepDelayProb", c.SleepDelayProb)
	nonNeg("MaxSleepDelay", c.MaxSleepDelay)

	switch {
	case c.MaxDatagramSize < 0:
		bad("MaxDatagramSize is %d; use a positive size in bytes, or 0 for the default (%d)", c.MaxDatagramSize, DefaultMaxDatagramSize)
	case c.MaxDatagramSize > MaxUDPPayload:
		bad("MaxDatagramSize is %d; a UDP datagram carries at most chaos.MaxUDPPayload (%d) bytes", c.MaxDatagramSize, MaxUDPPayload)
	}
	switch {
	case c.DatagramBuffer < 0:
		bad("DatagramBuffer is %d; use a positive size in bytes, or 0 for the default (%d)", c.DatagramBuffer, DefaultDatagramBuffer)
	case c.MaxDatagramSize >= 0 && c.MaxDatagramSize <= MaxUDPPayload && c.DatagramBuffer > 0 && c.DatagramBuffer < c.maxDatagramSize():
		bad("DatagramBuffer is %d, less than the largest datagram (%d bytes, MaxDatagramSize); a socket must hold at least one datagram: raise DatagramBuffer or lower MaxDatagramSize", c.DatagramBuffer, c.maxDatagramSize())
	}
	prob("DatagramLossProb", c.DatagramLossProb)
	prob("DatagramDupProb", c.DatagramDupProb)
	prob("DatagramReorderProb", c.DatagramReorderProb)
	if msg := c.DatagramReorderDelay.check(); msg != "" {
		bad("DatagramReorderDelay is [%v, %v]; %s", c.DatagramReorderDelay.Min, c.DatagramReorderDelay.Max, msg)
	} else if c.DatagramReorderProb > 0 && c.DatagramReorderDelay.Max <= 0 {
		bad("DatagramReorderDelay is [0s, 0s] but DatagramReorderProb is %v; give reordering a positive delay, or set DatagramReorderProb to 0 to turn it off", c.DatagramReorderProb)
	}
	return errors.Join(errs...)
}
