package simtest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/moonpool-go/moonpool/providers"
)

// A Process is a program of the system under test. A new one is made for
// every boot, so that in-memory state dies with a crash, and it runs until
// its context is cancelled (a graceful stop) or it is killed.
//
// What Run returns tells what happened: nil, that the process is done (or
// stopped when asked); an error that wraps [providers.ErrRestart], that it
// asks to be restarted, which is a crash and a boot again after
// [RestartDelay]; any other error, that it failed, which fails the seed.
type Process interface {
	Run(ctx context.Context, p providers.Providers) error
}

// ProcessFunc is a Process that is a function.
type ProcessFunc func(ctx context.Context, p providers.Providers) error

// Run calls f.
func (f ProcessFunc) Run(ctx context.Context, p providers.Providers) error { return f(ctx, p) }

// Processes declares a group of processes made by one factory (or one
// per release, Releases): Count of them, named Name-0, Name-1 and so on,
// each on a host of the same name with its own disk and tasks (or, placed
// by a Topology, its machine's disk).
type Processes struct {
	// Name names the group; it must be unique in the cluster.
	Name string
	// Count is how many processes run; zero means one.
	Count int
	// MaxCount, when larger than Count, makes the count a per-seed draw
	// in [Count, MaxCount].
	MaxCount int
	// New makes a fresh process for every boot.
	New func() Process
	// NewFor, in place of New, makes a fresh process for every boot and
	// is told which process it makes: an instance that needs its identity
	// before Run (to name its metrics, to pick its configuration) takes it
	// here. Give one of New, NewFor and Releases.
	NewFor func(id ProcessID) Process
	// Releases, in place of New and NewFor, are the group's factories by
	// release name ("v1", "v2"): builds of the program that an upgrade or
	// a rollback moves a process between. Each process boots first into
	// Release, and a reboot or Stop given [Into] boots it into another;
	// every later boot (attrition's, a restart, Start) keeps the release
	// it last went into. The release is the cluster's, per seed, as the
	// disks are: a seed's upgrades never reach the next seed. See
	// docs/reboots.md#upgrades-and-rollbacks.
	Releases map[string]func(id ProcessID) Process
	// Release names the release of Releases that every process of the
	// group boots first. It is set exactly when Releases is.
	Release string
	// ReleaseOf, when set, names the release the index-th process of the
	// group boots first, in place of Release where it returns a name
	// other than "": a cluster that starts mixed, as a rollout left half
	// done leaves it. The name must be one of Releases.
	ReleaseOf func(index int) string
	// Hosts, when set, gives the i-th process the host Hosts[i] instead of
	// its name; it must hold a host for each process the group can have
	// (Count, or MaxCount).
	Hosts []string
	// Tags, when set, gives the i-th process its tags (a zone, a rack).
	Tags func(i int) map[string]string
	// Topology, when set, places the processes on machines in zones in
	// data centers: several processes on one machine share its disk and
	// its fate. Unset, each process is a machine of its own.
	Topology Topology
	// SoleCopy declares that each process keeps the only copy of its
	// data: attrition never wipes it, and a wipe drawn for it is a crash
	// instead, whatever the chaos configuration's weights. An explicit
	// Cluster.Reboot or Stop with Wipe still wipes. It leaves the disk's
	// faults as they are: switch off the corruption, misdirected and
	// phantom writes that a single copy cannot survive in the Run's
	// chaos.Storage (its Off field), and the corrupt and misdirected
	// reads too, unless the process checks what it reads.
	SoleCopy bool
	// Protected keeps attrition off the group's processes: it never picks
	// one, nor, with chaos.Attrition's Unit larger than a process, a unit
	// that holds one (Cluster.Run fails as a configuration error where
	// every unit holds one). It is for processes that stand for the test rather
	// than the system: clients run as programs, a load generator. A
	// reboot or stop by hand (Cluster.Reboot, Stop, an injector) still
	// takes them down, and the network's and disks' faults still reach
	// them.
	Protected bool
	// PauseOnly lets attrition pause the group's processes but never take
	// them down: a reboot of any kind drawn for one is a pause instead,
	// for chaos.Attrition's PauseFor, whatever the weights (a Pause weight
	// of 0 included). It is for clients whose fault is the stall (a
	// garbage collection, a VM's migration) that leases are about, while
	// attrition crashes the servers. With chaos.Attrition's Unit larger
	// than a process, a reboot drawn for a unit that holds one pauses the
	// whole unit; so does an outage's (Attrition.Outages). It needs
	// PauseFor's Max positive where attrition can run (Cluster.Run fails
	// as a configuration error otherwise), and cannot be set with
	// Protected. An explicit Cluster.Reboot or Stop, or an injector's,
	// still takes the process down.
	PauseOnly bool
}

// ProcessID is the identity of a process, as [Processes.NewFor] and
// [Processes.Releases] are told it: its name (the group's name, a dash,
// its index), its index in the group, its host, its boot count, 1 at the
// first boot, where it runs (zero for a process that no [Topology]
// placed), and the release the boot makes (empty for a group without
// Releases).
type ProcessID struct {
	Name     string
	Index    int
	Host     string
	Boot     int
	Locality providers.Locality
	Release  string
}

// Reboot is a way to restart a process.
type Reboot int

// The kinds of reboot.
const (
	// Graceful cancels the process's context, waits for it to return for
	// the grace period, then kills what is left: at the instant Run
	// returns, before any other task of the process takes a step, or when
	// the grace runs out. Its disk keeps everything written.
	Graceful Reboot = iota + 1
	// Crash kills the process at once: its tasks stop where they stand,
	// and what their defers do while they unwind has no effect (a
	// deferred Close or Write does nothing). Unsynced writes are lost: a
	// process on a machine of its own crashes with its machine (for a
	// process that dies alone, see Kill). Its host closes the connections
	// it left open as an operating system closes a dead process's: a FIN
	// where it had read all that arrived, a reset where data arrived
	// unread.
	Crash
	// Wipe is a crash that also erases the process's disk.
	Wipe
	// PowerLoss is a crash of the whole machine: as Crash, but its
	// connections vanish in silence. Peers learn of it only from their
	// own timeouts and keep-alive probes, or from a reset when they send
	// or probe once it is back; connects to it wait while it is down,
	// and fail with ETIMEDOUT after 131 s, as on Linux. The process
	// boots again told [providers.AfterCrash].
	PowerLoss
	// Kill kills the process as kill -9 does, its machine still up: its
	// tasks and connections end as Crash's, but its disk keeps every
	// write it made, synced or not, as the kernel's page cache keeps
	// them. What was not synced stays unsynced: a later PowerLoss of the
	// machine can still lose it. The process boots again told
	// [providers.AfterCrash].
	Kill
)

func (r Reboot) String() string {
	switch r {
	case Graceful:
		return "graceful"
	case Crash:
		return "crash"
	case Wipe:
		return "wipe"
	case PowerLoss:
		return "power loss"
	case Kill:
		return "kill"
	}
	return fmt.Sprintf("Reboot(%d)", int(r))
}

func (r Reboot) boot() providers.Boot {
	switch r {
	case Graceful:
		return providers.AfterGraceful
	case Crash, PowerLoss, Kill:
		return providers.AfterCrash
	case Wipe:
		return providers.AfterWipe
	}
	return providers.FirstBoot
}

// MaxProcesses bounds the processes of a cluster, over all its groups at
// their largest counts (Count, MaxCount). Each is a host with its own
// disk and tasks, some 10 KB and 35 µs of the test driver's time to boot:
// a cluster of this many boots in a third of a second, one a hundred
// times larger outlasts the default watchdog before it has booted, and a
// count past the bound is a mistake (a key or seed count given for a
// process count).
const MaxProcesses = 10_000

// validate checks a declaration against the names already taken and the
// processes the groups booted before it may have, declared.
func (ps *Processes) validate(taken map[string]bool, declared int) error {
	switch {
	case ps.Name == "":
		return fmt.Errorf("simtest: a Processes has no Name; name each group of processes")
	case len(ps.Releases) > 0 || ps.Release != "" || ps.ReleaseOf != nil:
		if err := ps.checkReleases(); err != nil {
			return err
		}
	case ps.New == nil && ps.NewFor == nil:
		return fmt.Errorf("simtest: Processes %q has no New; give it a function that makes a fresh Process for every boot (or NewFor, to be told which process it makes, or Releases, a factory for each release)", ps.Name)
	case ps.New != nil && ps.NewFor != nil:
		return fmt.Errorf("simtest: Processes %q has both New and NewFor; give one of them", ps.Name)
	}
	if err := checkCount("Processes", ps.Name, ps.Count, ps.MaxCount); err != nil {
		return err
	}
	if err := ps.checkBound(declared); err != nil {
		return err
	}
	if ps.PauseOnly && ps.Protected {
		return fmt.Errorf("simtest: Processes %q is both Protected and PauseOnly; Protected keeps attrition off it, PauseOnly lets attrition pause it: set one of them", ps.Name)
	}
	if taken[ps.Name] {
		return fmt.Errorf("simtest: two groups of processes are named %q; names must be unique", ps.Name)
	}
	n := largestCount(ps.Count, ps.MaxCount)
	if ps.Hosts != nil && len(ps.Hosts) < n {
		return fmt.Errorf("simtest: Processes %q has %d Hosts for up to %d processes (Count, MaxCount); give one host per process", ps.Name, len(ps.Hosts), n)
	}
	return ps.Topology.check(ps.Name, n)
}

// checkReleases checks a group declared with Releases or Release.
func (ps *Processes) checkReleases() error {
	names := ps.releaseNames()
	switch {
	case len(ps.Releases) == 0 && ps.Release == "":
		return fmt.Errorf("simtest: Processes %q has ReleaseOf but no Releases; give Releases a factory per release and Release the default, or leave ReleaseOf out", ps.Name)
	case len(ps.Releases) == 0:
		return fmt.Errorf("simtest: Processes %q has Release %q but no Releases; give Releases a factory per release, or leave Release out", ps.Name, ps.Release)
	case ps.New != nil || ps.NewFor != nil:
		return fmt.Errorf("simtest: Processes %q has Releases and New or NewFor too; Releases are its factories, so leave New and NewFor out", ps.Name)
	}
	for _, name := range slices.Sorted(maps.Keys(ps.Releases)) {
		switch {
		case name == "":
			return fmt.Errorf("simtest: Processes %q has a release with no name in Releases; name each release (\"v1\", \"v2\")", ps.Name)
		case ps.Releases[name] == nil:
			return fmt.Errorf("simtest: Processes %q has a nil factory for release %q; give Releases[%q] a function that makes a fresh Process for every boot", ps.Name, name, name)
		}
	}
	switch {
	case ps.Release == "":
		return fmt.Errorf("simtest: Processes %q has Releases but no Release; set Release to the one every process boots first (one of %s)", ps.Name, names)
	case ps.Releases[ps.Release] == nil:
		return fmt.Errorf("simtest: Processes %q has Release %q, which is none of its Releases (%s); name one of them", ps.Name, ps.Release, names)
	}
	return nil
}

// releaseNames lists the names of the group's Releases, sorted, for its
// errors: "v1, v2".
func (ps *Processes) releaseNames() string {
	return strings.Join(slices.Sorted(maps.Keys(ps.Releases)), ", ")
}

// checkBound refuses a group that would take the cluster past
// MaxProcesses, with the groups booted before it having declared up to
// declared processes.
func (ps *Processes) checkBound(declared int) error {
	return processBound.check(ps.Name, ps.Count, ps.MaxCount, declared)
}

// countBound is a limit on how many instances the groups of one kind may
// have together, as a report tells of it.
type countBound struct {
	kind    string // the type that declares a group: "Processes"
	noun    string // what it declares: "processes"
	limit   string // the constant that is the limit: "MaxProcesses"
	bound   int    // its value
	holder  string // what the limit holds for: "a cluster boots"
	earlier string // the groups counted before this one
}

var (
	processBound = countBound{kind: "Processes", noun: "processes", limit: "MaxProcesses", bound: MaxProcesses,
		holder: "a cluster boots", earlier: "the groups booted before it"}
	workloadBound = countBound{kind: "Workloads", noun: "workloads", limit: "MaxWorkloads", bound: MaxWorkloads,
		holder: "one S.Workloads makes", earlier: "the groups before it"}
)

// check refuses a group named group, of count and maxCount, that would
// take the total past the bound, when the groups before it have up to
// declared instances.
func (b countBound) check(group string, count, maxCount, declared int) error {
	n, field := largestCount(count, maxCount), "Count"
	if maxCount > count {
		field = "MaxCount"
	}
	if n <= b.bound-declared {
		return nil
	}
	if declared == 0 {
		return fmt.Errorf("simtest: %s %q has %s %d, above simtest.%s (%d), the most %s %s; lower %s to at most %d",
			b.kind, group, field, n, b.limit, b.bound, b.noun, b.holder, field, b.bound)
	}
	fix := fmt.Sprintf("lower %s to at most %d", field, b.bound-declared)
	if declared >= b.bound {
		fix = "lower the counts of the groups before it"
	}
	return fmt.Errorf("simtest: %s %q has %s %d, and %s have up to %d %s: together above simtest.%s (%d), the most %s %s; %s",
		b.kind, group, field, n, b.earlier, declared, b.noun, b.limit, b.bound, b.noun, b.holder, fix)
}

// largestCount is the most instances a group of count and maxCount has in
// any seed: Count, at least one, or MaxCount when it is above.
func largestCount(count, maxCount int) int { return max(count, maxCount, 1) }

// checkCount checks the Count and MaxCount of a group of kind (Processes,
// Workloads) named name.
func checkCount(kind, name string, count, maxCount int) error {
	switch {
	case count < 0 || maxCount < 0:
		return fmt.Errorf("simtest: %s %q has a negative count; Count and MaxCount are at least zero", kind, name)
	case maxCount > 0 && maxCount < count:
		return fmt.Errorf("simtest: %s %q has MaxCount %d below Count %d; MaxCount is the top of the range", kind, name, maxCount, count)
	}
	return nil
}

// drawCount is a group's count for this seed: Count (at least one), or,
// when MaxCount is above it, a draw in [Count, MaxCount].
func (s *S) drawCount(count, maxCount int) int {
	n := max(count, 1)
	if maxCount > n {
		n += s.w.Rand().IntN(maxCount - n + 1)
	}
	return n
}

// firstRelease is the release the index-th process boots first: ReleaseOf's
// name for it, or Release.
func (ps *Processes) firstRelease(index int) (string, error) {
	if ps.ReleaseOf == nil {
		return ps.Release, nil
	}
	name := ps.ReleaseOf(index)
	switch {
	case name == "":
		return ps.Release, nil
	case ps.Releases[name] == nil:
		return "", fmt.Errorf("simtest: Processes %q: ReleaseOf(%d) is %q, which is none of its Releases (%s); return one of them, or \"\" for Release", ps.Name, index, name, ps.releaseNames())
	}
	return name, nil
}
