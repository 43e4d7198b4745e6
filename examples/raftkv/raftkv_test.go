package raftkv_test

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/program"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

var (
	planted = flag.Bool("planted", false, "run the nodes with their planted bug: every node answers reads from its own state (-stale-reads)")
	// loseDirs switches on the fault that finds hashicorp/raft's snapshot
	// directory, which it never syncs (docs/storage.md).
	loseDirs = flag.Bool("lose-unsynced-dirs", false, "let a crash lose the directory entries the nodes never synced (chaos.Storage.LoseUnsyncedDirectories)")
)

// The nodes' ports on their simulated hosts.
const (
	raftPort = 7000
	httpPort = 8080
)

// TestRaftKV runs three raftkv programs, built for WebAssembly, as the
// simulated processes raft-0, raft-1 and raft-2, under the default chaos
// (less wipes and the disk faults raft does not claim to survive), while four
// clients read and write over the simulated network, and checks that
// every history is linearizable.
func TestRaftKV(t *testing.T) {
	node := raftNode(t, *planted)
	seeds := 10
	if testing.Short() {
		seeds = 2
	}
	// The planted bug's failures are expected: keep no seed for them. A
	// put of unknown outcome needs a leader to fail while the write is in
	// flight, which a few seeds may not see: a gap is a warning.
	c := raftChaos()
	c.Storage.LoseUnsyncedDirectories = *loseDirs
	simtest.Run(t, func(s *simtest.S) { runRaftKV(s, node) },
		simtest.Seeds(seeds), simtest.Chaos(c), simtest.KeepFailures(!*planted && !*loseDirs), simtest.AllowGaps())
}

// FuzzRaftKV is TestRaftKV's simulation under go test -fuzz: the fuzzer
// drives the native engine, so its inputs reach the programs' randomness,
// clocks, network and disks. A plain go test runs its seed corpus, the
// executions of two seeds; go test -fuzz explores from them.
func FuzzRaftKV(f *testing.F) {
	node := raftNode(f, *planted)
	simtest.Fuzz(f, func(s *simtest.S) { runRaftKV(s, node) },
		simtest.Seeds(2), simtest.Chaos(raftChaos()))
}

// BenchmarkRaftKV runs seeds of TestRaftKV, the fixed nodes under its
// chaos, and reports seeds and simulated seconds per wall second. Run it
// on one core: go test -run XXX -bench RaftKV -cpu 1 ./examples/raftkv
func BenchmarkRaftKV(b *testing.B) {
	node := raftNode(b, false)
	var simulated time.Duration
	b.ResetTimer()
	cpu := testenv.CPUTime()
	simtest.Run(b, func(s *simtest.S) {
		runRaftKV(s, node)
		simulated += s.Elapsed()
	}, simtest.Seeds(b.N), simtest.Chaos(raftChaos()), simtest.AllowGaps())
	wall := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/wall, "seeds/s")
	b.ReportMetric(simulated.Seconds()/wall, "sim-s/s")
	if cpu := (testenv.CPUTime() - cpu).Seconds(); cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu, "seeds/cpu-s")
	}
}

// BenchmarkProgramStart boots the raftkv program, already compiled, as a
// simulated process that prints its usage and exits: an instance made
// from the compiled module, the Go runtime's start, and its exit.
func BenchmarkProgramStart(b *testing.B) {
	prog, err := program.Build(context.Background(), program.Config{Package: "./cmd/raftkv"})
	require.NoError(b, err)
	b.Cleanup(func() { prog.Close() })
	usage := prog.Process(program.Args(func(providers.Peer) []string { return []string{"-h"} }))
	b.ResetTimer()
	cpu := testenv.CPUTime()
	simtest.Run(b, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "raft", New: func() simtest.Process { return usage }})
		s.Sleep(time.Millisecond)
	}, simtest.Seeds(b.N), simtest.Chaos(chaos.Off()), simtest.AllowGaps())
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/start")
	if cpu := testenv.CPUTime() - cpu; cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/start")
	}
}

// raftChaos is chaos.Defaults less what a raft node cannot survive: raft
// keeps its log on one disk per node and counts on that disk to keep what
// it synced. A wiped disk, or a synced write lost or corrupted on the way
// to it, makes a node forget entries and votes it acknowledged, and three
// nodes then no longer make two majorities that overlap. Torn writes at a
// crash, failed syncs, read faults, stalls and throttling stay: the log
// store handles them (raft's own FileSnapshotStore does not reread a
// corrupted snapshot's metadata; the README tells the seed that shows it).
func raftChaos() chaos.Config {
	c := chaos.Defaults()
	c.Storage.Off = []string{"write-corruption", "misdirected-write", "phantom-write"}
	c.Attrition.Wipe = 0
	return c
}

// raftNode builds the raftkv program (once per test binary: it is cached)
// and returns the process that runs it, stale-reads or not.
func raftNode(t testing.TB, stale bool) *program.Process {
	t.Helper()
	prog, err := program.Build(context.Background(), program.Config{Package: "./cmd/raftkv"})
	require.NoError(t, err)
	t.Cleanup(func() { prog.Close() })
	return prog.Process(program.Args(func(self providers.Peer) []string {
		args := []string{
			"-id", self.Name, "-data", "/data",
			// Snapshots and log compaction every few dozen writes, so
			// that a seed runs through them.
			"-snapshot-threshold", "32", "-snapshot-interval", "2s", "-trailing-logs", "16",
			// An idle leader sends its commit index every 500ms rather
			// than every 50ms: half the messages, and so half the cost,
			// of an idle cluster. Writes are sent at once either way.
			"-commit-timeout", "500ms",
		}
		for i := range 3 {
			h := fmt.Sprintf("raft-%d", i)
			args = append(args, "-peer", fmt.Sprintf("%s=%s:%d,%s:%d", h, h, raftPort, h, httpPort))
		}
		if stale {
			args = append(args, "-stale-reads")
		}
		return args
	}), program.RestartOnExit(1)) // a node that cannot start exits 1, and systemd's Restart=on-failure starts it again
}

func runRaftKV(s *simtest.S, node *program.Process) {
	c := s.Boot(simtest.Processes{Name: "raft", Count: 3, New: func() simtest.Process { return node }})
	// The story of a failure: who led when, and when nodes went down and
	// links broke.
	watch := s.Watch("stderr", "boot", "reboot", "down", "net")
	var told []simtest.Entry
	story := func() []simtest.Entry {
		for _, e := range watch.Next() {
			switch {
			case e.Name == "stderr" && !strings.Contains(e.Msg, "entering leader state"):
			case e.Name == "net" && !strings.Contains(e.Msg, "partition") && !strings.Contains(e.Msg, "isolate"):
			default:
				told = append(told, e)
			}
		}
		return told
	}
	w := &workload{clients: 4, ops: 15, keys: 5, think: 500 * time.Millisecond, story: story}
	if s.Drawing() {
		w.attach = s.Attach
	}
	c.Run(simtest.Phases{Chaos: 15 * time.Second, Settle: time.Second}, w)
}
