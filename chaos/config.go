package chaos

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Config gathers every fault family of a simulation: the network, the
// disks, process reboots, and buggify. The presets:
//
//   - [Defaults]: every family on at the intensities of FoundationDB and
//     Moonpool, but for wipes and bit flips in TCP streams, which most
//     systems do not claim to survive.
//   - [Harsh]: [Defaults] with wipes and bit flips on.
//   - [Off]: nothing fails; the world is perfect.
//   - [Random]: [Defaults] with Randomize set, so that each seed draws its
//     own intensities and some seeds are gentle and some are brutal: the
//     network's settings (see [Network.Draw]), the storage's fault
//     probabilities (see [Storage.Draw]), whether attrition and buggify are
//     on, and buggify's ActivationProb (see [Config.ForSeed]). Attrition's
//     other settings and buggify's FireProb stay as the Config sets them.
//
// Swarm mode (Swarm true) goes further: for each seed, each family is
// switched off with probability one half, so that some seeds see only one
// kind of trouble, which lets rare interactions of one kind show. A
// network or disk switched off keeps its latencies and limits
// ([Network.NoFaults], [Storage.NoFaults]).
type Config struct {
	Network   Network
	Storage   Storage
	Attrition Attrition
	Buggify   BuggifyConfig
	// Swarm switches a random subset of the families off for each seed.
	Swarm bool
	// SwarmOff names, in a seed's configuration (what [Config.ForSeed]
	// returns, and simtest's S.ChaosConfig), the families that Swarm
	// switched off for that seed, of those that had faults on: "Network",
	// "Storage", "Attrition", "Buggify", in that order. ForSeed sets it,
	// whatever c holds; a Run reads it from no Config it is given.
	SwarmOff []string
	// Randomize makes each seed draw its own intensities for every
	// family, as [Random] does: see [Config.ForSeed].
	Randomize bool
	// SpikeProb is the probability that a seed's network spikes: its
	// clogs and partitions are pushed to extremes for the whole seed (see
	// [Network.Spike]), as a congested or flapping network does for an
	// afternoon. Bugs that need many faults close together show on such
	// seeds. Default 0 in every preset, which draws nothing, so that the
	// presets' seeds stay what they were; 0.05 spikes one seed in twenty.
	SpikeProb float64
}

// BuggifyConfig sets how [Buggify] sites behave.
type BuggifyConfig struct {
	// Enabled switches buggify on.
	Enabled bool
	// ActivationProb is the probability that a site is on for a whole
	// run, drawn when it is first reached. FoundationDB uses 0.25; 0.5
	// reaches more sites in fewer seeds.
	ActivationProb float64
	// FireProb is the probability that an on site fires each time it is
	// reached. FoundationDB uses 0.25.
	FireProb float64
}

// DefaultBuggify is buggify on: sites on with probability 0.5, firing with
// probability 0.25.
func DefaultBuggify() BuggifyConfig {
	return BuggifyConfig{Enabled: true, ActivationProb: 0.5, FireProb: 0.25}
}

// Attrition reboots processes while a workload runs. Every attempt, one
// process is picked and rebooted one of five ways, by weight: graceful
// (its context is cancelled, and it is killed if it has not returned after
// the grace period), crash (killed at once: unsynced writes lost, what its
// defers do while it unwinds has no effect, its connections closed by its
// host as TCP closes a dead process's), wipe (a crash that also erases its
// disk), power loss (a crash of its machine: its connections vanish in
// silence) or kill (a crash of the process alone, as kill -9: its
// unsynced writes stay, in the machine's page cache). It comes back after
// DownFor. An attempt may instead pause a process (Pause, 0 in every
// preset): it stops, as under SIGSTOP, a long GC pause or a VM's
// migration, for a length drawn from PauseFor, while time and its peers
// go on, and then runs on from where it stood; half of these pauses begin
// at once, half just after the process next reads its clock, between
// that read and what the process does with it. With Unit set to a
// machine, a zone or a data center, every process of the unit goes down
// and comes back at once, and its machines' disks take the reboot. A wipe
// or a power loss drawn for one process that shares its machine with
// others is a crash: they are the machine's.
//
// Every duration is at most [MaxDuration].
type Attrition struct {
	// Enabled switches attrition on.
	Enabled bool
	// MaxDead bounds how many processes may be down at once, counted from
	// the instant a reboot starts until the process is back; under a
	// Unit other than Process, how many units (machines, zones or data
	// centers) may have a process down at once. It bounds attrition's own
	// reboots: a restart a process asks for (providers.ErrRestart, as on a
	// failed sync), or a reboot by hand or by an injector, may take one
	// down beside those attrition has down, as a supervisor's restart does.
	MaxDead int
	// Unit is what one reboot takes down: one process (the zero value),
	// or every process of one machine, zone or data center at once. A
	// unit that holds a protected process (simtest's Processes.Protected)
	// is never picked; where every unit holds one, simtest's Cluster.Run
	// fails as a configuration error.
	Unit Unit
	// Graceful, Crash, Wipe, PowerLoss and Kill weigh the kinds of
	// reboot, and Pause a pause among them. Only their ratios matter:
	// each is finite and at least zero, at least one is positive, and
	// their sum is finite. A power loss is a crash of the whole machine:
	// its connections vanish without a FIN or a reset. A kill is kill -9
	// of the process, its machine still up: its unsynced writes stay in
	// the page cache. A pause stops every task of the process for
	// PauseFor, and counts against MaxDead while it lasts. Kill and
	// Pause are 0 in every preset. A process of a group that simtest's
	// Processes.PauseOnly marks is paused whatever kind is drawn for it.
	Graceful, Crash, Wipe, PowerLoss, Kill, Pause float64
	// Interval is the range of simulated time between two attempts. Its
	// Min is at least [MinInterval], so that attempts cannot pile up at
	// one instant.
	Interval Range
	// DownFor is the range of time a rebooted process stays down; zero
	// brings it back at once.
	DownFor Range
	// Grace is the range of time a graceful reboot waits before killing.
	// When Graceful is positive, its Max is too: a graceful stop needs
	// time to happen.
	Grace Range
	// CrashAtUnsyncedWriteProb is the probability that a crash or a power
	// loss that attrition draws strikes just after one of the process's
	// tasks next returns from a write, or a create, rename or remove, that
	// leaves a change on a disk unsynced, rather than at once: the crash
	// that tears the record a log wrote and had not yet synced, which a
	// crash at a random instant finds in few seeds. Once the process has
	// renamed a file whose data was unsynced, half of its aimed crashes
	// wait for its next such rename instead, and find the file in its new
	// place unwritten: the rename comes after the file's writes, so no aim
	// at the next change would reach it. With no such change within
	// Interval's Max, it strikes then;
	// one still waiting as the chaos phase ends is taken back, as a fault
	// drawn in the phase does not begin after it, and so is one whose
	// process a stop takes down first. Until it strikes, the process
	// counts as down against MaxDead. A wipe loses the disk whole and a
	// kill keeps its page cache, so neither is aimed. It aims one
	// process's crash: under a Unit other than Process it must be 0. Keep
	// it below 1 (0.5, say): at 1 no crash is left for the other windows
	// a crash finds, such as the one between an acknowledgement and its
	// sync (CrashPoint marks those). 0, the default and every preset's,
	// draws nothing.
	CrashAtUnsyncedWriteProb float64
	// PauseFor is the range of time a pause lasts: a stop-the-world
	// garbage collection of a large heap, a VM's live migration or a
	// SIGSTOP, 200 ms to 5 s in every preset. When Pause is positive, its
	// Max is too.
	PauseFor Range
	// Outages adds to these attempts a second, rarer stream, each of whose
	// attempts takes down one whole unit of Outages.Unit (a zone, a data
	// center) with every process in it: the mix of a fleet in which a
	// process goes down often and a zone now and then. Its zero value adds
	// none; set, it needs Enabled, as Validate says. An outage waits,
	// holding attrition's other attempts, until every process is up and
	// ready (but for those the test keeps down), and none of attrition's
	// other attempts takes anything down while it lasts: the cluster loses
	// one zone, or up to MaxDead of Unit, never both at once. Its kinds of
	// reboot, their weights, Grace and PauseFor are attrition's.
	Outages Outages
	// Swarm draws a regime of reboots for each seed: with probability
	// 1/4 the seed never reboots; otherwise it reboots only with a random
	// non-empty subset of the kinds whose weight is positive (every
	// subset equally likely), the other kinds' weights set to zero. Seeds
	// that only crash, or only lose power, show bugs that a mix hides
	// behind the gentler kinds. Default false.
	Swarm bool
}

// Outages are the occasional outages of a whole unit of failure that
// [Attrition].Outages adds to attrition's reboots.
type Outages struct {
	// Unit is what one outage takes down: Machine, Zone or DataCenter,
	// a unit larger than Attrition.Unit. Where one such unit holds every
	// process, each outage would take the whole cluster down, and
	// simtest's Cluster.Run fails as a configuration error.
	Unit Unit
	// Interval is the range of simulated time between two attempts; zero,
	// the default, adds no outages. Its Min is at least [MinInterval].
	Interval Range
	// DownFor is the range of time the unit stays down.
	DownFor Range
}

// On reports whether o adds outages: its Interval is set.
func (o Outages) On() bool { return o.Interval.Max > 0 }

// Unit is a unit of failure of a cluster's topology: what one reboot of
// [Attrition] takes down.
type Unit int

// The units of failure, from the smallest.
const (
	// Process reboots one process: the others on its machine go on.
	Process Unit = iota
	// Machine reboots every process of one machine, with its disk.
	Machine
	// Zone reboots every machine of one zone, such as a rack or an
	// availability zone.
	Zone
	// DataCenter reboots every machine of one data center.
	DataCenter
)

func (u Unit) String() string {
	switch u {
	case Process:
		return "process"
	case Machine:
		return "machine"
	case Zone:
		return "zone"
	case DataCenter:
		return "data center"
	}
	return fmt.Sprintf("Unit(%d)", int(u))
}

// Range is a closed range of durations; a value is drawn uniformly in it.
type Range struct{ Min, Max time.Duration }

// Draw returns a duration in r, drawn from src: one value, or none when
// Max is not above Min.
func (r Range) Draw(src rand.Source) time.Duration {
	if r.Max <= r.Min {
		return r.Min
	}
	// The width counted in uint64 cannot overflow; the draw is the one
	// Int64N makes for the same width.
	n := uint64(r.Max) - uint64(r.Min) + 1
	if n == 0 { // the whole of int64
		return time.Duration(src.Uint64())
	}
	return r.Min + time.Duration(rand.New(src).Uint64N(n))
}

// DefaultAttrition is one process down at most, a reboot attempt every 1-5
// s, down for 1-10 s, 2-5 s of grace, graceful, crash and power loss
// weighted 2:2:1, and no wipes. A power loss leaves its peers with
// half-open connections that only their own timeouts end, the case that
// systems most often leave untested, so it is on by default; it is rarer
// than a process crash, as in production. There are no wipes: a wipe is
// the loss of a disk, which a system that keeps a single copy of its data
// cannot survive, and which a replicated system survives only with a
// member-replacement protocol. [Harsh] adds wipes. Kills and pauses are
// off (Kill and Pause 0); a pause, when Pause is set, lasts 200 ms to 5 s.
func DefaultAttrition() Attrition {
	return Attrition{
		Enabled:  true,
		MaxDead:  1,
		Graceful: 2, Crash: 2, Wipe: 0, PowerLoss: 1,
		Interval: Range{time.Second, 5 * time.Second},
		DownFor:  Range{time.Second, 10 * time.Second},
		Grace:    Range{2 * time.Second, 5 * time.Second},
		PauseFor: Range{200 * time.Millisecond, 5 * time.Second},
	}
}

// Defaults returns every family on at its default intensity: no wipes and
// no bit flips in TCP streams ([Harsh] has them).
func Defaults() Config {
	return Config{
		Network:   DefaultNetwork(),
		Storage:   DefaultStorage(),
		Attrition: DefaultAttrition(),
		Buggify:   DefaultBuggify(),
	}
}

// Harsh returns [Defaults] with the two faults that most systems do not
// claim to survive switched on: wipes among the reboots (graceful, crash,
// wipe and power loss weighted 2:2:1:1), and bit flips in TCP streams
// ([Network.BitFlipProb] 0.0001 per write: TCP's checksum makes them rare
// in the wild, but a protocol that checksums its own frames should show it
// does). Use it for replicated systems that replace a member that lost its
// disk, and for wire formats with their own integrity checks.
func Harsh() Config {
	c := Defaults()
	c.Attrition.Wipe = 1
	c.Network.BitFlipProb = 0.0001
	return c
}

// Off returns a configuration in which nothing fails: no network or disk
// faults (latencies stay), no reboots, no buggify.
func Off() Config {
	return Config{
		Network: NoNetworkFaults(),
		Storage: NoStorageFaults(),
	}
}

// Random returns [Defaults] with Randomize set: each seed draws its own
// intensities (see [Config.ForSeed]). The network's faults are drawn
// afresh, bit flips in TCP streams among them ([Network.Draw]): about half
// the seeds have them, though Defaults has none. Wipes stay as Defaults
// has them, off.
func Random() Config {
	c := Defaults()
	c.Randomize = true
	return c
}

// ForSeed returns the configuration one seed runs with: c with the draws
// that Randomize asks for made from src, and then, in swarm mode, a random
// half of the families off. The draws, in order: the network's (see
// [Network.Draw]), when c or its Network has Randomize set; then, when c
// has, the storage's (see [Storage.Draw]), attrition on/off, buggify
// on/off and buggify's ActivationProb in [0.1, 0.9); then one draw per
// family for swarm mode (network, storage, attrition, buggify); then, when
// SpikeProb is positive, one draw for the spike (see [Network.Spike]); and
// last, when c.Attrition.Swarm is set, the regime of reboots: one draw for
// never rebooting, and one for the subset of kinds when the seed reboots
// (see [Attrition].Swarm). A draw that a setting does not ask for is not
// made, so that adding SpikeProb or Attrition.Swarm to a Config changes
// nothing of seeds that do not set them. The result has Randomize
// cleared, and its Network's too, and Attrition.Swarm cleared; its
// SpikeProb, when c's is positive, is 1 for a seed that spiked and 0 for
// one that did not, as a seed whose network has neither clogs nor
// partitions (one that Swarm switched off) does not; its SwarmOff names the families that swarm mode
// switched off, and is empty outside swarm mode.
func (c Config) ForSeed(src rand.Source) Config {
	out := c
	out.SwarmOff = nil
	if c.Randomize || c.Network.Randomize {
		out.Network = c.Network.Draw(src)
	}
	if c.Randomize {
		r := rand.New(src)
		out.Storage = c.Storage.Draw(r)
		out.Attrition.Enabled = r.IntN(2) == 0
		out.Buggify.Enabled = r.IntN(2) == 0
		out.Buggify.ActivationProb = 0.1 + 0.8*r.Float64()
		out.Randomize = false
	}
	if c.Swarm {
		r := rand.New(src)
		if r.IntN(2) == 0 {
			if out.Network.HasFaults() {
				out.SwarmOff = append(out.SwarmOff, "Network")
			}
			out.Network = out.Network.NoFaults()
		}
		if r.IntN(2) == 0 {
			if out.Storage.HasFaults() {
				out.SwarmOff = append(out.SwarmOff, "Storage")
			}
			out.Storage = out.Storage.NoFaults()
		}
		if r.IntN(2) == 0 {
			if out.Attrition.Enabled {
				out.SwarmOff = append(out.SwarmOff, "Attrition")
			}
			out.Attrition.Enabled = false
		}
		if r.IntN(2) == 0 {
			if out.Buggify.Enabled {
				out.SwarmOff = append(out.SwarmOff, "Buggify")
			}
			out.Buggify.Enabled = false
		}
	}
	if c.SpikeProb > 0 {
		out.SpikeProb = 0
		// A network with neither clogs nor partitions (Swarm switched it
		// off, or Randomize drew them off) has nothing to spike: the
		// draw is made all the same, and the seed does not spike.
		if n := out.Network; rand.New(src).Float64() < c.SpikeProb && (n.ClogProb > 0 || n.PartitionInterval > 0) {
			out.Network = n.Spike()
			out.SpikeProb = 1
		}
	}
	if c.Attrition.Swarm {
		out.Attrition = out.Attrition.swarm(rand.New(src))
	}
	return out
}

// swarm returns a with a regime of reboots drawn from r (see
// [Attrition].Swarm), and Swarm cleared.
func (a Attrition) swarm(r *rand.Rand) Attrition {
	a.Swarm = false
	if r.IntN(4) == 0 {
		a.Enabled = false
		return a
	}
	kinds := []*float64{&a.Graceful, &a.Crash, &a.Wipe, &a.PowerLoss, &a.Kill, &a.Pause}
	var on []*float64
	for _, w := range kinds {
		if *w > 0 {
			on = append(on, w)
		}
	}
	if len(on) == 0 {
		return a
	}
	keep := 1 + r.IntN(1<<len(on)-1) // a non-empty subset, as a bit mask
	for i, w := range on {
		if keep&(1<<i) == 0 {
			*w = 0
		}
	}
	return a
}

// The limits on a Config's settings, beyond those of their kind (a
// probability is in [0, 1], a duration is not negative).
const (
	// MinInterval is the least time between two events that recur on
	// their own: attrition's reboot attempts ([Attrition].Interval.Min)
	// and random partitions (the mean [Network].PartitionInterval).
	// Closer, they would fill simulated time and the run would make no
	// progress.
	MinInterval = time.Millisecond
	// MaxDuration bounds every duration of a Config: a year of simulated
	// time. A fault that waits longer never comes in a run, and the sums
	// the simulation makes of longer durations could overflow.
	MaxDuration = 365 * 24 * time.Hour
	// MaxThrottleFactor bounds [Storage].ThrottleFactor: a throttled disk
	// at most a million times slower.
	MaxThrottleFactor = 1e6
)

// Validate reports every setting that cannot work, each named by its
// field, joined in one error; it returns nil for a usable configuration.
// A family that is off is checked only for values that are wrong
// whatever they drive (NaN, infinities, negative or overlong durations),
// except under Randomize, which switches attrition on for some seeds.
func (c Config) Validate() error {
	var errs []error
	if err := c.Network.validate(c.Randomize || c.Network.Randomize); err != nil {
		errs = append(errs, err)
	}
	if err := c.Storage.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Attrition.validate(c.Attrition.Enabled || c.Randomize); err != nil {
		errs = append(errs, err)
	}
	if !(c.SpikeProb >= 0 && c.SpikeProb <= 1) {
		errs = append(errs, fmt.Errorf("chaos: SpikeProb is %v; a probability is in [0, 1]", c.SpikeProb))
	}
	b := c.Buggify
	if !(b.ActivationProb >= 0 && b.ActivationProb <= 1) { // written so that NaN fails too
		errs = append(errs, fmt.Errorf("chaos: Buggify.ActivationProb is %v; a probability is in [0, 1]", b.ActivationProb))
	}
	if !(b.FireProb >= 0 && b.FireProb <= 1) {
		errs = append(errs, fmt.Errorf("chaos: Buggify.FireProb is %v; a probability is in [0, 1]", b.FireProb))
	}
	return errors.Join(errs...)
}

// Validate reports every setting of a that cannot work. How many
// processes exist is for the simulation to check against MaxDead. When a
// is not Enabled, only values that are wrong whatever they drive are
// reported: NaN or infinite weights, negative or overlong durations.
func (a Attrition) Validate() error { return a.validate(a.Enabled) }

func (a Attrition) validate(on bool) error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("chaos: Attrition."+format, args...))
	}
	weights := []struct {
		name string
		w    float64
	}{{"Graceful", a.Graceful}, {"Crash", a.Crash}, {"Wipe", a.Wipe}, {"PowerLoss", a.PowerLoss}, {"Kill", a.Kill}, {"Pause", a.Pause}}
	weightsOK := true
	for _, w := range weights {
		if !(w.w >= 0 && w.w <= math.MaxFloat64) { // NaN and the infinities fail too
			bad("%s is %v; a weight is finite and at least zero", w.name, w.w)
			weightsOK = false
		}
	}
	sum := a.Graceful + a.Crash + a.Wipe + a.PowerLoss + a.Kill + a.Pause
	if weightsOK && math.IsInf(sum, 0) {
		bad("Graceful, Crash, Wipe, PowerLoss, Kill and Pause sum to %v; only their ratios matter, so scale them down", sum)
	}
	for _, r := range []struct {
		name string
		r    Range
	}{{"Interval", a.Interval}, {"DownFor", a.DownFor}, {"Grace", a.Grace}, {"PauseFor", a.PauseFor}} {
		if err := r.r.check(); err != "" {
			bad("%s is [%v, %v]; %s", r.name, r.r.Min, r.r.Max, err)
		}
	}
	if a.Unit < Process || a.Unit > DataCenter {
		bad("Unit is %v; use chaos.Process, chaos.Machine, chaos.Zone or chaos.DataCenter", a.Unit)
	}
	if p := a.CrashAtUnsyncedWriteProb; !(p >= 0 && p <= 1) { // written so that NaN fails too
		bad("CrashAtUnsyncedWriteProb is %v; a probability is in [0, 1]", p)
	}
	o := a.Outages
	for _, r := range []struct {
		name string
		r    Range
	}{{"Interval", o.Interval}, {"DownFor", o.DownFor}} {
		if err := r.r.check(); err != "" {
			bad("Outages.%s is [%v, %v]; %s", r.name, r.r.Min, r.r.Max, err)
		}
	}
	if o.On() {
		switch {
		case o.Unit < Machine || o.Unit > DataCenter:
			bad("Outages.Unit is %v; an outage takes down a chaos.Machine, a chaos.Zone or a chaos.DataCenter", o.Unit)
		case o.Unit <= a.Unit:
			bad("Outages.Unit is %v but Unit is %v: an outage takes down a unit larger than one reboot does; raise Outages.Unit, or leave Outages zero and set Unit", o.Unit, a.Unit)
		}
		if o.Interval.Min >= 0 && o.Interval.Min < MinInterval {
			bad("Outages.Interval.Min is %v; outage attempts come at least chaos.MinInterval (%v) apart: raise Min to %v or more", o.Interval.Min, MinInterval, MinInterval)
		}
		if !on {
			// Outages are attrition's stream, of its kinds and weights:
			// with attrition off, none would come, and nothing would say so.
			bad("Outages is set but Enabled is false, and outages come only while attrition is on (of its kinds of reboot, by its weights); set Enabled (chaos.DefaultAttrition() has it, with its weights), or leave Outages zero")
		}
	}
	if !on {
		return errors.Join(errs...)
	}
	if a.MaxDead < 1 {
		bad("MaxDead is %d; at least one process must be allowed down, or set Enabled to false", a.MaxDead)
	}
	if weightsOK && sum == 0 {
		errs = append(errs, errors.New("chaos: Attrition weights are all zero; give at least one of Graceful, Crash, Wipe, PowerLoss, Kill and Pause a positive weight, or set Enabled to false"))
	}
	if a.Interval.Min >= 0 && a.Interval.Min < MinInterval {
		bad("Interval.Min is %v; reboot attempts come at least chaos.MinInterval (%v) apart, so that they cannot pile up at one instant: raise Min to %v or more", a.Interval.Min, MinInterval, MinInterval)
	}
	if a.Graceful > 0 && a.Grace.Max == 0 {
		bad("Grace is [0s, 0s] but Graceful is %v; give a graceful stop a positive grace period, or set Graceful to 0", a.Graceful)
	}
	if p := a.CrashAtUnsyncedWriteProb; p > 0 && a.Unit != Process {
		bad("CrashAtUnsyncedWriteProb is %v with Unit %v; it aims the crash of one process, and a unit goes down whole: set it to 0, or Unit to Process", p, a.Unit)
	}
	if a.Pause > 0 && a.PauseFor.Max == 0 {
		bad("PauseFor is [0s, 0s] but Pause is %v; give a pause a positive length (chaos.DefaultAttrition().PauseFor is 200ms to 5s), or set Pause to 0", a.Pause)
	}
	return errors.Join(errs...)
}

// isZero reports whether r is a valid range that holds only zero: a
// fault that draws its length or delay from it would last no time.
func (r Range) isZero() bool { return r.Max == 0 && r.check() == "" }

// check returns what is wrong with r as a range of durations, or "".
func (r Range) check() string {
	switch {
	case r.Min < 0 || r.Max < 0:
		return "durations must not be negative"
	case r.Min > MaxDuration || r.Max > MaxDuration:
		return fmt.Sprintf("durations are at most chaos.MaxDuration (%v)", MaxDuration)
	case r.Min > r.Max:
		return "Min must not be above Max"
	}
	return ""
}
