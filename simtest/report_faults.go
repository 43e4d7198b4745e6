package simtest

import (
	"fmt"
	"strings"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/simctx"
	"github.com/moonpool-go/moonpool/internal/simdisk"
	"github.com/moonpool-go/moonpool/internal/simnet"
)

// A faultKind sorts a timeline entry by the family of fault it tells of.
type faultKind int

const (
	noFault faultKind = iota
	// the kinds a Run's report counts
	rebootFault // a reboot, by chaos or by hand, or a restart a process asked for
	// pauseFault is a pause, by attrition or by hand (Cluster.Pause,
	// PauseAfterClockRead): the process stops and goes on where it
	// stood, which no reboot does, and the report counts it apart.
	pauseFault
	networkFault // a partition, clog, slow packet, bit flip, random close, dropped connection (by the network or by rpc's buggify), connect refused or hung, or a datagram lost, duplicated or reordered
	diskFault    // a disk's corruption, misdirected or phantom write, sync failure, stall, full disk...
	// shortIOFault is a partial read or write: injected, but TCP allows it
	// and a stream sees many, so the report counts it apart from the
	// network's faults, whose count it would swamp.
	shortIOFault
	// faultEffect is what a fault did, told on a line of its own: a
	// process down, a host's sockets or a disk's unsynced data after a
	// crash.
	faultEffect
	// faultEnded is the end of a fault that lasts: a heal, a random
	// partition's end, a slow link's, a pause's resume. A failure's
	// window lists it among the faults before it, so that a reader can
	// tell whether a cut was still on; it is no fault to count.
	faultEnded
)

// counted reports whether k is a fault a report counts, not an effect.
func (k faultKind) counted() bool { return k > noFault && k < faultEffect }

// A fault sorts a timeline entry finer than its faultKind: how a process
// was rebooted, what the network or a disk did. The order of the
// constants is the order in which a report lists them.
type fault uint8

const (
	notAFault fault = iota
	anEffect        // an effect the report does not count
	faultEnds       // the end of a fault that lasts (faultEnded)

	rebootGraceful
	rebootCrash
	rebootPowerLoss
	rebootKill
	rebootWipe
	rebootPause   // a pause, by chaos or by hand: a pauseFault
	rebootRestart // a restart the process asked for
	rebootOther

	netPartition // manual, one way, an isolation, or random
	netClog
	netSlowPacket
	netSlowLink // a link slowed by hand (Net.Slow), not its end
	netBitFlip
	netPartialRead
	netPartialWrite
	netReset  // a random close with a reset
	netSilent // a random close in silence
	netDropped
	netRPCDrop        // a connection package rpc dropped on purpose, by its buggify site
	netConnectRefused // a connect refused by fault, though someone listens
	netConnectHung    // a connect whose every SYN is lost until a heal
	netDatagramLost
	netDatagramDuplicated
	netDatagramReordered
	netOther

	diskReadCorruption
	diskWriteCorruption
	diskMisdirectedRead
	diskMisdirectedWrite
	diskPhantomWrite
	diskSyncFailure
	diskTornWrite
	diskUnsyncedDirectory
	diskStall
	diskThrottle
	diskFull
	// diskCrash, diskKill and diskWipe are the test's own calls of
	// Disk.Crash, Kill and Wipe: a disk going down by itself, not a
	// process's reboot, which tells its disk's crash as its effect.
	diskCrash
	diskKill
	diskWipe
	diskOther

	// diskLostUnsynced is a disk's crash that lost unsynced sectors: an
	// effect of the reboot (or the disk's crash) told apart, which a
	// store built on syncs wants to know it met.
	diskLostUnsynced
	// diskNoSpace is a write or truncation a full disk refused (ENOSPC),
	// counted from the disks' figures as a seed ends: an effect of a
	// full-disk episode or a Capacity, which says whether the code met one.
	diskNoSpace

	// netPeerLostPower is a connection given up on (data unacknowledged,
	// keep-alive probes unanswered) whose peer's host had lost power: an
	// echo of the power loss, which counted among the network's faults
	// would swamp them in a long run.
	netPeerLostPower

	// netNoPort is a host whose dials found no ephemeral port free, and
	// netManyConns one that left many connections it dialled open, or
	// held very many open at once (notedConns): what a program's own leak did, which no fault did.
	netNoPort
	netManyConns

	// graceOver is a graceful stop that ran out of its grace and killed
	// the process: a Run that did not return when its ctx ended, whose
	// graceful stops are all kills (and which ignores SIGTERM in
	// production), though each seed passes.
	graceOver

	// buggifyFired is a firing of a buggify site of the code under
	// test's own: what it injects is its own to say, so it counts among
	// no family of faults, but a seed in which it fired did not run
	// quiet.
	buggifyFired

	numFaults
)

// faultNames are each fault's kind, its name in the results file, and
// how the report counts it, one and many.
var faultNames = [numFaults]struct {
	kind      faultKind
	name      string
	one, many string
}{
	notAFault: {noFault, "", "", ""},
	anEffect:  {faultEffect, "", "", ""},
	faultEnds: {faultEnded, "", "", ""},

	rebootGraceful:  {rebootFault, "graceful", "graceful", "graceful"},
	rebootCrash:     {rebootFault, "crash", "crash", "crashes"},
	rebootPowerLoss: {rebootFault, "power loss", "power loss", "power losses"},
	rebootKill:      {rebootFault, "kill", "kill", "kills"},
	rebootWipe:      {rebootFault, "wipe", "wipe", "wipes"},
	rebootPause:     {pauseFault, "pause", "pause", "pauses"},
	rebootRestart:   {rebootFault, "restart", "restart asked for", "restarts asked for"},
	rebootOther:     {rebootFault, "other reboot", "other", "other"},

	netPartition:          {networkFault, "partition", "partition", "partitions"},
	netClog:               {networkFault, "clog", "clog", "clogs"},
	netSlowPacket:         {networkFault, "slow packet", "slow packet", "slow packets"},
	netSlowLink:           {networkFault, "slow link", "slow link", "slow links"},
	netBitFlip:            {networkFault, "bit flip", "bit flip", "bit flips"},
	netPartialRead:        {shortIOFault, "partial read", "read", "reads"},
	netPartialWrite:       {shortIOFault, "partial write", "write", "writes"},
	netReset:              {networkFault, "random reset", "connection reset", "connections reset"},
	netSilent:             {networkFault, "random silent close", "connection gone silent", "connections gone silent"},
	netDropped:            {networkFault, "connection dropped", "connection dropped", "connections dropped"},
	netRPCDrop:            {networkFault, "rpc drop", "connection dropped by rpc's buggify", "connections dropped by rpc's buggify"},
	netConnectRefused:     {networkFault, "connect refused", "connect refused", "connects refused"},
	netConnectHung:        {networkFault, "connect hung", "connect hung", "connects hung"},
	netDatagramLost:       {networkFault, "datagram lost", "datagram lost", "datagrams lost"},
	netDatagramDuplicated: {networkFault, "datagram duplicated", "datagram duplicated", "datagrams duplicated"},
	netDatagramReordered:  {networkFault, "datagram reordered", "datagram reordered", "datagrams reordered"},
	netOther:              {networkFault, "other network", "other", "other"},

	diskReadCorruption:    {diskFault, "read-corruption", "corrupted read", "corrupted reads"},
	diskWriteCorruption:   {diskFault, "write-corruption", "corrupted write", "corrupted writes"},
	diskMisdirectedRead:   {diskFault, "misdirected-read", "misdirected read", "misdirected reads"},
	diskMisdirectedWrite:  {diskFault, "misdirected-write", "misdirected write", "misdirected writes"},
	diskPhantomWrite:      {diskFault, "phantom-write", "phantom write", "phantom writes"},
	diskSyncFailure:       {diskFault, "sync-failure", "failed sync", "failed syncs"},
	diskTornWrite:         {diskFault, "torn-write", "torn write", "torn writes"},
	diskUnsyncedDirectory: {diskFault, "unsynced-directory", "lost directory change", "lost directory changes"},
	diskStall:             {diskFault, "stall", "stall", "stalls"},
	diskThrottle:          {diskFault, "throttle", "throttle", "throttles"},
	diskFull:              {diskFault, "full", "disk-full episode", "disk-full episodes"},
	diskCrash:             {diskFault, "disk-crash", "crash", "crashes"},
	diskKill:              {diskFault, "disk-kill", "kill", "kills"},
	diskWipe:              {diskFault, "disk-wipe", "wipe", "wipes"},
	diskOther:             {diskFault, "other disk", "other", "other"},

	diskLostUnsynced: {faultEffect, "unsynced writes lost", "disk crash", "disk crashes"},
	diskNoSpace:      {faultEffect, "no-space", "write refused for lack of space (ENOSPC)", "writes refused for lack of space (ENOSPC)"},

	netPeerLostPower: {faultEffect, "connection given up on a peer without power", "connection given up after its peer's host lost power", "connections given up after their peer's host lost power"},

	netNoPort:    {faultEffect, "out of ephemeral ports", "host out of ephemeral ports", "hosts out of ephemeral ports"},
	netManyConns: {faultEffect, "many open connections", "host with many connections open", "hosts with many connections open"},

	graceOver: {faultEffect, "grace over", "a graceful stop killed when its grace ran out", "graceful stops killed when their grace ran out"},

	buggifyFired: {faultEffect, "buggify fired", "firing", "firings"},
}

// kind is the family of f.
func (f fault) kind() faultKind { return faultNames[f].kind }

// faultNamed is the fault the results file names name, or notAFault.
func faultNamed(name string) fault {
	for f := rebootGraceful; f < numFaults; f++ {
		if faultNames[f].name == name {
			return f
		}
	}
	return notAFault
}

// listedKind is the kind of f as a failure's window lists the faults
// before it. A partial read or write is one of many, as TCP allows: listed,
// they would crowd out the partitions and reboots that tell a failure's
// story, so the window keeps them among its entries, as any other line.
func (f fault) listedKind() faultKind {
	if f.kind() == shortIOFault {
		return noFault
	}
	return f.kind()
}

// kindOf sorts a timeline entry by its family of fault.
func kindOf(e sim.Entry) faultKind { return faultOf(e).kind() }

// faultOf sorts a timeline entry. It is cheap: it sees every entry of
// every seed, and allocates nothing. Only the simulation's own events
// (sim.Entry.Event: the cluster's, the network's, the disks') are
// faults: a log line is none, whatever it reads.
func faultOf(e sim.Entry) fault {
	if !e.Event {
		return notAFault
	}
	switch e.Name {
	case "reboot", "stop":
		return rebootHow(e.Msg)
	case "restart":
		return rebootRestart
	case "pause":
		return rebootPause
	case "resume":
		return faultEnds
	case "down":
		return anEffect
	case "grace over":
		return graceOver
	case "net":
		return netFault(strings.TrimPrefix(e.Msg, "net: "))
	case "buggify fired":
		// A buggify site of the code under test injects what it will;
		// rpc's names itself, and each firing drops a connection.
		if strings.TrimPrefix(e.Msg, "buggify fired: ") == simctx.RPCDropSite {
			return netRPCDrop
		}
		return buggifyFired
	}
	// A disk's entry reads "disk kv-0: write-corruption: ...", its name
	// the part before the first ": ".
	if !strings.HasPrefix(e.Name, "disk ") || len(e.Msg) < len(e.Name)+2 {
		return notAFault
	}
	what, _, _ := strings.Cut(e.Msg[len(e.Name)+2:], ":")
	switch what {
	case "stop":
		return notAFault
	case "crash":
		// "...: 3 sectors lost, 1 kept": the count follows the last ": "
		// before the note on directory changes, if any.
		msg, _ := simdisk.CrashNote(e.Msg)
		if tail := msg[strings.LastIndex(msg, ": ")+2:]; !strings.HasPrefix(tail, "0 sectors lost") {
			return diskLostUnsynced
		}
		return anEffect
	case "kill", "wipe":
		return anEffect
	case "read-corruption":
		return diskReadCorruption
	case "write-corruption":
		return diskWriteCorruption
	case "misdirected-read":
		return diskMisdirectedRead
	case "misdirected-write":
		return diskMisdirectedWrite
	case "phantom-write":
		return diskPhantomWrite
	case "sync-failure":
		return diskSyncFailure
	case "torn-write":
		if simdisk.AllReached(e.Msg) {
			return anEffect // the file as a sync would have left it
		}
		return diskTornWrite
	case "unsynced-directory":
		return diskUnsyncedDirectory
	case "stall":
		return diskStall
	case "throttle":
		return diskThrottle
	case "full":
		return diskFull
	}
	return diskOther
}

// keptUnsyncedDirs reports whether e is a disk's crash that kept namespace
// changes whose directory was not synced, which a real disk could have
// lost (chaos.Storage.LoseUnsyncedDirectories off). f is faultOf(e).
func keptUnsyncedDirs(e sim.Entry, f fault) bool {
	if f != diskLostUnsynced && f != anEffect || !strings.HasPrefix(e.Name, "disk ") {
		return false
	}
	_, note := simdisk.CrashNote(e.Msg)
	return note != ""
}

// rebootHow sorts a reboot's or a stop's entry by how the process went
// down: "reboot: kv-0 (crash)", "reboot: machine m1 (power loss): a b",
// "reboot: kv-0 (graceful, into v2)".
func rebootHow(msg string) fault {
	_, how, _ := strings.Cut(msg, " (")
	how, _, _ = strings.Cut(how, ")")
	how, _, _ = strings.Cut(how, ",")
	switch how {
	case "graceful":
		return rebootGraceful
	case "crash":
		return rebootCrash
	case "power loss":
		return rebootPowerLoss
	case "kill":
		return rebootKill
	case "wipe":
		return rebootWipe
	}
	return rebootOther
}

// netFault sorts the network's entry whose message, past "net: ", is msg.
func netFault(msg string) fault {
	what, rest, _ := strings.Cut(msg, " ")
	switch what {
	case "partition", "isolate":
		return netPartition
	case "heal":
		return faultEnds
	case "random":
		switch {
		case strings.HasPrefix(rest, "partition healed"):
			return faultEnds
		case strings.HasPrefix(rest, "partition "):
			return netPartition
		case strings.HasPrefix(rest, "close ") && strings.HasSuffix(rest, ": reset"):
			return netReset
		case strings.HasPrefix(rest, "close "):
			return netSilent
		}
		return netOther
	case "clog":
		return netClog
	case "bit":
		return netBitFlip
	case "slow":
		switch {
		case strings.HasSuffix(rest, " ends"):
			return faultEnds
		case strings.HasPrefix(rest, "link "):
			return netSlowLink
		}
		return netSlowPacket
	case "connection":
		if strings.HasSuffix(msg, simnet.PeerLostPower) {
			return netPeerLostPower
		}
		return netDropped
	case "partial":
		switch {
		case strings.HasPrefix(rest, "read "):
			return netPartialRead
		case strings.HasPrefix(rest, "write "):
			return netPartialWrite
		}
	case "connect":
		// Only a connect the network refuses or holds by fault is told
		// as an event: one refused for want of a listener, or timed out
		// after a hang, is the effect of something else.
		switch {
		case strings.HasSuffix(msg, " refused"):
			return netConnectRefused
		case strings.HasSuffix(msg, " hangs"):
			return netConnectHung
		}
	case "host":
		if strings.Contains(msg, " crashed: ") || strings.Contains(msg, " lost power: ") {
			return anEffect
		}
	case "datagram":
		// Lost, duplicated and reordered datagrams are the faults; one
		// lost to a partition is the partition's effect, and one dropped
		// by a full buffer the receiver's.
		switch {
		case strings.Contains(msg, " lost: "):
			return netDatagramLost
		case strings.Contains(msg, " duplicated: "):
			return netDatagramDuplicated
		case strings.Contains(msg, " reordered: "):
			return netDatagramReordered
		}
	}
	return notAFault
}

// faultCounts counts the faults a report counts, and the effects it tells
// of, by fault.
type faultCounts [numFaults]int

func (c *faultCounts) add(f fault) { c[f]++ }

// of is how many faults of kind k were counted.
func (c *faultCounts) of(k faultKind) int {
	n := 0
	for f, info := range faultNames {
		if info.kind == k {
			n += c[f]
		}
	}
	return n
}

// none reports whether no fault was counted: an effect is none.
func (c *faultCounts) none() bool {
	for f, n := range c {
		if n > 0 && fault(f).kind().counted() {
			return false
		}
	}
	return true
}

// calm reports whether no fault was counted and no disk refused a write
// for lack of space: a write refused at a disk's Capacity is no fault,
// but the code met a full disk, which the faults line tells.
func (c *faultCounts) calm() bool { return c.none() && c[diskNoSpace] == 0 }

// quiet reports whether the seed was calm and no buggify site of the code
// under test fired.
func (c *faultCounts) quiet() bool { return c.calm() && c[buggifyFired] == 0 }

// since reports whether a fault was counted, a write refused for lack of
// space or a buggify site fired after then, c's counts at an earlier
// time: what quiet looks at.
func (c *faultCounts) since(then *faultCounts) bool {
	for f, n := range c {
		if n != then[f] && (fault(f).kind().counted() || fault(f) == diskNoSpace || fault(f) == buggifyFired) {
			return true
		}
	}
	return false
}

// kinds names the faults counted and the effects told of, for the
// results file; with no fault, it is empty and not nil, which is how a
// merge tells a file that counts none from a file written before the
// faults were counted by kind.
func (c *faultCounts) kinds() map[string]int {
	m := make(map[string]int, c.named())
	for f, n := range c {
		if n > 0 && faultNames[f].name != "" {
			m[faultNames[f].name] = n
		}
	}
	return m
}

// named is how many kinds kinds names.
func (c *faultCounts) named() int {
	k := 0
	for f, n := range c {
		if n > 0 && faultNames[f].name != "" {
			k++
		}
	}
	return k
}

// seedKinds is kinds for a seed's line of the results file: nil when
// the seed saw no fault and no lost unsynced write, so that a seed line
// without faults stays as short as it was.
func (c *faultCounts) seedKinds() map[string]int {
	if c.named() == 0 {
		return nil
	}
	return c.kinds()
}

// family writes the faults of kind k that were counted, in the order of
// the constants, as "(402 graceful, 380 crashes)", or nothing for none.
func (c *faultCounts) family(b *strings.Builder, k faultKind) {
	sep := " ("
	for f, info := range faultNames {
		if info.kind != k || c[f] == 0 {
			continue
		}
		b.WriteString(sep)
		sep = ", "
		fmt.Fprintf(b, "%d %s", c[f], pluralWord(c[f], info.one, info.many))
	}
	if sep == ", " {
		b.WriteByte(')')
	}
}
