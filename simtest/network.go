package simtest

import (
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/simnet"
	"github.com/moonpool-go/moonpool/providers"
)

// DriverHost is the network address of the test driver: the host behind
// the Network of [S.Providers]. Its clock is simulated time itself, with no
// skew, drift or delayed sleeps, so that deadlines the driver computes mean
// what they say.
const DriverHost = "10.0.0.254"

// Network sets the network faults of every seed: the Network part of the
// chaos configuration, [chaos.DefaultNetwork] unless [Chaos] says
// otherwise. [chaos.NoNetworkFaults] turns them off. It replaces the
// network part of [Chaos]'s configuration whether it comes before or
// after it among the options. Under Randomize ([chaos.Random] or
// [chaos.RandomNetwork]) each seed draws its settings from it (see
// [chaos.Network.Draw]). A configuration that does not validate, alone or
// with the rest of [Chaos]'s, fails the test before any seed runs.
func Network(cfg chaos.Network) Option {
	return optionFunc(func(c *config) error {
		if err := cfg.Validate(); err != nil {
			return fmt.Errorf("simtest.Network: %w", err)
		}
		c.network = &cfg
		return nil
	})
}

// attachNetwork makes the seed's network from its chaos configuration and
// gives the driver its host. It draws nothing from the seed's stream.
func (s *S) attachNetwork() {
	n, err := simnet.New(s.w, s.chaos.Network)
	if err != nil {
		panic(fmt.Sprintf("simtest: the seed's network configuration does not validate: %v", err))
	}
	s.net = n
	drv := n.SteadyHost(DriverHost)
	drv.SetLabel("driver")
	drv.OnOpen(func(op string) {
		// A process on the driver's host would listen where the driver
		// listens, and dial past its own host's partitions: its code
		// holds the driver's providers, not its own.
		if p := s.w.CurrentProcess(); p != "" {
			if s.config == nil {
				s.config = &configErr{where: codeSite()}
			}
			s.configErrorf("simtest: process %s called Network.%s on the test driver's host (%s), with the driver's providers (S.Providers, or those a workload is given): "+
				"a process's code uses the providers its Run is given, which are its own host's; look for a New or factory that took the driver's", p, op, DriverHost)
		}
	})
	s.p.Network = drv
}

// network returns the seed's network, which runner.once attaches before
// anything else can use it.
func (s *S) network() *simnet.Net {
	if s.net == nil {
		panic("simtest: the seed's network is used before attachNetwork made it")
	}
	return s.net
}

// byHand runs fn, which makes a fault of the test's own (an Injector's,
// or a call of Cluster, Net or Disk) and tells it at once: the faults line
// counts the faults its entries tell apart from the chaos configuration's.
// fn must not wait, or another task's faults meanwhile would count as the
// test's.
func (s *S) byHand(fn func()) {
	o := s.obs
	if o == nil || o.hand {
		fn()
		return
	}
	o.hand = true
	defer func() { o.hand = false }()
	fn()
}

// faultEvent tells a fault in the timeline, as the test's own when hand
// is set (byHand).
func (s *S) faultEvent(hand bool, key, msg string) {
	if hand {
		s.byHand(func() { s.w.EventKeyed("", key, msg) })
		return
	}
	s.w.EventKeyed("", key, msg)
}

// HostProviders returns the driver's providers as seen from another host,
// made on first use: its Network, and its Time, a clock with the skew,
// drift and delayed sleeps that the seed's network configuration draws for
// it. Random is the driver's. host is an IP literal such as "10.0.0.1" or
// a name of letters, digits, '-', '.' and '_'.
//
// Code started with these providers runs as if on that host: a server that
// listens with them is dialled at host:port, and a partition that cuts host
// off cuts it off. Their Task starts the driver's tasks named after the
// host ("client-0/rpc peer kv-0:4500"), as a process's are named after
// it, and what those tasks start is the host's too: the timeline's entries
// of those tasks, and the records of their Logger, carry host as their
// process, the HTML timeline draws them on host's lane, and the text
// timeline names host before a driver's task that logged through that
// Logger ("client-0/workload client 0"). Attrition
// never ends them, nor does the crash of a process whose task started
// them with these providers: they are the host's. Their Cluster tells the cluster's processes, once
// [S.Boot] booted some, and names host as its Self; it keeps no
// readiness.
//
// A context keeps reporting its deadline on the clock that made it: one
// made on the driver's clock reads in simulated time, not on host's clock.
// A time-out made with these providers' Time under it reports the same end
// on host's clock, as a connection's SetDeadline there takes it. A
// process's host that shares a machine reads the machine's clock once the
// process first comes up: ask for its providers after the cluster booted
// it. [DriverHost] gives the driver's own providers.
func (s *S) HostProviders(host string) providers.Providers {
	h := s.network().Host(host)
	if host == DriverHost {
		p := s.workloadProviders()
		p.Network = h
		p.Time = h.Time()
		return p
	}
	p := s.p
	p.Network = h
	p.Time = h.Time()
	g := s.hostTasks[host]
	if g == nil {
		if s.hostTasks == nil {
			s.hostTasks = map[string]*sim.Group{}
		}
		g = s.w.NewGroup(host)
		s.hostTasks[host] = g
	}
	p.Task = g.Task()
	p.Logger = slog.New(&timelineHandler{w: s.w, host: host})
	p.Cluster = hostView{s: s, self: providers.Peer{Name: host, Host: host, Locality: s.localityOf(host)}}
	return p
}

// localityOf is where host is: where S.HostProvidersIn placed it, or the
// locality of the process whose host it is; zero for a host placed by
// neither.
func (s *S) localityOf(host string) providers.Locality {
	if loc, ok := s.placed[host]; ok {
		return loc
	}
	if p := s.procOnHost(host); p != nil {
		return p.peer.Locality
	}
	return providers.Locality{}
}

// procOnHost is the process whose host is host, nil for none.
func (s *S) procOnHost(host string) *proc {
	if c := s.cluster; c != nil {
		for _, p := range c.procs {
			if p.peer.Host == host {
				return p
			}
		}
	}
	return nil
}

// HostProvidersIn is [S.HostProviders] for a host placed in loc's zone
// and data center, as a process of a [Topology] is placed: a client of a
// zone beside the servers the Topology put there. A random partition of
// that zone cuts the host off with them, the network's
// [chaos.Network.ZoneLatency] and DataCenterLatency delay its packets to
// other zones as theirs, and its Cluster's Self reports loc, for a client
// that prefers the replicas of its own zone. Name the zone and data center
// as the Topology does ("dc0-z1", "dc0"): a zone or data center the
// cluster lacks is a configuration error, when the host is placed after
// Boot or, for one placed before, at Boot. loc's Machine is no machine of
// the cluster's (the host shares no disk nor clock), and a reboot of the
// zone ([Cluster.RebootUnit]) does not reach the host, which is no
// process. Placing a host twice elsewhere, or a process's host, is a
// configuration error.
func (s *S) HostProvidersIn(host string, loc providers.Locality) providers.Providers {
	switch at, ok := s.placed[host]; {
	case host == DriverHost:
		s.configErrorf("simtest: S.HostProvidersIn(%q, ...): the driver's host is placed nowhere; place a host of its own (\"client-0\") and run the client's tasks with its providers", host)
	case ok && at != loc:
		s.configErrorf("simtest: S.HostProvidersIn(%q, %+v): the host is placed in %+v already; a host stays where it was first placed", host, loc, at)
	case loc.Zone == "" && loc.DataCenter == "":
		s.configErrorf("simtest: S.HostProvidersIn(%q, %+v): the locality names no zone and no data center; name the Topology's (\"dc0-z1\", \"dc0\"), or use S.HostProviders for a host placed nowhere", host, loc)
	}
	if p := s.procOnHost(host); p != nil {
		s.configErrorf("simtest: S.HostProvidersIn(%q, ...): %s is the host of process %s, which its Processes place; give the client a host of its own", host, host, p.peer.Name)
	}
	if c := s.cluster; c != nil {
		if err := c.checkPlaced(host, loc); err != nil {
			s.configError(err)
		}
	}
	if s.placed == nil {
		s.placed = map[string]providers.Locality{}
	}
	s.placed[host] = loc
	s.network().Host(host).SetLocality(loc.DataCenter, loc.Zone)
	return s.HostProviders(host)
}

// checkPlaced says what is wrong with host's placement in loc for the
// cluster as booted so far: a zone or data center its processes are not
// in, or a zone placed in another data center than its own.
func (c *Cluster) checkPlaced(host string, loc providers.Locality) error {
	var zones, dcs []string
	zoneDC := map[string]string{}
	for _, p := range c.procs {
		l := p.peer.Locality
		if l.Zone != "" && !slices.Contains(zones, l.Zone) {
			zones = append(zones, l.Zone)
			zoneDC[l.Zone] = l.DataCenter
		}
		if l.DataCenter != "" && !slices.Contains(dcs, l.DataCenter) {
			dcs = append(dcs, l.DataCenter)
		}
	}
	where := fmt.Sprintf("simtest: S.HostProvidersIn(%q, %+v)", host, loc)
	if dc, ok := topologyDataCenter(loc.Zone); ok && loc.DataCenter != "" && dc != loc.DataCenter {
		// Whatever the cluster holds: a Topology's zone is in the data
		// center its name begins with.
		return noLaterBoot{fmt.Errorf("%s: zone %q is in data center %q; name its own, or leave DataCenter empty", where, loc.Zone, dc)}
	}
	switch {
	case len(zones) == 0 && len(dcs) == 0:
		return fmt.Errorf("%s: the cluster's processes are in no zone nor data center; give their Processes a Topology, or use S.HostProviders for a host placed nowhere", where)
	case loc.Zone != "" && !slices.Contains(zones, loc.Zone):
		err := fmt.Errorf("%s: the cluster has no zone %q; its zones are %v (Cluster.Units(chaos.Zone))", where, loc.Zone, zones)
		if _, ok := topologyDataCenter(loc.Zone); !ok {
			return noLaterBoot{err} // no Topology names a zone so
		}
		return err
	case loc.DataCenter != "" && !slices.Contains(dcs, loc.DataCenter):
		err := fmt.Errorf("%s: the cluster has no data center %q; its data centers are %v (Cluster.Units(chaos.DataCenter))", where, loc.DataCenter, dcs)
		if !isNumbered(loc.DataCenter, "dc") {
			return noLaterBoot{err}
		}
		return err
	case loc.Zone != "" && loc.DataCenter != "" && zoneDC[loc.Zone] != loc.DataCenter:
		return noLaterBoot{fmt.Errorf("%s: zone %q is in data center %q; name its own, or leave DataCenter empty", where, loc.Zone, zoneDC[loc.Zone])}
	}
	return nil
}

// noLaterBoot is a placement error that no later Boot could mend: a
// zone's data center is the one its name says, and a zone or data center
// no Topology would name is in no cluster.
type noLaterBoot struct{ error }

// topologyDataCenter returns the data center of zone, a zone's name as
// a Topology makes it ("dc1-z0" is in "dc1"), and whether it is one.
func topologyDataCenter(zone string) (string, bool) {
	dc, z, ok := strings.Cut(zone, "-z")
	if !ok || !isNumbered(dc, "dc") || !isNumbered("z"+z, "z") {
		return "", false
	}
	return dc, true
}

// isNumbered reports whether s is prefix and a number: "dc12".
func isNumbered(s, prefix string) bool {
	n, ok := strings.CutPrefix(s, prefix)
	return ok && n != "" && strings.Trim(n, "0123456789") == ""
}

// hostView is the Cluster of [S.HostProviders]: the cluster's processes,
// seen from a host of none of them.
type hostView struct {
	s    *S
	self providers.Peer
}

func (v hostView) Self() providers.Peer { return v.self }
func (v hostView) Boot() providers.Boot { return providers.FirstBoot }

func (v hostView) Peers() []providers.Peer {
	if v.s.cluster == nil {
		return nil
	}
	return v.s.cluster.Peers()
}

// Network returns the seed's simulated network, to cut, clog and heal by
// hand, as [S.Disk] returns a disk to crash.
func (s *S) Network() *Net { return &Net{s: s} }

// Net is the seed's simulated network: its hosts and the faults in force.
// Its faults are described on [chaos.Network]; the hosts named here are
// made on first use, as [S.HostProviders] makes them.
type Net struct{ s *S }

// Hosts returns the names of the network's hosts, in the order they were
// made: [DriverHost] first, then each process's host and each host that
// [S.HostProviders] or a fault named.
func (n *Net) Hosts() []string { return n.s.network().Hosts() }

// Config returns the configuration the network acts on now: the seed's,
// with its per-seed draws made (see [chaos.Network.Draw]), and every fault
// off after [Net.Quiesce].
func (n *Net) Config() chaos.Network { return n.s.network().Config() }

// Partition cuts every host of a from every host of b, both ways, until
// [Net.Heal]. Packets across the cut wait, in order, and go on at their
// sender's next retransmission after the heal, as TCP's would (200 ms
// after the send, backing off: a write held 2 s goes on at 3 s);
// connects across it wait too, for the next retransmission of the SYN,
// and fail with ETIMEDOUT, as on Linux, if it lasts past the last one,
// 67 s after the first. An idle connection across it is dropped by its
// ends' keep-alive probes, on by default as in Go, 150 s after they last
// heard from each other.
func (n *Net) Partition(a, b []string) {
	n.s.byHand(func() { n.s.network().Partition(a, b) })
}

// PartitionOneWay cuts the packets from every host of from to every host
// of to, until [Net.Heal]; the other direction still flows.
func (n *Net) PartitionOneWay(from, to []string) {
	n.s.byHand(func() { n.s.network().PartitionOneWay(from, to) })
}

// Isolate cuts host from every other host until [Net.Heal].
func (n *Net) Isolate(host string) {
	n.s.byHand(func() { n.s.network().Isolate(host) })
}

// Clog holds the packets from host from to host to for d of simulated
// time: they arrive, in order, when the clog ends. d is zero (no clog) or
// more, and at most [chaos.MaxDuration]; to hold packets until [Net.Heal],
// use [Net.PartitionOneWay].
func (n *Net) Clog(from, to string, d time.Duration) {
	if d < 0 || d > chaos.MaxDuration {
		n.s.Fatalf("simtest: Net.Clog(%q, %q, %v): a clog lasts zero or more, and at most chaos.MaxDuration (%v); to hold packets until Heal, use PartitionOneWay", from, to, d, chaos.MaxDuration)
	}
	n.s.byHand(func() { n.s.network().Clog(from, to, d) })
}

// Slow adds extra to the latency of every packet from host from to host
// to, until [Net.Heal]: a slow link, a congested route or a downstream
// that answers late, where a clog holds packets and then lets them all go.
// Slow both ways by calling it for each direction. The last extra set for
// a pair replaces the one before, and 0 ends it; extra is at most
// [chaos.MaxDuration]. A connection's data still arrives in order. It is
// a fault, counted and healed; for the lasting latency between zones or
// data centers, set [chaos.Network].ZoneLatency and DataCenterLatency.
func (n *Net) Slow(from, to string, extra time.Duration) {
	if extra < 0 || extra > chaos.MaxDuration {
		n.s.Fatalf("simtest: Net.Slow(%q, %q, %v): a slow link adds zero (none) or more, and at most chaos.MaxDuration (%v)", from, to, extra, chaos.MaxDuration)
	}
	n.s.byHand(func() { n.s.network().Slow(from, to, extra) })
}

// Heal ends every partition, isolation, clog and slow link, manual or
// random, and the hang of every connect that a connect fault hangs (it
// goes on at its next retransmission of the SYN). Random partitions go on
// being drawn; see [Net.Quiesce]. The latency between zones and data
// centers ([chaos.Network].ZoneLatency) is no fault and stays.
func (n *Net) Heal() { n.s.network().Heal() }

// HealBetween ends the partitions, clogs and slow links made by hand
// between every host of a and every host of b, both ways: an injector
// lifts its own partition while another stays. Isolated hosts, random
// partitions and faults between other pairs stay, until [Net.Heal].
func (n *Net) HealBetween(a, b []string) { n.s.network().HealBetween(a, b) }

// Quiesce heals the network and turns its faults off for the rest of the
// seed; latency stays. A workload calls it before checking that the
// system recovers.
func (n *Net) Quiesce() { n.s.network().Quiesce() }

// codeSite is the place, "file:line", of the first frame of the caller's
// stack that is the code's own rather than the library's (ownFrame), or ""
// when there is none.
func codeSite() string {
	var pcs [maxCallers]uintptr
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs[:])])
	for {
		f, more := frames.Next()
		if f.File != "" && ownFrame(f.Function) {
			return fmt.Sprintf("%s:%d", shortFile(f.File), f.Line)
		}
		if !more {
			return ""
		}
	}
}
