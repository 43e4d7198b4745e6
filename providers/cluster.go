package providers

import "slices"

// Peer is one process of a cluster as the others see it.
type Peer struct {
	Name string            // unique in the cluster, such as "kv-1"
	Host string            // the address to dial, without a port
	Tags map[string]string // free-form, such as "zone": "b"
	// Locality is where the process runs; zero when nothing placed it.
	Locality Locality
}

// Locality is where a process runs: a machine, in a zone (a failure
// domain such as a rack or an availability zone), in a data center. A
// system that keeps copies of its data reads its peers' localities to
// place them in different zones, so that one zone's outage cannot take
// every copy.
type Locality struct {
	DataCenter string
	Zone       string
	Machine    string
}

// Boot tells a process how it came to be running.
type Boot int

// The ways a process comes to run.
const (
	FirstBoot     Boot = iota // never ran before
	AfterGraceful             // stopped gracefully: asked to stop, then stopped
	AfterCrash                // killed at once: unsynced writes lost
	AfterWipe                 // killed and its disk erased
)

func (b Boot) String() string {
	switch b {
	case FirstBoot:
		return "first boot"
	case AfterGraceful:
		return "after a graceful stop"
	case AfterCrash:
		return "after a crash"
	case AfterWipe:
		return "after a wipe"
	}
	return "unknown boot"
}

// Cluster tells a process who it is, who its peers are, and how it was
// started. In a simulation each process gets its own; in production,
// [StaticCluster] builds one from configuration.
type Cluster interface {
	// Self is the calling process.
	Self() Peer
	// Peers lists every process of the cluster, the caller included, in
	// a stable order.
	Peers() []Peer
	// Boot says how this instance of the process came to run.
	Boot() Boot
}

// StaticCluster returns a Cluster of fixed membership, for production: self
// must be one of peers. It keeps its process's [Readiness], ready at first,
// for a readiness probe to read with [Ready].
func StaticCluster(self Peer, peers []Peer, boot Boot) Cluster {
	return staticCluster{self: self, peers: slices.Clone(peers), boot: boot, readiness: new(readiness)}
}

type staticCluster struct {
	self  Peer
	peers []Peer
	boot  Boot
	*readiness
}

func (c staticCluster) Self() Peer    { return c.self }
func (c staticCluster) Peers() []Peer { return slices.Clone(c.peers) }
func (c staticCluster) Boot() Boot    { return c.boot }
