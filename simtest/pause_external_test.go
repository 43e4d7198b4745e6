package simtest_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
	"github.com/moonpool-go/moonpool/simtest/timelinehtml"
)

// pausable is a process that counts its ticks, one each 100 ms, and echoes
// what it reads on :7 until it is asked to stop.
type pausable struct {
	ticks   int
	stopped bool // its Run returned, asked to stop
}

func (tk *pausable) Run(ctx context.Context, p providers.Providers) error {
	l, err := p.Network.Listen(ctx, ":7")
	if err != nil {
		return err
	}
	defer l.Close()
	p.Task.Go(ctx, "accept", func(ctx context.Context) error {
		for {
			conn, err := l.Accept()
			if err != nil {
				return nil
			}
			p.Task.Go(ctx, "echo", func(ctx context.Context) error {
				b := make([]byte, 64)
				for {
					n, err := conn.Read(b)
					if err != nil {
						return nil
					}
					if _, err := conn.Write(b[:n]); err != nil {
						return nil
					}
				}
			})
		}
	})
	for p.Time.Sleep(ctx, 100*time.Millisecond) == nil {
		tk.ticks++
	}
	tk.stopped = true
	return nil
}

// messages returns the timeline's messages that start with one of the
// prefixes.
func messages(tl *simtest.Timeline, prefixes ...string) []string {
	var out []string
	for _, e := range tl.Snapshot() {
		for _, p := range prefixes {
			if strings.HasPrefix(e.Msg, p) {
				out = append(out, e.Msg)
			}
		}
	}
	return out
}

// While a process is paused, none of its tasks runs, but the world goes
// on: its host accepts a connect and takes the data sent to it, and
// when it resumes it answers at once. The timeline names both ends.
func TestAPausedProcessRunsNothingWhileTheWorldGoesOn(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		srv := &pausable{}
		c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return srv }})
		s.Sleep(time.Second)
		start := s.Now()
		var back time.Time
		h := s.Go("pause", func(ctx context.Context) error {
			c.Pause("srv-0", 3*time.Second)
			back = s.Now()
			return nil
		})
		s.Sleep(time.Millisecond)
		ticks := srv.ticks
		conn, err := s.Providers().Network.Dial(s.Context(), "srv-0:7")
		require.NoError(s, err, "a paused process's host accepts a connect")
		_, err = conn.Write([]byte("hi"))
		require.NoError(s, err)
		assert.True(s, c.Alive("srv-0"), "a paused process is up")
		s.Sleep(2 * time.Second)
		assert.Equal(s, ticks, srv.ticks, "no task of a paused process runs")
		b := make([]byte, 8)
		n, err := conn.Read(b)
		require.NoError(s, err)
		assert.Equal(s, "hi", string(b[:n]))
		assert.GreaterOrEqual(s, s.Now().Sub(start), 3*time.Second, "the answer comes once the process resumes")
		require.NoError(s, h.Join(s.Context()))
		assert.Equal(s, 3*time.Second, back.Sub(start), "Pause returns as the process resumes")
		s.Sleep(time.Second)
		assert.Greater(s, srv.ticks, ticks+5, "a resumed process runs on")
		assert.Equal(s, 1, c.Boots("srv-0"), "a pause is no reboot")
		assert.Equal(s, []string{"pause: srv-0 paused for 3s", "resume: srv-0 resumed after 3s"}, messages(tl, "pause:", "resume:"))
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
	require.True(t, res.OK(), res.Report)
}

// A paused process can be crashed, as SIGKILL ends a stopped process: it
// dies as it stands and boots again, and the pause's end finds nothing to
// resume. A graceful stop resumes it, so that it hears it is asked to
// stop, and it returns within its grace.
func TestAPausedProcessCanBeStopped(t *testing.T) {
	for _, how := range []simtest.Reboot{simtest.Crash, simtest.Kill, simtest.Graceful} {
		t.Run(how.String(), func(t *testing.T) {
			res := simtest.Simulate(func(s *simtest.S) {
				tl := s.Timeline()
				var insts []*pausable
				c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process {
					insts = append(insts, &pausable{})
					return insts[len(insts)-1]
				}})
				s.Sleep(time.Second)
				start := s.Now()
				h := s.Go("pause", func(ctx context.Context) error {
					c.Pause("srv-0", 3*time.Second)
					return nil
				})
				s.Sleep(time.Second)
				ticks := insts[0].ticks
				c.Reboot("srv-0", how, simtest.Grace(time.Second), simtest.DownFor(time.Second))
				assert.Less(s, s.Now().Sub(start), 3*time.Second, "a stop does not wait for the pause to end")
				assert.Equal(s, how == simtest.Graceful, insts[0].stopped, "only a graceful stop lets the paused process return")
				if how != simtest.Graceful {
					assert.Equal(s, ticks, insts[0].ticks, "a paused process crashed runs no step more")
				}
				require.NoError(s, h.Join(s.Context()))
				s.Sleep(time.Second)
				require.Len(s, insts, 2)
				assert.Greater(s, insts[1].ticks, 5, "the process booted again runs")
				want := []string{"pause: srv-0 paused for 3s"}
				if how == simtest.Graceful {
					want = append(want, "resume: srv-0 resumed after 1s, for a graceful stop (SIGCONT after SIGTERM)")
				}
				assert.Equal(s, want, messages(tl, "pause:", "resume:"))
			}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
			require.True(t, res.OK(), res.Report)
		})
	}
}

// A Pause of a process that is paused already waits for it to resume,
// then pauses it again.
func TestPauseOfAPausedProcessWaits(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return &pausable{} }})
		s.Sleep(time.Second)
		start := s.Now()
		h := s.Go("pause", func(ctx context.Context) error {
			c.Pause("srv-0", 2*time.Second)
			return nil
		})
		s.Sleep(time.Second)
		c.Pause("srv-0", time.Second)
		assert.Equal(s, 3*time.Second, s.Now().Sub(start))
		require.NoError(s, h.Join(s.Context()))
		assert.Equal(s, []string{
			"pause: srv-0 paused for 2s",
			"resume: srv-0 resumed after 2s",
			"pause: srv-0 paused for 1s",
			"resume: srv-0 resumed after 1s",
		}, messages(tl, "pause:", "resume:"))
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	require.True(t, res.OK(), res.Report)
}

// A pause lasts more than zero and at most chaos.MaxDuration.
func TestPauseLengthIsChecked(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second, chaos.MaxDuration + 1} {
		res := simtest.Simulate(func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return &pausable{} }})
			c.Pause("srv-0", d)
		}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
		require.False(t, res.OK())
		assert.Contains(t, res.Report, "a pause lasts more than zero and at most chaos.MaxDuration", "%v", d)
	}
}

// Attrition's pauses count against MaxDead while they last, and the
// report counts them with the reboots.
func TestAttritionPausesWithinMaxDead(t *testing.T) {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.Graceful, cfg.Attrition.Crash, cfg.Attrition.PowerLoss, cfg.Attrition.Pause = 0, 0, 0, 1
	cfg.Attrition.Interval = chaos.Range{Min: 100 * time.Millisecond, Max: 500 * time.Millisecond}
	seen := 0
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		c := s.Boot(simtest.Processes{Name: "srv", Count: 3, New: func() simtest.Process { return &pausable{} }})
		c.Run(simtest.Phases{Chaos: 20 * time.Second}, nil...)
		paused := 0
		for _, m := range messages(tl, "pause:", "resume:") {
			if strings.HasPrefix(m, "pause:") {
				paused++
				seen++
			} else {
				paused--
			}
			assert.LessOrEqual(s, paused, 1, "MaxDead 1: one pause at a time")
			assert.GreaterOrEqual(s, paused, 0)
		}
		assert.Zero(s, paused, "every pause ends before the check")
		for _, name := range c.Group("srv") {
			assert.Equal(s, 1, c.Boots(name), "a pause is no reboot")
		}
	}, simtest.Seeds(5), simtest.Chaos(cfg))
	require.True(t, res.OK(), res.Report)
	assert.Greater(t, seen, 5)
	assert.Regexp(t, `\n    faults seen: 0 reboots, [1-9]\d* pauses, 0 of the network, 0 of the disks\n`, res.Report,
		"attrition's pauses are pauses, not reboots")
}

// Attrition by machine pauses every process of the machine at once, as a
// hypervisor stops a VM, and counts the machine against MaxDead until
// they resume.
func TestAttritionPausesAWholeMachine(t *testing.T) {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.Unit = chaos.Machine
	cfg.Attrition.Graceful, cfg.Attrition.Crash, cfg.Attrition.PowerLoss, cfg.Attrition.Pause = 0, 0, 0, 1
	seen := 0
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		c := s.Boot(simtest.Processes{Name: "p", Count: 4, Topology: simtest.Topology{Machines: 2, PerMachine: 2},
			New: func() simtest.Process { return &pausable{} }})
		c.Run(simtest.Phases{Chaos: 20 * time.Second})
		byInstant := map[time.Duration][]string{}
		var instants []time.Duration
		for _, e := range tl.Snapshot() {
			if name, ok := strings.CutPrefix(e.Msg, "pause: "); ok {
				if byInstant[e.At] == nil {
					instants = append(instants, e.At)
				}
				name, _, _ = strings.Cut(name, " ")
				byInstant[e.At] = append(byInstant[e.At], name)
			}
		}
		for i, at := range instants {
			seen++
			got := byInstant[at]
			assert.Contains(s, [][]string{{"p-0", "p-1"}, {"p-2", "p-3"}}, got, "a machine's processes pause together")
			if i > 0 {
				assert.GreaterOrEqual(s, at-instants[i-1], 200*time.Millisecond, "MaxDead 1: the next pause comes after the last resumed")
			}
		}
	}, simtest.Seeds(3), simtest.Chaos(cfg))
	require.True(t, res.OK(), res.Report)
	assert.Positive(t, seen)
}

// The HTML timeline draws a pause and its resume on the process's lane,
// as the marks of a process stopping.
func TestTheHTMLTimelineDrawsPausesOnTheProcess(t *testing.T) {
	var doc *timelinehtml.Doc
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return &pausable{} }})
		s.Sleep(time.Second)
		c.Pause("srv-0", time.Second)
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.TimelineDoc(func(d *timelinehtml.Doc) { doc = d }))
	require.True(t, res.OK(), res.Report)
	require.NotNil(t, doc)
	var drawn []string
	for _, e := range doc.Events {
		if strings.HasPrefix(e.Msg, "pause: ") || strings.HasPrefix(e.Msg, "resume: ") {
			assert.Equal(t, timelinehtml.KindReboot, e.Kind, e.Msg)
			drawn = append(drawn, e.Lane)
		}
	}
	assert.Equal(t, []string{"srv-0", "srv-0"}, drawn)
	// The stretch between them is drawn as a band across the lane.
	assert.Equal(t, []timelinehtml.Span{{StartNS: int64(time.Second), EndNS: int64(2 * time.Second), Lane: "srv-0",
		Kind: timelinehtml.KindReboot, Msg: "pause: srv-0 paused for 1s"}}, doc.Spans)
}

// A paused process crashed is paused until it goes down: its band ends
// there, not at the end of the pause's length.
func TestTheHTMLTimelineEndsAPauseWhereItsProcessWentDown(t *testing.T) {
	var doc *timelinehtml.Doc
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "srv", Count: 2, New: func() simtest.Process { return &pausable{} }})
		s.Sleep(time.Second)
		h := s.Go("pause", func(ctx context.Context) error {
			c.Pause("srv-1", 3*time.Second)
			return nil
		})
		s.Sleep(time.Second)
		c.Reboot("srv-1", simtest.Crash, simtest.DownFor(5*time.Second))
		require.NoError(s, h.Join(s.Context()))
		s.Sleep(10 * time.Second)
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.TimelineDoc(func(d *timelinehtml.Doc) { doc = d }))
	require.True(t, res.OK(), res.Report)
	require.NotNil(t, doc)
	assert.Equal(t, []timelinehtml.Span{{StartNS: int64(time.Second), EndNS: int64(2 * time.Second), Lane: "srv-1",
		Kind: timelinehtml.KindReboot, Msg: "pause: srv-1 paused for 3s"}}, doc.Spans)
}

// With room for two down, attrition pauses two processes at once, never
// one already paused.
func TestAttritionNeverPausesAPausedProcess(t *testing.T) {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.MaxDead = 2
	cfg.Attrition.Graceful, cfg.Attrition.Crash, cfg.Attrition.PowerLoss, cfg.Attrition.Pause = 0, 0, 0, 1
	cfg.Attrition.Interval = chaos.Range{Min: 10 * time.Millisecond, Max: 100 * time.Millisecond}
	overlapped := 0
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		c := s.Boot(simtest.Processes{Name: "srv", Count: 3, New: func() simtest.Process { return &pausable{} }})
		c.Run(simtest.Phases{Chaos: 10 * time.Second})
		paused := map[string]bool{}
		for _, m := range messages(tl, "pause:", "resume:") {
			verb, rest, _ := strings.Cut(m, ": ")
			name, _, _ := strings.Cut(rest, " ")
			if verb == "pause" {
				assert.False(s, paused[name], "%s paused while paused", name)
				paused[name] = true
				if len(paused) == 2 {
					overlapped++
				}
			} else {
				delete(paused, name)
			}
		}
	}, simtest.Seeds(3), simtest.Chaos(cfg))
	require.True(t, res.OK(), res.Report)
	assert.Positive(t, overlapped, "two processes were paused at once")
}

// A process may pause itself: it resumes after d, and its Pause returns
// then, though its own task was held with the others.
func TestAProcessPausesItself(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		var back time.Duration
		ticks := 0
		c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				simtest.ClusterOf(p).Pause(p.Cluster.Self().Name, time.Second)
				back = s.Elapsed()
				for p.Time.Sleep(ctx, 100*time.Millisecond) == nil {
					ticks++
				}
				return nil
			})
		}})
		s.Sleep(5 * time.Second)
		assert.Equal(s, time.Second, back, "Pause returns as the process resumes")
		assert.Greater(s, ticks, 30, "the process runs on after its pause")
		assert.True(s, c.Alive("srv-0"))
		assert.Equal(s, []string{"pause: srv-0 paused for 1s", "resume: srv-0 resumed after 1s"}, messages(tl, "pause:", "resume:"))
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
	require.True(t, res.OK(), res.Report)
}

// A pause that a process started ends at d though that process is
// crashed meanwhile: the process it paused runs again.
func TestAPauseOutlivesThePauser(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		srv := &pausable{}
		c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return srv }},
			simtest.Processes{Name: "a", New: func() simtest.Process {
				return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
					simtest.ClusterOf(p).Pause("srv-0", 3*time.Second)
					return p.Time.Sleep(ctx, time.Hour)
				})
			}})
		s.Sleep(time.Second)
		ticks := srv.ticks
		c.Stop("a-0", simtest.Crash)
		s.Sleep(time.Second)
		assert.Equal(s, ticks, srv.ticks, "the pause goes on after its pauser is crashed")
		s.Sleep(2 * time.Second)
		assert.Greater(s, srv.ticks, ticks+5, "the paused process runs again at d")
		assert.Equal(s, []string{"pause: srv-0 paused for 3s", "resume: srv-0 resumed after 3s"}, messages(tl, "pause:", "resume:"))
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
	require.True(t, res.OK(), res.Report)
}

// clockReader is a process that reads its clock every 100 ms, and then
// reads it again: the second read tells when it went on with the first.
type clockReader struct {
	reads [][2]time.Time // each first read, and the read after it
}

func (cr *clockReader) Run(ctx context.Context, p providers.Providers) error {
	for p.Time.Sleep(ctx, 100*time.Millisecond) == nil {
		read := p.Time.Now()
		cr.reads = append(cr.reads, [2]time.Time{read, p.Time.Now()})
	}
	return nil
}

// A pause after a clock read falls between the read and what the task
// does next, with no wait of the task's between them: the read returns
// the time before the pause, the task goes on after it.
func TestAPauseAfterAClockReadSplitsTheReadFromWhatFollows(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		cr := &clockReader{}
		c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return cr }})
		s.Sleep(time.Second + 50*time.Millisecond)
		start := s.Now()
		c.PauseAfterClockRead("srv-0", 3*time.Second)
		back := s.Now()
		s.Sleep(time.Second)
		var split [][2]time.Time
		for _, r := range cr.reads {
			if !r[0].Equal(r[1]) {
				split = append(split, r)
			}
		}
		require.Len(s, split, 1, "one read is split from what follows it")
		assert.Equal(s, 3*time.Second, split[0][1].Sub(split[0][0]))
		assert.Less(s, split[0][0].Sub(start), 100*time.Millisecond, "the pause begins at the next read")
		assert.Equal(s, split[0][1], back, "PauseAfterClockRead returns as the process resumes")
		assert.Regexp(s, `^pause: srv-0 paused for 3s, just after srv-0\S* read its clock$`, messages(tl, "pause:")[0])
		assert.Equal(s, []string{"resume: srv-0 resumed after 3s"}, messages(tl, "resume:"))
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
	require.True(t, res.OK(), res.Report)
}

// A process that reads no clock within the pause's length is paused then,
// wherever its tasks wait, for the whole length.
func TestAPauseAfterAClockReadThatNeverComesBeginsAtItsLength(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		srv := &pausable{} // sleeps, and reads no clock
		c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return srv }})
		s.Sleep(time.Second)
		start := s.Now()
		var ticks []int
		h := s.Go("pause", func(context.Context) error {
			c.PauseAfterClockRead("srv-0", 2*time.Second)
			return nil
		})
		s.Sleep(1900 * time.Millisecond)
		ticks = append(ticks, srv.ticks)
		s.Sleep(200 * time.Millisecond)
		ticks = append(ticks, srv.ticks)
		s.Sleep(1800 * time.Millisecond)
		ticks = append(ticks, srv.ticks)
		require.NoError(s, h.Join(s.Context()))
		assert.Equal(s, 4*time.Second, s.Now().Sub(start), "the pause began at 2s and lasted 2s")
		assert.Equal(s, ticks[1], ticks[2], "paused from 2s on")
		assert.Greater(s, ticks[1], ticks[0]-1, "it ran until then")
		assert.Equal(s, []string{"pause: srv-0 paused for 2s", "resume: srv-0 resumed after 2s"}, messages(tl, "pause:", "resume:"))
	}, simtest.Seeds(2), simtest.Chaos(chaos.Off()))
	require.True(t, res.OK(), res.Report)
}

// Attrition begins some of its pauses at once and some just after a
// clock read.
func TestAttritionPausesSomeProcessesAfterAClockRead(t *testing.T) {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.Graceful, cfg.Attrition.Crash, cfg.Attrition.PowerLoss, cfg.Attrition.Pause = 0, 0, 0, 1
	kinds := map[bool]int{}
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		c := s.Boot(simtest.Processes{Name: "srv", Count: 2, New: func() simtest.Process { return &clockReader{} }})
		c.Run(simtest.Phases{Chaos: 30 * time.Second}, nil...)
		for _, m := range messages(tl, "pause:") {
			kinds[strings.Contains(m, "just after")]++
		}
	}, simtest.Seeds(5), simtest.Chaos(cfg))
	require.True(t, res.OK(), res.Report)
	assert.Greater(t, kinds[true], 2, "pauses just after a clock read")
	assert.Greater(t, kinds[false], 2, "pauses at once")
}

// A pause that attrition drew in the chaos phase and that still waits for
// a clock read when attrition ends is taken back: no pause begins in the
// quiesce.
func TestNoDrawnPauseBeginsAfterTheChaosPhase(t *testing.T) {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.Graceful, cfg.Attrition.Crash, cfg.Attrition.PowerLoss, cfg.Attrition.Pause = 0, 0, 0, 1
	cfg.Attrition.Interval = chaos.Range{Min: 100 * time.Millisecond, Max: 300 * time.Millisecond}
	cfg.Attrition.PauseFor = chaos.Range{Min: 3 * time.Second, Max: 3 * time.Second}
	armed := 0
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		// They read no clock: a pause that waits for a read waits for
		// its whole length.
		s.Boot(simtest.Processes{Name: "srv", Count: 3, New: func() simtest.Process { return &pausable{} }}).
			Run(simtest.Phases{Chaos: time.Second})
		var quiesce time.Duration
		for _, e := range tl.Snapshot() {
			switch {
			case e.Msg == "phase: quiesce":
				quiesce = e.At
			case strings.HasPrefix(e.Msg, "pause:") && quiesce > 0:
				s.Errorf("%v: %s, in the quiesce", e.At, e.Msg)
			case strings.HasPrefix(e.Msg, "pause:"):
				armed++
			}
		}
	}, simtest.Seeds(8), simtest.Chaos(cfg))
	require.True(t, res.OK(), res.Report)
	assert.Positive(t, armed, "some pauses began at once, in the chaos phase")
}

// lockedClock is a process whose tasks share a sync.Mutex that each holds
// across a read of its clock, and across nothing that parks.
type lockedClock struct {
	mu   sync.Mutex
	last time.Time
}

func (lc *lockedClock) Run(ctx context.Context, p providers.Providers) error {
	for i := range 4 {
		p.Task.Go(ctx, fmt.Sprint("worker-", i), func(ctx context.Context) error {
			for p.Time.Sleep(ctx, 10*time.Millisecond) == nil {
				lc.mu.Lock()
				if now := p.Time.Now(); now.After(lc.last) {
					lc.last = now
				}
				lc.mu.Unlock()
			}
			return nil
		})
	}
	return providers.Wait(ctx, p.Task)
}

// A pause just after a clock read resumes the task it interrupted first,
// as a real pause resumes the thread it stopped: a sync.Mutex that the
// task holds across the read is let go before another task of the
// process can ask for it, and no task blocks on it outside the
// simulation.
func TestAPauseAfterAClockReadKeepsASyncMutexHeldAcrossTheReadSafe(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "lockd", New: func() simtest.Process { return &lockedClock{} }})
		for range 10 {
			s.Sleep(95 * time.Millisecond)
			c.PauseAfterClockRead("lockd-0", 200*time.Millisecond)
		}
	}, simtest.Seeds(8), simtest.Chaos(chaos.Off()))
	require.True(t, res.OK(), res.Report)
}

// Paused tells a paused process from a running one, both alive: from the
// pause's start to its end, and not while a pause waits for a clock read
// or once a crash ended the pause.
func TestPausedReportsAPauseWhileItLasts(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return &pausable{} }})
		s.Sleep(time.Second)
		assert.False(s, c.Paused("srv-0"), "running")
		h := s.Go("pause", func(context.Context) error {
			c.Pause("srv-0", 2*time.Second)
			return nil
		})
		s.Sleep(time.Second)
		assert.True(s, c.Paused("srv-0"), "paused")
		assert.True(s, c.Alive("srv-0"), "a paused process is alive")
		require.NoError(s, h.Join(s.Context()))
		assert.False(s, c.Paused("srv-0"), "resumed")

		// pausable reads no clock: the pause waits for 2s, then begins.
		h = s.Go("pause after a read", func(context.Context) error {
			c.PauseAfterClockRead("srv-0", 2*time.Second)
			return nil
		})
		s.Sleep(time.Second)
		assert.False(s, c.Paused("srv-0"), "a pause that waits for a clock read has not begun")
		s.Sleep(1500 * time.Millisecond)
		assert.True(s, c.Paused("srv-0"), "it began at its length")
		c.Reboot("srv-0", simtest.Crash)
		assert.False(s, c.Paused("srv-0"), "a crash ends the pause")
		require.NoError(s, h.Join(s.Context()))
	}, simtest.Seeds(2), simtest.Chaos(chaos.Off()))
	require.True(t, res.OK(), res.Report)
}

// An invariant that takes the lock a process holds across a clock read
// skips the process while it is paused, as reboots.md says; from the
// resume until the task the pause stopped has gone on, the process is no
// longer paused but the lock is still held, and the invariant waits then
// rather than block outside the simulation.
func TestAnInvariantWaitsForTheTaskAPauseStoppedToGoOn(t *testing.T) {
	var checks int
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "lockd", New: func() simtest.Process { return &lockedClock{} }})
		s.Invariant("the last time read is not ahead of the clock", func() error {
			if !c.Alive("lockd-0") || c.Paused("lockd-0") {
				return simtest.SkipCheck
			}
			lc := simtest.InstanceOf[*lockedClock](c, "lockd-0")
			lc.mu.Lock()
			defer lc.mu.Unlock()
			checks++
			if lc.last.After(s.Now().Add(time.Second)) {
				return fmt.Errorf("last read %v, ahead of %v", lc.last, s.Now())
			}
			return nil
		})
		for range 10 {
			s.Sleep(95 * time.Millisecond)
			c.PauseAfterClockRead("lockd-0", 200*time.Millisecond)
		}
	}, simtest.Seeds(8), simtest.Chaos(chaos.Off()), simtest.Watchdog(2*time.Second))
	require.True(t, res.OK(), res.Report)
	assert.Positive(t, checks)
}
