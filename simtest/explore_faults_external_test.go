package simtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/explore"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// gapTicker is a process that notes the longest stretch between its ticks,
// 10 ms apart: a pause's length.
type gapTicker struct{ longest *time.Duration }

func (tk *gapTicker) Run(ctx context.Context, p providers.Providers) error {
	last := p.Time.Now()
	for p.Time.Sleep(ctx, 10*time.Millisecond) == nil {
		now := p.Time.Now()
		*tk.longest = max(*tk.longest, now.Sub(last))
		last = now
	}
	return nil
}

// arming is a workload that arms the system at 0.5 s one time in 20,
// unasserted, and at 1.1 s, once attrition's one pause has begun, asserts
// that it was armed while the process was paused.
type arming struct {
	c     *simtest.Cluster
	armed bool
}

func (a *arming) Setup(context.Context, providers.Providers) error { return nil }

func (a *arming) Run(ctx context.Context, p providers.Providers) error {
	_ = p.Time.Sleep(ctx, 500*time.Millisecond)
	a.armed = p.Random.IntN(20) == 0
	_ = p.Time.Sleep(ctx, 600*time.Millisecond)
	assertions.Sometimes(ctx, a.armed && a.c.Paused("srv-0"), "armed while the process was paused")
	return nil
}

func (a *arming) Check(context.Context, providers.Providers) error { return nil }

// armedLongPause fails when the system was armed and then paused for
// more than 4.95 s: a pause of 100 ms to 5 s that begins at 1 s. The
// pause begins before the assertion that sees it, so its length is in
// the prefix of that assertion's children: only a mark where the pause
// began draws it again.
func armedLongPause(s *simtest.S) {
	var longest time.Duration
	c := s.Boot(simtest.Processes{Name: "srv", Count: 1, New: func() simtest.Process { return &gapTicker{longest: &longest} }})
	w := &arming{c: c}
	c.Run(simtest.Phases{Chaos: 1500 * time.Millisecond, Settle: 5 * time.Second}, w)
	if w.armed && longest > 4950*time.Millisecond {
		s.Errorf("armed, then paused for %v", longest)
	}
}

// pauseAtOneSecond is attrition that pauses the one process at 1 s, for
// 100 ms to 5 s.
func pauseAtOneSecond() chaos.Config {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.Graceful, cfg.Attrition.Crash, cfg.Attrition.PowerLoss, cfg.Attrition.Pause = 0, 0, 0, 1
	cfg.Attrition.Interval = chaos.Range{Min: time.Second, Max: time.Second}
	cfg.Attrition.PauseFor = chaos.Range{Min: 100 * time.Millisecond, Max: 5 * time.Second}
	return cfg
}

// TestFaultMarksDrawAPauseAfresh: a bug that needs an unasserted 1 in 20
// before a pause and the pause's longest 1 in 100 (1 in 2,000 seeds) is
// found with FaultMarks within 200 timelines, from the mark
// where the pause began; without them, the assertion's mark cannot
// lengthen the pause, and the same budget finds nothing.
func TestFaultMarksDrawAPauseAfresh(t *testing.T) {
	cfg := explore.Defaults()
	cfg.Timelines = 1000
	without := simtest.Simulate(armedLongPause, simtest.Explore(cfg), simtest.Chaos(pauseAtOneSecond()), simtest.AllowGaps())
	require.Zero(t, without.Failed, without.Report)

	cfg.FaultMarks = true
	with := simtest.Simulate(armedLongPause, simtest.Explore(cfg), simtest.Chaos(pauseAtOneSecond()), simtest.AllowGaps(), simtest.Verbose())
	require.Equal(t, 1, with.Failed, with.Report)
	assert.Contains(t, with.Report, "armed, then paused for")
	assert.Regexp(t, `timeline \d+ failed, a child of mark \d+ at depth \d`, with.Report)
	assert.Contains(t, with.Report, `follows an injected pause of srv-0 begun at 1s, before Sometimes "armed while the process was paused"`)
	assert.Less(t, with.Seeds, 200, "a pause of 1 in 100, drawn afresh from the mark where it began")
	t.Logf("found after %d timelines; without fault marks, %d timelines found nothing", with.Seeds, without.Seeds)

	// The failing timeline's recipe replays it.
	recipe := regexp.MustCompile(`simtest\.ReplayRecipe\("([^"]+)"\)`).FindStringSubmatch(with.Replay)
	require.Len(t, recipe, 2, with.Replay)
	again := simtest.Simulate(armedLongPause, simtest.Chaos(pauseAtOneSecond()), simtest.AllowGaps(), simtest.ReplayRecipe(recipe[1]))
	require.Equal(t, 1, again.Failed, again.Report)
	assert.Contains(t, again.Report, "armed, then paused for")
}

// TestFaultMarksAreTheSameEveryTime: an exploration that follows faults
// is the same twice, and a pause is a mark only where progress followed
// it, once: not every run's pause.
func TestFaultMarksAreTheSameEveryTime(t *testing.T) {
	cfg := explore.Defaults()
	cfg.Timelines = 300
	cfg.FaultMarks = true
	run := func() simtest.Result {
		return simtest.Simulate(armedLongPause, simtest.Explore(cfg), simtest.Chaos(pauseAtOneSecond()), simtest.AllowGaps(), simtest.Verbose())
	}
	first, second := run(), run()
	if d := cmp.Diff(first.PerSeed, second.PerSeed); d != "" {
		t.Fatalf("two explorations differ (-first +second):\n%s", d)
	}
	assert.Equal(t, 1, strings.Count(first.Report, `follows an injected pause of srv-0 begun at 1s, before Sometimes "armed while the process was paused"`), first.Report)
	assert.Regexp(t, `branched at 2 marks\)`, first.Report, "the pause's mark and the assertion's own")
}

// TestFaultMarksAreTheSameOnAnyNumberOfWorkers: the timelines, the
// failure and the exploration's report do not change with the workers.
func TestFaultMarksAreTheSameOnAnyNumberOfWorkers(t *testing.T) {
	type run struct {
		PerSeed     []simtest.SeedResult
		Replay      string
		Exploration json.RawMessage
	}
	cfg := explore.Defaults()
	cfg.Timelines = 300
	cfg.FaultMarks = true
	explored := func(workers int) run {
		path := filepath.Join(t.TempDir(), "report.json")
		res := simtest.Simulate(armedLongPause, simtest.Explore(cfg), simtest.Chaos(pauseAtOneSecond()), simtest.AllowGaps(),
			simtest.Workers(workers), simtest.JSONReport(path))
		require.Equal(t, 1, res.Failed, res.Report)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		var rep struct {
			Exploration json.RawMessage `json:"exploration"`
		}
		require.NoError(t, json.Unmarshal(b, &rep))
		return run{res.PerSeed, res.Replay, rep.Exploration}
	}
	if d := cmp.Diff(explored(1), explored(2)); d != "" {
		t.Errorf("the exploration on 2 workers differs from one worker's (-1 +2):\n%s", d)
	}
}

// TestFaultMarksInTheJSONReport: a mark made by a fault names it.
func TestFaultMarksInTheJSONReport(t *testing.T) {
	cfg := explore.Defaults()
	cfg.Timelines = 30
	cfg.FaultMarks = true
	path := filepath.Join(t.TempDir(), "report.json")
	_ = simtest.Simulate(armedLongPause, simtest.Explore(cfg), simtest.Chaos(pauseAtOneSecond()), simtest.AllowGaps(), simtest.JSONReport(path))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var rep struct {
		Exploration struct {
			PerMark []struct {
				Follows []struct {
					Kind, Message, Progress, Target string
					BegunNS                         *int64 `json:"begun_at_ns"`
				} `json:"follows"`
			} `json:"per_mark"`
			Config map[string]any `json:"config"`
		} `json:"exploration"`
	}
	require.NoError(t, json.Unmarshal(b, &rep))
	want := map[string]any{"timelines": 30.0, "branches": float64(cfg.Branches), "energy": float64(cfg.Energy),
		"max_depth": float64(cfg.MaxDepth), "barren": float64(cfg.Barren), "coverage_only": []any{}, "fault_marks": true}
	if d := cmp.Diff(want, rep.Exploration.Config); d != "" {
		t.Errorf("the exploration's config in the JSON report (-want +got):\n%s", d)
	}
	var faults []string
	for _, m := range rep.Exploration.PerMark {
		for _, f := range m.Follows {
			if f.Kind == "Fault" {
				faults = append(faults, f.Message+": "+f.Progress)
				assert.Equal(t, "srv-0", f.Target, "the process the pause struck")
				if assert.NotNil(t, f.BegunNS) {
					assert.Equal(t, time.Second, time.Duration(*f.BegunNS), "attrition's one pause begins at 1 s")
				}
			}
		}
	}
	require.Len(t, faults, 1, string(b))
	assert.Regexp(t, `^pause: begun before Sometimes "armed while the process was paused" \(explore_faults_external_test\.go:\d+\)$`, faults[0])
}

// TestFaultMarksNameTheFaultsTargetAndTime: under random partitions and
// clogs, a mark made by a fault names the link a clog struck, the sides a
// partition cut and when each began, so that a reader can tell the fault
// that mattered from a bystander.
func TestFaultMarksNameTheFaultsTargetAndTime(t *testing.T) {
	net := chaos.Off()
	net.Network = chaos.DefaultNetwork()
	net.Network.PartitionInterval, net.Network.ClogProb = time.Second, 0.3
	cfg := explore.Defaults()
	cfg.Timelines = 20
	cfg.FaultMarks = true
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "srv", Count: 3, New: func() simtest.Process { return &pausable{} }})
		s.Go("pinger", func(ctx context.Context) error {
			p := s.Providers()
			for p.Time.Sleep(ctx, 10*time.Millisecond) == nil {
				for _, srv := range []string{"srv-0:7", "srv-1:7", "srv-2:7"} {
					if conn, err := p.Network.Dial(ctx, srv); err == nil {
						_, _ = conn.Write([]byte("ping"))
						_, _ = conn.Read(make([]byte, 4))
						conn.Close()
					}
				}
			}
			return nil
		})
		// Progress every 100 ms, after whichever fault began last.
		s.Go("ticker", func(ctx context.Context) error {
			p := s.Providers()
			for i := 1; p.Time.Sleep(ctx, 100*time.Millisecond) == nil; i++ {
				assertions.Sometimes(ctx, true, fmt.Sprintf("tick %d", i))
			}
			return nil
		})
		c.Run(simtest.Phases{Chaos: 3 * time.Second})
	}, simtest.Explore(cfg), simtest.Chaos(net), simtest.AllowGaps(), simtest.Verbose())
	require.True(t, res.OK(), res.Report)
	assert.Regexp(t, `follows an injected clog \S+ -> \S+ begun at \d+(\.\d+)?m?s, before Sometimes "tick \d+"`, res.Report)
	assert.Regexp(t, `follows an injected partition \{[^}]+\} (\||->) \{[^}]+\} begun at \d+(\.\d+)?m?s, before Sometimes "tick \d+"`, res.Report)
}
