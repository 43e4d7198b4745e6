package simtest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/internal/sim"
)

// engineEntry is the entry of an engine's event with message msg, named as
// the engine names it: the message up to its first ": ".
func engineEntry(msg string) sim.Entry {
	name, _, _ := strings.Cut(msg, ": ")
	return sim.Entry{Name: name, Msg: msg, Event: true}
}

// Each fault the engine records is sorted into its kind, from the
// messages the cluster, the network and the disks write.
func TestFaultOfSortsTheEngineEntries(t *testing.T) {
	for _, c := range []struct {
		msg  string
		want fault
	}{
		{"reboot: kv-0 (graceful)", rebootGraceful},
		{"reboot: kv-0 (crash)", rebootCrash},
		{"reboot: kv-0 (power loss)", rebootPowerLoss},
		{"reboot: kv-0 (kill)", rebootKill},
		{"reboot: kv-0 (wipe)", rebootWipe},
		{"reboot: machine m1 (power loss): kv-0 kv-1", rebootPowerLoss},
		{"stop: kv-1 (crash)", rebootCrash},
		{"reboot: kv-0 (graceful, into v2)", rebootGraceful},
		{"stop: kv-1 (wipe, into v1)", rebootWipe},
		{"reboot: zone z1 (crash, into v2): kv-0 kv-1", rebootCrash},
		{"restart: kv-0 asked to be restarted: the log is corrupt", rebootRestart},
		{"reboot: kv-0", rebootOther},
		{"down: kv-0 (crash)", anEffect},
		{"pause: kv-0 paused for 3s", rebootPause},
		{"resume: kv-0 resumed after 3s", faultEnds},
		{"boot: kv-0 (after crash)", notAFault},

		{"net: partition kv-0 | kv-1 kv-2", netPartition},
		{"net: partition one way kv-0 -> kv-1", netPartition},
		{"net: isolate kv-2", netPartition},
		{"net: random partition kv-0 | kv-1 kv-2 for 1.2s", netPartition},
		{"net: random partition healed", faultEnds},
		{"net: heal", faultEnds},
		{"net: clog kv-0 -> kv-1 for 300ms", netClog},
		{"net: slow packet kv-0 -> kv-1: 2s", netSlowPacket},
		{"net: bit flip: 3 bits in 100 bytes from kv-0:1 to kv-1:7", netBitFlip},
		{"net: random close on read of kv-0:1->kv-1:7: reset", netReset},
		{"net: random close on write of kv-0:1->kv-1:7: silent, no data will pass", netSilent},
		{"net: random thing to come", netOther},
		{"net: connection kv-0:1->kv-1:7 timed out: data unacknowledged for 15s", netDropped},
		{"net: connection kv-0:1->kv-1:7 dropped: closed with data unacknowledged for 3s", netDropped},
		{"net: connection kv-0:1->kv-1:7 dropped: closed with data unacknowledged for 1m42.2s; its peer's host had lost power", netPeerLostPower},
		{"net: connection kv-0:1->kv-1:7 timed out: data unacknowledged for 15s; its peer's host had lost power", netPeerLostPower},
		{"net: connection kv-0:1->kv-1:7 timed out: 9 keep-alive probes unanswered; its peer's host had lost power", netPeerLostPower},
		{"net: datagram kv-0:1 -> kv-1:7 lost: 12 bytes", netDatagramLost},
		{"net: datagram kv-0:1 -> kv-1:7 duplicated: 12 bytes", netDatagramDuplicated},
		{"net: datagram kv-0:1 -> kv-1:7 reordered: 12 bytes held back 2ms", netDatagramReordered},
		{"net: datagram kv-0:1 -> kv-1:7 lost to a partition or clog: 12 bytes", notAFault},
		{"net: host kv-0 crashed: 2 connections closed, 1 of them reset; 1 listener closed", anEffect},
		{"net: host kv-0 lost power: 2 connections and 1 listener vanished", anEffect},
		{"net: connect kv-0 -> 10.0.0.2:7 refused", netConnectRefused},
		{"net: connect kv-0 -> 10.0.0.2:7 hangs", netConnectHung},
		{"net: connect kv-0 -> 10.0.0.2:7 timed out after 2m11s", notAFault},
		{"net: partial read of 3 of 10 bytes on kv-0:1->kv-1:7", netPartialRead},
		{"net: partial write of 3 of 10 bytes on kv-0:1->kv-1:7", netPartialWrite},
		{"net: sleep on kv-0 delayed by 3ms", notAFault},
		{"net: slow link kv-0 -> kv-1: 300ms more latency", netSlowLink},
		{"net: slow link kv-0 -> kv-1 ends", faultEnds},
		{"buggify fired: rpc drops a connection", netRPCDrop},
		{"buggify fired: conn.go:537", buggifyFired}, // a site of the code under test's own
		{"buggify site on: rpc drops a connection", notAFault},

		{"disk kv-0: read-corruption: wal: sector 3 read with 2 bits flipped", diskReadCorruption},
		{"disk kv-0: write-corruption: wal: sector 3 stored with 2 bits flipped", diskWriteCorruption},
		{"disk kv-0: misdirected-read: wal: sector 3 read from sector 5", diskMisdirectedRead},
		{"disk kv-0: misdirected-write: wal: sector 3 written to sector 5", diskMisdirectedWrite},
		{"disk kv-0: phantom-write: wal: 10 bytes at 0 acknowledged, not stored", diskPhantomWrite},
		{"disk kv-0: sync-failure: wal: EIO; 2 unsynced sectors will never reach the disk", diskSyncFailure},
		{"disk kv-0: torn-write: wal: 1 of 2 unsynced sectors reached the disk", diskTornWrite},
		{"disk kv-0: torn-write: wal: 1 of 2 unsynced sectors reached the disk: sector 3 (bytes 1536-2047)", diskTornWrite},
		{"disk kv-0: torn-write: wal: 2 of 2 unsynced sectors reached the disk, every one, so nothing tore: sectors 2-3 (bytes 1024-2047)", anEffect},
		{"disk kv-0: unsynced-directory: crash lost the create of wal (its directory was not synced)", diskUnsyncedDirectory},
		{"disk kv-0: stall: the disk stops serving for 1s", diskStall},
		{"disk kv-0: throttle: the disk runs 10 times slower for 2s", diskThrottle},
		{"disk kv-0: novel: what a later version does", diskOther},
		{"disk kv-0: crash: unsynced changes in 2 files (a: b, wal): 3 sectors lost, 1 kept", diskLostUnsynced},
		{"disk kv-0: crash: unsynced changes in 1 file (wal): 1 sector lost, 0 kept", diskLostUnsynced},
		{"disk kv-0: crash: unsynced changes in 1 file (wal): 0 sectors lost, 2 kept", anEffect},
		{"disk kv-0: crash: unsynced changes in 0 files: 0 sectors lost, 0 kept", anEffect},
		{"disk kv-0: crash: unsynced changes in 0 files: 0 sectors lost, 0 kept; 1 rename whose directory was not synced (a -> b) kept: a real disk could lose it (chaos.Storage.LoseUnsyncedDirectories loses such changes)", anEffect},
		{"disk kv-0: crash: unsynced changes in 1 file (wal): 1 sector lost, 0 kept; 1 rename whose directory was not synced (a -> b) kept: a real disk could lose it (chaos.Storage.LoseUnsyncedDirectories loses such changes)", diskLostUnsynced},
		{"disk kv-0: kill: open files closed; unsynced changes in 0 files kept unsynced", anEffect},
		{"disk kv-0: wipe: every file erased", anEffect},
		{"disk kv-0: stop: unsynced data written out", notAFault},
		{"disk kv-0: full: the disk is full for 1s", diskFull},
	} {
		e := engineEntry(c.msg)
		assert.Equal(t, c.want, faultOf(e), c.msg)
		// The same words logged, by the code under test or the test's
		// driver, are no fault.
		e.Event = false
		assert.Equal(t, notAFault, faultOf(e), "logged: %s", c.msg)
		e.Task, e.Process = "kv-0/main", "kv-0"
		assert.Equal(t, notAFault, faultOf(e), "logged by a process: %s", c.msg)
	}
	assert.Equal(t, notAFault, faultOf(sim.Entry{Name: "reboot", Msg: "reboot", Task: "kv-0/main", Process: "kv-0"}))
}

// A disk's crash entry that notes namespace changes whose directory was
// not synced, kept, is told apart from one that does not, whatever its
// sectors did.
func TestKeptUnsyncedDirsSortsCrashEntries(t *testing.T) {
	note := "; 1 create whose directory was not synced (wal) kept: a real disk could lose it (chaos.Storage.LoseUnsyncedDirectories loses such changes)"
	for msg, want := range map[string]bool{
		"disk kv-0: crash: unsynced changes in 0 files: 0 sectors lost, 0 kept" + note:               true,
		"disk kv-0: crash: unsynced changes in 1 file (wal): 2 sectors lost, 0 kept" + note:          true,
		"disk kv-0: crash: unsynced changes in 1 file (wal): 2 sectors lost, 0 kept":                 false,
		"disk kv-0: unsynced-directory: crash lost the create of wal (its directory was not synced)": false,
		"disk kv-0: torn-write: wal" + note:                                                          false,
	} {
		e := engineEntry(msg)
		assert.Equal(t, want, keptUnsyncedDirs(e, faultOf(e)), msg)
	}
	assert.False(t, keptUnsyncedDirs(sim.Entry{Name: "kv-0/main", Msg: "crash" + note}, notAFault), "the code under test's log line")
}

// Every fault has a family, a unique name for the results file, and its
// words in the report.
func TestEveryFaultIsNamed(t *testing.T) {
	names := make(map[string]fault)
	for f := rebootGraceful; f < numFaults; f++ {
		info := faultNames[f]
		assert.NotEqual(t, noFault, info.kind, "fault %d", f)
		assert.NotEmpty(t, info.one, "fault %d", f)
		assert.NotEmpty(t, info.many, "fault %d", f)
		if assert.NotEmpty(t, info.name, "fault %d", f) {
			assert.NotContains(t, names, info.name, "fault %d", f)
			names[info.name] = f
			assert.Equal(t, f, faultNamed(info.name))
		}
	}
	assert.Equal(t, notAFault, faultNamed("meteor strike"))
	assert.Equal(t, notAFault, faultNamed(""))
}

// The report's line lists the kinds seen, in a fixed order, one and many
// told apart, and the disks' lost unsynced writes after their faults.
func TestTheFaultsLineListsTheKindsSeen(t *testing.T) {
	r := report{seeds: 4, faultless: 1}
	for f, n := range map[fault]int{
		rebootWipe: 2, rebootCrash: 1, rebootGraceful: 3,
		netReset: 1, netPartition: 4,
		diskSyncFailure: 2, diskWriteCorruption: 1,
		diskLostUnsynced: 1, anEffect: 7,
	} {
		r.faults[f] = n
	}
	assert.Equal(t, "faults seen: 6 reboots (3 graceful, 1 crash, 2 wipes), 5 of the network (4 partitions, 1 connection reset), "+
		"3 of the disks (1 corrupted write, 2 failed syncs), unsynced writes lost in 1 disk crash; 1 seed of 4 saw none", r.faultsLine())

	rec := r.faultsRecord()
	assert.Equal(t, 6, rec.Reboots)
	assert.Equal(t, 5, rec.Network)
	assert.Equal(t, 3, rec.Disk)
	assert.Equal(t, map[string]int{"graceful": 3, "crash": 1, "wipe": 2, "partition": 4, "random reset": 1,
		"write-corruption": 1, "sync-failure": 2, "unsynced writes lost": 1}, rec.Kinds)

	only := report{seeds: 1}
	only.faults[diskLostUnsynced] = 2
	assert.True(t, only.faults.none(), "a lost unsynced write is a crash's effect, not a fault of its own")
	assert.NotNil(t, only.faultsRecord().Kinds)
	assert.NotNil(t, (&report{}).faultsRecord().Kinds, "a file that counts no fault says so by kind too")
}

// Partial reads and writes are counted apart from the network's faults,
// after them and the disks' lost unsynced writes: TCP allows them, and
// counted among the network's they would swamp its partitions and resets.
func TestTheFaultsLineCountsShortReadsAndWritesApart(t *testing.T) {
	r := report{seeds: 2}
	r.faults[netPartition] = 3
	r.faults[netPartialRead] = 40
	r.faults[netPartialWrite] = 2
	r.faults[diskLostUnsynced] = 1
	assert.Equal(t, "faults seen: 0 reboots, 3 of the network (3 partitions), 0 of the disks, unsynced writes lost in 1 disk crash, "+
		"42 short reads and writes (40 reads, 2 writes)", r.faultsLine())
	rec := r.faultsRecord()
	assert.Equal(t, 3, rec.Network, "the network's faults leave partial reads and writes out")
	assert.Equal(t, 42, rec.ShortIO)
	assert.Equal(t, map[string]int{"partition": 3, "partial read": 40, "partial write": 2, "unsynced writes lost": 1}, rec.Kinds)

	for _, c := range []struct {
		reads, writes int
		want          string
	}{
		{1, 0, "faults seen: 0 reboots, 0 of the network, 0 of the disks, 1 short read"},
		{5, 0, "faults seen: 0 reboots, 0 of the network, 0 of the disks, 5 short reads"},
		{0, 1, "faults seen: 0 reboots, 0 of the network, 0 of the disks, 1 short write"},
		{1, 1, "faults seen: 0 reboots, 0 of the network, 0 of the disks, 2 short reads and writes (1 read, 1 write)"},
	} {
		only := report{seeds: 1}
		only.faults[netPartialRead], only.faults[netPartialWrite] = c.reads, c.writes
		assert.False(t, only.faults.none(), "a seed that saw short reads or writes saw chaos at work")
		assert.Equal(t, c.want, only.faultsLine())
	}

	// A merge of a file that counted no kinds tells the total alone.
	merged := report{seeds: 1, kindsUnknown: true}
	merged.faults[netPartialRead] = 1
	assert.Equal(t, "faults seen: 0 reboots, 0 of the network, 0 of the disks, 1 short read or write", merged.faultsLine())
}

// A connection given up on after its peer's host lost power is the power
// loss's echo: counted apart from the network's faults, after the disks'
// lost unsynced writes, and kept by kind for a merge.
func TestTheFaultsLineCountsGiveUpsOnPeersWithoutPowerApart(t *testing.T) {
	r := report{seeds: 20}
	r.faults[rebootPowerLoss] = 3
	r.faults[netDropped] = 2
	r.faults[netPartition] = 39
	r.faults[netPeerLostPower] = 1557
	assert.Equal(t, "faults seen: 3 reboots (3 power losses), 41 of the network (39 partitions, 2 connections dropped), 0 of the disks, "+
		"1557 connections given up after their peer's host lost power", r.faultsLine())
	rec := r.faultsRecord()
	assert.Equal(t, 41, rec.Network, "the echoes are not the network's faults")
	assert.Equal(t, 1557, rec.Kinds["connection given up on a peer without power"])

	var merged report
	merged.seeds = 20
	merged.addFaults(rec)
	assert.Equal(t, r.faultsLine(), merged.faultsLine(), "a merge tells them alike")

	one := report{seeds: 1}
	one.faults[rebootPowerLoss] = 1
	one.faults[netPeerLostPower] = 1
	assert.Equal(t, "faults seen: 1 reboot (1 power loss), 0 of the network, 0 of the disks, 1 connection given up after its peer's host lost power", one.faultsLine())
}

// The injected clause counts the faults before it, not the short reads
// and writes, which come after it: it never reads as "60 of the 34 short
// reads", and "all of them" holds when the test made every other fault.
func TestTheInjectedClauseLeavesShortReadsAndWritesOut(t *testing.T) {
	r := report{seeds: 1}
	r.faults[rebootCrash], r.byHand[rebootCrash] = 2, 2
	r.faults[netPartialRead], r.faults[netPartialWrite] = 20, 14
	assert.Equal(t, "faults seen: 2 reboots (2 crashes), 0 of the network, 0 of the disks; "+
		"all of them injected by the test (an Injector, or a Cluster, Net or Disk call); "+
		"34 short reads and writes (20 reads, 14 writes)", r.faultsLine())

	r.faults[netPartition], r.byHand[netPartition] = 3, 1
	assert.Equal(t, "faults seen: 2 reboots (2 crashes), 3 of the network (3 partitions), 0 of the disks; "+
		"3 of them injected by the test (an Injector, or a Cluster, Net or Disk call): 2 crashes, 1 partition; "+
		"34 short reads and writes (20 reads, 14 writes)", r.faultsLine())
}
