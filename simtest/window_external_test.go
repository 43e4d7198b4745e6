package simtest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// A seed that fails at 7.9 s and runs on to 20 s, retrying a refused
// connection all along: its report shows what led to the failure, and the
// retries fold into one line.
func TestReportShowsTheTimelineAroundTheFirstFailure(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		log := s.Logger()
		s.Go("dialer", func(ctx context.Context) error {
			for s.Elapsed() < 20*time.Second {
				log.Info("connect refused", "peer", "kv-2")
				s.Sleep(100 * time.Millisecond)
			}
			return nil
		})
		s.Sleep(7800 * time.Millisecond)
		s.Logf("the write that will be lost")
		s.Sleep(100 * time.Millisecond)
		s.Errorf("an acknowledged write was lost")
		s.Sleep(13 * time.Second)
	}, simtest.Seeds(1))
	timeline := failureWindow(t, res, "timeline around the first failure, at 7.9s")
	assert.Contains(t, timeline, "the write that will be lost", "what led to the failure is shown")
	assert.Contains(t, timeline, "error: an acknowledged write was lost")
	assert.NotContains(t, timeline, "20s", "the seed's end is not")
	assert.Regexp(t, regexp.MustCompile(`dialer +connect refused peer=kv-2  \(x \d+, to 7\.\d+s\)`), timeline, "repeated lines fold")
	assert.Contains(t, timeline, "-simtimeline=FILE writes them all")
	assert.Less(t, strings.Count(timeline, "\n"), 30, timeline)
}

// Under -simtimeline the report does not tell how to get the timeline
// the run is already writing.
func TestTheReportDoesNotAskForTheTimelineFileItWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timeline.jsonl")
	res := simtest.Simulate(func(s *simtest.S) {
		for i := range 300 {
			s.Logf("step %d", i)
			s.Sleep(time.Millisecond)
		}
		s.Errorf("an acknowledged write was lost")
		s.Sleep(time.Second)
	}, simtest.Seeds(1), simtest.TimelineFile(path))
	timeline := failureWindow(t, res, "timeline around the first failure")
	assert.Regexp(t, `^timeline around the first failure, at 300ms \(\d+ earlier entries not shown\):`, timeline)
	assert.NotContains(t, res.Report, "-simtimeline=FILE")
	assert.Contains(t, res.Report, "lines not shown; -simv logs them all, the timeline file has them)")
	assert.FileExists(t, path)
}

// stopWaiter is a process that waits to be stopped.
type stopWaiter struct{}

func (stopWaiter) Run(ctx context.Context, p providers.Providers) error {
	return providers.Wait(ctx, p.Task)
}

// unsyncedWriter writes a file it never syncs, and waits.
type unsyncedWriter struct{}

func (unsyncedWriter) Run(ctx context.Context, p providers.Providers) error {
	f, err := p.Storage.Create("log")
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte("an unsynced record")); err != nil {
		return err
	}
	return providers.Wait(ctx, p.Task)
}

// A check that fails long after the faults that caused it: the report
// names the last faults before its window, and counts the earlier ones.
func TestReportShowsTheFaultsBeforeTheWindow(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", New: func() simtest.Process { return unsyncedWriter{} }})
		for range 10 {
			c.Reboot("p-0", simtest.Crash)
			s.Sleep(time.Second)
		}
		for i := range 100 {
			s.Logf("step %d of the check", i)
			s.Providers().Logger.Info("checking", "i", i)
			s.Sleep(time.Millisecond)
		}
		s.Errorf("a lost write, found by the check")
	}, simtest.Seeds(1))
	require.False(t, res.OK())
	out := res.Report
	i := strings.Index(out, "  faults before the timeline below")
	j := strings.Index(out, "timeline around the first failure")
	require.True(t, 0 <= i && i < j, out)
	faults := out[i:j]
	assert.Regexp(t, `^  faults before the timeline below \(\d+ earlier not shown\):\n`, faults, "ten crashes and the torn writes some left, the last eight shown")
	assert.Equal(t, 9, strings.Count(faults, "\n"), "a fault a line, with what it did: %s", faults)
	seen := regexp.MustCompile(`faults seen: (\d+) reboots \(10 crashes\), (\d+) of the network, (\d+) of the disks \(\d+ torn writes?\), unsynced writes lost in [1-9]\d* disk crash(es)?`).FindStringSubmatch(out)
	earlier := regexp.MustCompile(`faults before the timeline below \((\d+) earlier`).FindStringSubmatch(faults)
	require.NotNil(t, seen, out)
	require.NotNil(t, earlier, faults)
	assert.Equal(t, atoi(t, seen[1])+atoi(t, seen[2])+atoi(t, seen[3])-8, atoi(t, earlier[1]), "the faults not shown are those seen but the eight")
	assert.Regexp(t, `\n +9s  reboot: p-0 \(crash\) \[disk p-0: crash: unsynced changes in 1 file \([^)]*\): [^\]]*\]\n`, faults,
		"the last crash, with the unsynced write it touched, and without its sockets, of which it had none")
	assert.NotContains(t, faults, "down: p-0", "the reboot's line says what went down")
	assert.NotContains(t, faults, "net: host", "a crash that closed nothing says nothing of it")
	assert.NotContains(t, out[j:], "reboot: p-0", "the window holds the check, not the crashes")
}

// A failure long after the hosts' clocks were drawn lists them, skew and
// drift, before its window: a bug of clocks that disagree reads as two
// hosts disagreeing, and nothing else in the report says by how much.
// Clocks that are exact say nothing.
func TestReportListsTheHostsClocksBeforeTheWindow(t *testing.T) {
	for name, c := range map[string]struct {
		net  chaos.Network
		want bool
	}{
		"skewed": {chaos.Network{MaxClockSkew: 100 * time.Millisecond, MaxClockDrift: 50e-6}, true},
		"exact":  {chaos.Network{}, false},
	} {
		t.Run(name, func(t *testing.T) {
			res := simtest.Simulate(func(s *simtest.S) {
				s.Boot(simtest.Processes{Name: "lock", Count: 2, New: func() simtest.Process { return sleeper(time.Hour) }})
				s.HostProviders("client-0")
				for i := range 100 {
					s.Logf("step %d of the check", i)
					s.Sleep(time.Millisecond)
				}
				s.Errorf("two clients hold the lock")
			}, simtest.Seeds(1), simtest.Network(c.net))
			require.False(t, res.OK())
			out := res.Report
			i := strings.Index(out, "  host clocks, against simulated time:\n")
			if !c.want {
				assert.Equal(t, -1, i, out)
				return
			}
			j := strings.Index(out, "timeline around the first failure")
			require.True(t, 0 <= i && i < j, out)
			assert.Regexp(t, `^  host clocks, against simulated time:\n`+
				`    lock-0: skew -?[0-9.]+[mµn]?s, drift [+-]\d+ ppb\n`+
				`    lock-1: skew -?[0-9.]+[mµn]?s, drift [+-]\d+ ppb\n`+
				`    client-0: skew -?[0-9.]+[mµn]?s, drift [+-]\d+ ppb\n  $`, out[i:j])
		})
	}
}

// Two crashes at one instant each keep what they did on their own line.
func TestReportTellsTheEffectsOfCrashesAtOneInstantApart(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 2, New: func() simtest.Process { return unsyncedWriter{} }})
		s.Sleep(time.Second)
		c.Reboot("p-0", simtest.Crash)
		c.Reboot("p-1", simtest.Crash)
		for i := range 100 {
			s.Logf("step %d of the check", i)
			s.Sleep(time.Millisecond)
		}
		s.Errorf("a lost write, found by the check")
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1))
	require.False(t, res.OK())
	out := res.Report
	assert.Regexp(t, `\n +1s  reboot: p-0 \(crash\) \[disk p-0: crash: [^\]]*\]\n`, out)
	assert.Regexp(t, `\n +1s  reboot: p-1 \(crash\) \[disk p-1: crash: [^\]]*\]\n`, out)
}

// A failure of the engine (a panic at the end) with no error before it
// shows the last entries, folded.
func TestReportShowsTheLastEntriesOfASeedThatFailedAtItsEnd(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		for range 10 {
			s.Logf("retry")
			s.Logf("refused")
		}
		panic("boom")
	}, simtest.Seeds(1))
	out := res.Report
	assert.Contains(t, out, "timeline, its last entries")
	assert.Regexp(t, `driver +retry\n +0s +driver +refused\n +\.\.\.  \(the 2 lines above x 10\)\n`, out)
}

// A seed that panics while many tasks wait ends with a kill of each; the
// tail leaves out that teardown, and ends at the failure.
func TestReportLeavesOutTheTeardownAfterAPanic(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		for i := range 100 { // more than the 64 entries a report shows
			s.Go(fmt.Sprintf("waiter %d", i), func(ctx context.Context) error { return s.Providers().Time.Sleep(ctx, time.Hour) })
		}
		s.Sleep(time.Second)
		s.Logf("the write that will be lost")
		panic("boom")
	}, simtest.Seeds(1))
	out := res.Report
	i := strings.Index(out, "timeline, its last entries")
	require.GreaterOrEqual(t, i, 0, out)
	tail := out[i:]
	assert.Contains(t, tail, "the write that will be lost")
	assert.Contains(t, tail, "failed: panic")
	assert.NotContains(t, tail, "task killed", "the world's teardown is left out")
}

// Timers that fire and do nothing (a program's sleeps wake this way, many
// times a second) take no room in the report: the window reaches back past
// them to what led to the failure.
func TestReportLeavesOutTasksThatDidNothing(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		p := s.Providers()
		for _, d := range []time.Duration{7, 11, 13} {
			var tick func()
			tick = func() { p.Time.AfterFunc(d*time.Millisecond, tick) }
			tick()
		}
		s.Sleep(time.Second)
		s.Logf("the write that will be lost")
		s.Sleep(2 * time.Second)
		s.Errorf("an acknowledged write was lost")
	}, simtest.Seeds(1))
	timeline := failureWindow(t, res, "timeline around the first failure, at 3s")
	assert.Contains(t, timeline, "the write that will be lost", "what led to the failure is shown")
	assert.Contains(t, timeline, "error: an acknowledged write was lost")
	assert.NotContains(t, timeline, "AfterFunc", "the timers' tasks are left out")
	assert.Contains(t, timeline, "-simtimeline=FILE writes them all")
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err)
	return n
}

// Short tasks that log nothing would fill the window with their lines:
// a quorum's calls, which start and end between two other entries, and a
// server's handlers, which outlast the next entry. The window shows a
// task's start and end only beside its other entries.
func TestReportShowsTheLivesOfTasksThatDidSomethingThere(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		p := s.Providers()
		sleep := func(d time.Duration) func(ctx context.Context) error {
			return func(ctx context.Context) error { return p.Time.Sleep(ctx, d) }
		}
		s.Logf("the write that will be lost")
		for range 200 {
			if err := p.Task.Go(s.Context(), "quorum call", sleep(time.Millisecond)).Join(s.Context()); err != nil {
				s.Fatal(err)
			}
		}
		s.Go("checker", func(ctx context.Context) error {
			s.Logger().Info("checking")
			if err := p.Time.Sleep(ctx, 250*time.Millisecond); err != nil {
				return err
			}
			s.Logger().Info("checked")
			return nil
		})
		for i := range 30 {
			for range 10 {
				p.Task.Go(s.Context(), "handler", sleep(5*time.Millisecond))
			}
			s.Logf("batch %d", i)
			s.Sleep(10 * time.Millisecond)
		}
		s.Errorf("an acknowledged write was lost")
	}, simtest.Seeds(1))
	timeline := failureWindow(t, res, "timeline around the first failure")
	assert.Contains(t, timeline, "the write that will be lost", "the window reaches back past 1,000 lines of short tasks")
	assert.NotContains(t, timeline, "quorum call", "tasks with nothing else in the window are left out")
	assert.NotContains(t, timeline, "handler")
	assert.Regexp(t, `checker +task started\n(.*\n)*.*checker +checking\n(.*\n)*.*checker +checked\n.*checker +task finished`, timeline, "a task that did something is shown from its start to its end")
	assert.Contains(t, timeline, "earlier entries not shown", "what is left out is counted")
}

// failureWindow is the timeline part of the report of a failed one-seed
// Run, from its heading, which begins with heading.
func failureWindow(t *testing.T, res simtest.Result, heading string) string {
	t.Helper()
	require.False(t, res.OK())
	i := strings.Index(res.Report, heading)
	require.GreaterOrEqual(t, i, 0, res.Report)
	return res.Report[i:strings.Index(res.Report, "simtest: 1 seed")]
}

// Partial reads and writes are counted, but the faults listed before a
// failure leave them out, and so does the window, which counts them in
// its heading: many, as TCP allows, they would crowd out the reboots
// that tell the story. The timeline file keeps them.
func TestTheFaultsBeforeAFailureLeavePartialReadsAndWritesOut(t *testing.T) {
	cfg := chaos.Off()
	cfg.Network.PartialReadProb, cfg.Network.PartialWriteProb = 0.5, 0.5
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "n", Count: 3, New: chatty})
		for range 10 {
			s.Sleep(time.Millisecond)
			c.Reboot("n-0", simtest.Crash)
		}
		s.Sleep(2 * time.Second)
		s.Errorf("a reboot lost a write")
	}, simtest.Chaos(cfg), simtest.Seeds(1))
	require.False(t, res.OK())
	assert.Regexp(t, `\n *faults before the timeline below \(\d+ earlier not shown\):\n( +[\d.]+m?s  reboot: n-0 \(crash\) \[[^\n]*\]\n)+ *timeline around the first failure`, res.Report)
	assert.Regexp(t, `faults seen: 10 reboots \(10 crashes\), 0 of the network, 0 of the disks; all of them injected by the test \(an Injector, or a Cluster, Net or Disk call\); [1-9]\d* short reads and writes \([1-9]\d* reads?, [1-9]\d* writes?\)`, res.Report)
	timeline := failureWindow(t, res, "timeline around the first failure")
	assert.NotContains(t, timeline, "net: partial ")
	assert.Regexp(t, `^timeline around the first failure, at 2.01s \(\d+ earlier and \d+ later entries not shown, among them [1-9]\d* partial reads and writes; `, timeline)
	assert.Contains(t, timeline, "10ms  reboot: n-0 (crash)", "the window reaches back to the last reboot")
}

// A partial read at the failure's own instant stays in the window: a
// reader that mishandles one fails there, with an error or, where no
// failure came before the seed's end, a panic, whose timeline is its
// last entries.
func TestAPartialReadAtTheFailuresInstantIsShown(t *testing.T) {
	for _, panics := range []bool{false, true} {
		t.Run(fmt.Sprintf("panic=%v", panics), func(t *testing.T) {
			testAPartialReadAtTheFailuresInstantIsShown(t, panics)
		})
	}
}

func testAPartialReadAtTheFailuresInstantIsShown(t *testing.T, panics bool) {
	cfg := chaos.Off()
	cfg.Network.PartialReadProb = 1
	res := simtest.Simulate(func(s *simtest.S) {
		p := s.HostProviders("10.0.0.1")
		l, err := p.Network.Listen(s.Context(), ":7")
		require.NoError(s, err)
		s.Go("writer", func(ctx context.Context) error {
			c, err := s.HostProviders("10.0.0.2").Network.Dial(ctx, "10.0.0.1:7")
			if err == nil {
				_, err = c.Write([]byte("12345678"))
			}
			return err
		})
		c, err := l.Accept()
		require.NoError(s, err)
		for i := range 20 {
			buf := make([]byte, 8)
			n, _ := c.Read(buf) // a framer that takes one Read for a frame
			if i == 0 {
				s.Sleep(time.Second) // the next read's bytes have all arrived
			}
			if n < len(buf) && i > 0 && panics {
				panic(fmt.Sprintf("a short frame: %d of 8 bytes", n))
			}
			if n < len(buf) && i > 0 {
				s.Errorf("a short frame: %d of 8 bytes", n)
				return
			}
		}
	}, simtest.Chaos(cfg), simtest.Seeds(1))
	if panics {
		timeline := failureWindow(t, res, "timeline, its last entries")
		assert.Regexp(t, `net: partial read of \d of \d bytes on 10.0.0.1:7->10.0.0.2:49152\n.*failed: panic`, timeline)
		return
	}
	timeline := failureWindow(t, res, "timeline around the first failure")
	assert.Regexp(t, `net: partial read of \d of \d bytes on 10.0.0.1:7->10.0.0.2:49152\n.*error: a short frame`, timeline)
}

// The faults before a failure list the heal that ended a cut the test
// made, so that a reader can tell whether the cut was still on.
func TestTheFaultsBeforeAFailureListTheHeals(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "n", Count: 3, New: chatty})
		s.Sleep(time.Millisecond)
		s.Network().Partition([]string{"n-0"}, []string{"n-1", "n-2"})
		s.Sleep(time.Millisecond)
		s.Network().Heal()
		s.Sleep(time.Millisecond)
		s.Network().Partition([]string{"n-1"}, []string{"n-0", "n-2"})
		for i := range 3000 { // lines enough to push the cuts out of the window
			s.Sleep(time.Millisecond)
			s.Logf("tick %d", i)
		}
		s.Errorf("a cut lost a write")
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1))
	require.False(t, res.OK())
	assert.Regexp(t, `\n *faults before the timeline below:\n +1ms  driver +net: partition \{n-0\} \| \{n-1 n-2\}\n +2ms  driver +net: heal\n +3ms  driver +net: partition \{n-1\} \| \{n-0 n-2\}\n *timeline around the first failure`, res.Report)
	assert.Contains(t, res.Report, "faults seen: 0 reboots, 2 of the network (2 partitions)", "a heal is no fault to count")
}

// A failure's window leaves out the records below INFO, of the code under
// test and of programs alike, before the failure and after it, and its
// heading counts them and says where they are: a library's debug lines
// come by the hundred and would push out of the window the lines that
// tell why it failed. The timeline file keeps them.
func TestTheFailureWindowLeavesRecordsBelowInfoOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timeline.jsonl")
	body := func(s *simtest.S) {
		log := s.Logger()
		for i := range 200 {
			log.Debug("push/pull sync", "n", i)
			if i == 150 {
				log.Warn("marking kv-1 as failed")
			}
			s.Sleep(10 * time.Millisecond)
		}
		s.Errorf("the members did not agree")
		log.Debug("after the failure")
		log.Info("still running")
	}
	res := simtest.Simulate(body, simtest.Seeds(1), simtest.KeepFailures(false))
	window := failureWindow(t, res, "timeline around the first failure")
	assert.NotContains(t, window, "push/pull sync")
	assert.NotContains(t, window, "after the failure")
	assert.Contains(t, window, "marking kv-1 as failed level=WARN")
	assert.Contains(t, window, "still running")
	assert.Regexp(t, `^timeline around the first failure, at 2s \(\d+ earlier and \d+ later entries not shown, among them 201 records below level INFO; -simtimeline=FILE writes them all; -simhtml=FILE draws them\):`, window)

	res = simtest.Simulate(body, simtest.Seeds(1), simtest.KeepFailures(false), simtest.TimelineFile(path))
	window = failureWindow(t, res, "timeline around the first failure")
	assert.Regexp(t, `^timeline around the first failure, at 2s \(\d+ earlier and \d+ later entries not shown, among them 201 records below level INFO; -simhtml=FILE draws them\):`, window)
	file, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, 200, strings.Count(string(file), `"msg":"push/pull sync","level":"DEBUG"`), "the timeline file keeps every record")
}

// A seed that fails as it ends (a deadlock) shows its last entries
// without the records below INFO, and says so.
func TestTheLastEntriesOfASeedLeaveRecordsBelowInfoOut(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		log := s.Logger()
		log.Info("waiting for a reply")
		for i := range 100 {
			log.Debug("tick", "n", i)
		}
		never := providers.NewChan[int](s.Providers().Task, 0)
		never.Recv(s.Context()) // nothing sends: a deadlock
	}, simtest.Seeds(1), simtest.KeepFailures(false))
	require.Equal(t, 1, res.Failed, res.Report)
	_, tail, ok := strings.Cut(res.Report, "timeline, its last entries")
	require.True(t, ok, res.Report)
	assert.Regexp(t, `^ but 100 records below level INFO \(-simtimeline=FILE writes it whole; -simhtml=FILE draws them\):\n`, tail)
	assert.NotContains(t, tail, "tick")
	assert.Contains(t, tail, "waiting for a reply")
}

// The records below INFO of the first failure's instant join its window:
// the debug line that says why often comes just before the error.
func TestTheFailureWindowKeepsTheRecordsOfItsInstant(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		log := s.Logger()
		log.Debug("an earlier tick")
		s.Sleep(time.Millisecond)
		log.Debug("the reason: disk full")
		s.Errorf("the write failed")
	}, simtest.Seeds(1), simtest.KeepFailures(false))
	window := failureWindow(t, res, "timeline around the first failure")
	assert.Contains(t, window, "the reason: disk full level=DEBUG")
	assert.Less(t, strings.Index(window, "the reason: disk full"), strings.Index(window, "the write failed"), "in the order they came")
	assert.NotContains(t, window, "an earlier tick")
	assert.Contains(t, window, "among them 1 record below level INFO")
}

// The sleeps the network's buggified delay pushed back by under a
// millisecond are left out of a failure's window and counted, as a
// program's timers meet them by the dozen; longer delays, which can make
// a timer late, stay.
func TestTheFailureWindowLeavesShortSleepDelaysOut(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.SleepDelayProb, cfg.MaxSleepDelay = 1, 100*time.Millisecond
	res := simtest.Simulate(func(s *simtest.S) {
		p := s.HostProviders("10.0.0.1")
		for range 2000 {
			p.Time.Sleep(s.Context(), time.Millisecond)
		}
		s.Errorf("the timers ran late")
	}, simtest.Seeds(1), simtest.KeepFailures(false), simtest.Network(cfg))
	window := failureWindow(t, res, "timeline around the first failure")
	long := 0
	for _, line := range strings.Split(window, "\n") {
		if _, d, ok := strings.Cut(line, "net: sleep on 10.0.0.1 delayed by "); ok {
			v, err := time.ParseDuration(strings.Fields(d)[0])
			require.NoError(t, err, line)
			assert.GreaterOrEqual(t, v, time.Millisecond, "a short delay in the window: %s", line)
			long++
		}
	}
	assert.Positive(t, long, "the longer delays stay: %s", window)
	assert.Regexp(t, `among them \d+ sleeps delayed by under 1ms`, window)
}

// A connection opened and closed with nothing between shows in a
// failure's window as one line, its connect's, which says when it was
// closed: a protocol that opens one for each exchange would fill the
// window with three lines an exchange.
func TestTheFailureWindowFoldsAShortConnectionIntoOneLine(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		server := s.HostProviders("10.0.0.1")
		l, err := server.Network.Listen(s.Context(), ":7946")
		require.NoError(s, err)
		server.Task.Go(s.Context(), "accept", func(ctx context.Context) error {
			for {
				c, err := l.Accept()
				if err != nil {
					return nil
				}
				_, _ = c.Read(make([]byte, 1)) // until the caller closes
				c.Close()
			}
		})
		for i := range 5 {
			s.Sleep(time.Duration(i) * time.Millisecond) // no two exchanges alike
			c, err := s.Providers().Network.Dial(s.Context(), "10.0.0.1:7946")
			require.NoError(s, err)
			s.Sleep(time.Millisecond)
			c.Close()
			s.Sleep(time.Second)
		}
		s.Errorf("the members did not agree")
	}, simtest.Seeds(1), simtest.KeepFailures(false), simtest.Network(chaos.NoNetworkFaults()))
	window := failureWindow(t, res, "timeline around the first failure")
	assert.Equal(t, 5, strings.Count(window, "net: connected 10.0.0.254:"), window)
	assert.Regexp(t, `net: connected 10\.0\.0\.254:\d+->10\.0\.0\.1:7946, closed 1\.\d+ms later\n`, window)
	assert.NotContains(t, window, "net: close ", "every close folded into its connect's line")
}

// Refused connects that repeat one the window keeps take none of its
// room: three clients redialling a server that is down, 20 times each,
// leave the lines before them in a window of 16, and their first copies
// count the rest.
func TestRefusedConnectsAgainTakeNoRoomInTheWindow(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "server", Count: 1, New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error { return providers.Wait(ctx, p.Task) })
		}})
		for i := range 10 {
			s.Logf("story line %d", i)
			s.Sleep(time.Millisecond)
		}
		for c := range 3 {
			p := s.HostProviders(fmt.Sprintf("client-%d", c))
			s.Go(fmt.Sprintf("client-%d", c), func(ctx context.Context) error {
				for range 20 {
					if conn, err := p.Network.Dial(ctx, "server-0:4500"); err == nil {
						_ = conn.Close()
					}
					_ = p.Time.Sleep(ctx, 10*time.Millisecond)
				}
				return nil
			})
		}
		s.Sleep(time.Second)
		s.Errorf("the failure")
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.TimelineTail(16))
	timeline := failureWindow(t, res, "timeline around the first failure")
	for i := range 10 {
		assert.Contains(t, timeline, fmt.Sprintf("story line %d", i))
	}
	for c := range 3 {
		assert.Regexp(t, fmt.Sprintf(`client-%d +net: connect client-%d -> server-0:4500 refused  \(x 20, to [\d.]+ms, the others left out\)`, c, c), timeline)
	}
}

// With a focus, a failed seed's window shows the named processes' entries
// alone, and those that name them (a reboot's), with the failure and the
// phases; its heading counts the others'.
func TestTheWindowShowsTheFocusedProcessesAlone(t *testing.T) {
	chatty := func() simtest.Process {
		return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
			for i := 0; ; i++ {
				if err := p.Time.Sleep(ctx, 10*time.Millisecond); err != nil {
					return nil
				}
				p.Logger.Info(fmt.Sprintf("%s tick %d", p.Cluster.Self().Name, i))
			}
		})
	}
	run := func(opts ...simtest.Option) string {
		res := simtest.Simulate(func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "node", Count: 12, New: chatty})
			s.Sleep(1900 * time.Millisecond)
			c.Reboot("node-1", simtest.Crash)
			s.Sleep(100 * time.Millisecond)
			s.Errorf("node-1 disagrees")
		}, append(opts, simtest.Chaos(chaos.Off()), simtest.Seeds(1), simtest.KeepFailures(false))...)
		require.Equal(t, 1, res.Failed)
		_, window, ok := strings.Cut(res.Report, "timeline around the first failure")
		require.True(t, ok, res.Report)
		return window
	}
	all := run()
	assert.Contains(t, all, "node-7 tick")
	focused := run(simtest.WindowFocus("node-1"))
	assert.Regexp(t, `^, at 2s \(\d+ earlier (and \d+ later )?entries not shown, among them \d+ entries of processes other than node-1 \(-simfocus\); `, focused)
	assert.NotContains(t, focused, "node-10 tick", "node-10 is not node-1")
	assert.NotContains(t, focused, "node-7 tick")
	assert.Contains(t, focused, "node-1 tick")
	assert.Contains(t, focused, "reboot: node-1 (crash)")
	assert.Contains(t, focused, "error: node-1 disagrees")

	assert.Contains(t, simtest.Simulate(func(*simtest.S) {}, simtest.WindowFocus("")).Report, "simtest.WindowFocus: an empty name")
}

// Under a focus, the faults before a failure list the reboots of other
// processes that the window's span held and its focus left out: none of
// the faults an unfocused report lists goes missing, nor is counted as
// earlier than those listed.
func TestAFocusedWindowListsTheFaultsItLeftOut(t *testing.T) {
	chatty := func() simtest.Process {
		return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
			for i := 0; ; i++ {
				if err := p.Time.Sleep(ctx, 10*time.Millisecond); err != nil {
					return nil
				}
				p.Logger.Info(fmt.Sprintf("%s tick %d", p.Cluster.Self().Name, i))
			}
		})
	}
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.MaxDead = 4
	cfg.Attrition.Interval = chaos.Range{Min: 50 * time.Millisecond, Max: 200 * time.Millisecond}
	run := func(opts ...simtest.Option) string {
		res := simtest.Simulate(func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "node", Count: 12, New: chatty})
			c.Run(simtest.Phases{Chaos: 20 * time.Second}, cutShort(func(ctx context.Context, p providers.Providers) error {
				_ = p.Time.Sleep(ctx, 15*time.Second)
				s.Errorf("node-1 disagrees")
				return nil
			}))
		}, append(opts, simtest.Chaos(cfg), simtest.Seeds(1), simtest.KeepFailures(false))...)
		require.Equal(t, 1, res.Failed)
		return res.Report
	}
	faults := regexp.MustCompile(`(?m)^ +[\d.]+m?s  reboot: node-\d+ \(.*\)$`)
	all, focused := run(), run(simtest.WindowFocus("node-1"))
	listed := faults.FindAllString(all, -1)
	require.NotEmpty(t, listed, all)
	for _, f := range listed {
		assert.True(t, strings.Contains(focused, f), "under the focus, %q is missing", strings.TrimSpace(f))
	}
	heading := "faults before the timeline below, and in it those of processes other than node-1 (-simfocus)"
	assert.True(t, strings.Contains(focused, heading), "under the focus, no heading %q", heading)
}
