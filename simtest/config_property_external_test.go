package simtest_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// adversarialFloats are the floats that break arithmetic: NaN, the
// infinities, the largest and smallest, and the edges of the ranges the
// settings take.
var adversarialFloats = []float64{
	math.NaN(), math.Inf(1), math.Inf(-1), math.MaxFloat64, -math.MaxFloat64,
	1e308, 1e15, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64,
	0, math.Copysign(0, -1), -1, 0.5, 1, math.Nextafter(1, 2), 2, 1e6, 1e6 + 1,
}

// adversarialDurations are the durations that break arithmetic: int64's
// ends and their neighbours, and the edges of the limits.
var adversarialDurations = []time.Duration{
	math.MinInt64, math.MinInt64 + 1, -time.Second, -1, 0, 1,
	chaos.MinInterval - 1, chaos.MinInterval, chaos.MaxDuration, chaos.MaxDuration + 1,
	simtest.MaxTimeBudget, simtest.MaxTimeBudget + 1,
	math.MaxInt64 / 2, math.MaxInt64/2 + 1, math.MaxInt64 - 1, math.MaxInt64,
}

// anyFloat draws an adversarial float half of the time and a plausible one
// in [0, hi] otherwise.
func anyFloat(hi float64) *rapid.Generator[float64] {
	return rapid.OneOf(rapid.SampledFrom(adversarialFloats), rapid.Float64Range(0, hi))
}

// anyDuration draws an adversarial duration half of the time and a
// plausible one in [0, hi] otherwise.
func anyDuration(hi time.Duration) *rapid.Generator[time.Duration] {
	return rapid.OneOf(rapid.SampledFrom(adversarialDurations),
		rapid.Map(rapid.Int64Range(0, int64(hi)), func(n int64) time.Duration { return time.Duration(n) }))
}

func anyInt() *rapid.Generator[int] {
	return rapid.OneOf(rapid.SampledFrom([]int{math.MinInt, -1, 0, 1, 2, 3, math.MaxInt}), rapid.IntRange(0, 100_000))
}

// generated is a configuration, as a Run's options, and the fields that
// were set away from a preset.
type generated struct {
	cfg    chaos.Config
	phases simtest.Phases
	fields []string
}

// setter sets one field of a generated configuration.
type setter struct {
	field string
	set   func(t *rapid.T, g *generated)
}

func floatField(field string, hi float64, p func(g *generated) *float64) setter {
	return setter{field, func(t *rapid.T, g *generated) { *p(g) = anyFloat(hi).Draw(t, field) }}
}

func durationField(field string, hi time.Duration, p func(g *generated) *time.Duration) setter {
	return setter{field, func(t *rapid.T, g *generated) { *p(g) = anyDuration(hi).Draw(t, field) }}
}

func intField(field string, p func(g *generated) *int) setter {
	return setter{field, func(t *rapid.T, g *generated) { *p(g) = anyInt().Draw(t, field) }}
}

// setters covers every float, duration and count of a chaos.Config and the
// Phases of Cluster.Run.
var setters = []setter{
	// Network
	{"Network.Latency.Shape", func(t *rapid.T, g *generated) {
		g.cfg.Network.Latency.Shape = chaos.LatencyShape(rapid.IntRange(0, 3).Draw(t, "shape"))
	}},
	durationField("Network.Latency.Fast.Min", time.Millisecond, func(g *generated) *time.Duration { return &g.cfg.Network.Latency.Fast.Min }),
	durationField("Network.Latency.Fast.Max", time.Millisecond, func(g *generated) *time.Duration { return &g.cfg.Network.Latency.Fast.Max }),
	durationField("Network.Latency.Mean", time.Millisecond, func(g *generated) *time.Duration { return &g.cfg.Network.Latency.Mean }),
	floatField("Network.Latency.SlowProb", 1, func(g *generated) *float64 { return &g.cfg.Network.Latency.SlowProb }),
	durationField("Network.Latency.Slow.Min", 100*time.Millisecond, func(g *generated) *time.Duration { return &g.cfg.Network.Latency.Slow.Min }),
	durationField("Network.Latency.Slow.Max", 100*time.Millisecond, func(g *generated) *time.Duration { return &g.cfg.Network.Latency.Slow.Max }),
	durationField("Network.MaxPairLatency", time.Millisecond, func(g *generated) *time.Duration { return &g.cfg.Network.MaxPairLatency }),
	durationField("Network.ZoneLatency", time.Millisecond, func(g *generated) *time.Duration { return &g.cfg.Network.ZoneLatency }),
	durationField("Network.DataCenterLatency", 10*time.Millisecond, func(g *generated) *time.Duration { return &g.cfg.Network.DataCenterLatency }),
	intField("Network.SendBuffer", func(g *generated) *int { return &g.cfg.Network.SendBuffer }),
	intField("Network.Backlog", func(g *generated) *int { return &g.cfg.Network.Backlog }),
	durationField("Network.PartitionInterval", 10*time.Second, func(g *generated) *time.Duration { return &g.cfg.Network.PartitionInterval }),
	durationField("Network.PartitionDuration.Min", time.Second, func(g *generated) *time.Duration { return &g.cfg.Network.PartitionDuration.Min }),
	durationField("Network.PartitionDuration.Max", time.Second, func(g *generated) *time.Duration { return &g.cfg.Network.PartitionDuration.Max }),
	floatField("Network.PartitionOneWayProb", 1, func(g *generated) *float64 { return &g.cfg.Network.PartitionOneWayProb }),
	floatField("Network.ClogProb", 1, func(g *generated) *float64 { return &g.cfg.Network.ClogProb }),
	durationField("Network.ClogDuration.Min", time.Second, func(g *generated) *time.Duration { return &g.cfg.Network.ClogDuration.Min }),
	durationField("Network.ClogDuration.Max", time.Second, func(g *generated) *time.Duration { return &g.cfg.Network.ClogDuration.Max }),
	floatField("Network.CloseProb", 1, func(g *generated) *float64 { return &g.cfg.Network.CloseProb }),
	durationField("Network.CloseCooldown", 10*time.Second, func(g *generated) *time.Duration { return &g.cfg.Network.CloseCooldown }),
	floatField("Network.CloseExplicitProb", 1, func(g *generated) *float64 { return &g.cfg.Network.CloseExplicitProb }),
	floatField("Network.PartialReadProb", 1, func(g *generated) *float64 { return &g.cfg.Network.PartialReadProb }),
	floatField("Network.PartialWriteProb", 1, func(g *generated) *float64 { return &g.cfg.Network.PartialWriteProb }),
	floatField("Network.BitFlipProb", 1, func(g *generated) *float64 { return &g.cfg.Network.BitFlipProb }),
	floatField("Network.ConnectFailProb", 1, func(g *generated) *float64 { return &g.cfg.Network.ConnectFailProb }),
	floatField("Network.ConnectHangProb", 1, func(g *generated) *float64 { return &g.cfg.Network.ConnectHangProb }),
	durationField("Network.MaxClockSkew", time.Second, func(g *generated) *time.Duration { return &g.cfg.Network.MaxClockSkew }),
	floatField("Network.MaxClockDrift", 0.5, func(g *generated) *float64 { return &g.cfg.Network.MaxClockDrift }),
	floatField("Network.SleepDelayProb", 1, func(g *generated) *float64 { return &g.cfg.Network.SleepDelayProb }),
	durationField("Network.MaxSleepDelay", time.Second, func(g *generated) *time.Duration { return &g.cfg.Network.MaxSleepDelay }),

	// Storage
	intField("Storage.IOPS", func(g *generated) *int { return &g.cfg.Storage.IOPS }),
	{"Storage.Bandwidth", func(t *rapid.T, g *generated) {
		g.cfg.Storage.Bandwidth = rapid.OneOf(rapid.SampledFrom([]int64{math.MinInt64, -1, 0, 1, math.MaxInt64}), rapid.Int64Range(0, 1e9)).Draw(t, "bandwidth")
	}},
	durationField("Storage.ReadLatency.Min", time.Millisecond, func(g *generated) *time.Duration { return &g.cfg.Storage.ReadLatency.Min }),
	durationField("Storage.ReadLatency.Max", time.Millisecond, func(g *generated) *time.Duration { return &g.cfg.Storage.ReadLatency.Max }),
	durationField("Storage.WriteLatency.Min", time.Millisecond, func(g *generated) *time.Duration { return &g.cfg.Storage.WriteLatency.Min }),
	durationField("Storage.WriteLatency.Max", time.Millisecond, func(g *generated) *time.Duration { return &g.cfg.Storage.WriteLatency.Max }),
	durationField("Storage.SyncLatency.Min", 10*time.Millisecond, func(g *generated) *time.Duration { return &g.cfg.Storage.SyncLatency.Min }),
	durationField("Storage.SyncLatency.Max", 10*time.Millisecond, func(g *generated) *time.Duration { return &g.cfg.Storage.SyncLatency.Max }),
	floatField("Storage.ReadCorruptionProb", 1, func(g *generated) *float64 { return &g.cfg.Storage.ReadCorruptionProb }),
	floatField("Storage.WriteCorruptionProb", 1, func(g *generated) *float64 { return &g.cfg.Storage.WriteCorruptionProb }),
	floatField("Storage.MisdirectedReadProb", 1, func(g *generated) *float64 { return &g.cfg.Storage.MisdirectedReadProb }),
	floatField("Storage.MisdirectedWriteProb", 1, func(g *generated) *float64 { return &g.cfg.Storage.MisdirectedWriteProb }),
	floatField("Storage.PhantomWriteProb", 1, func(g *generated) *float64 { return &g.cfg.Storage.PhantomWriteProb }),
	floatField("Storage.SyncFailureProb", 1, func(g *generated) *float64 { return &g.cfg.Storage.SyncFailureProb }),
	floatField("Storage.TornWriteProb", 1, func(g *generated) *float64 { return &g.cfg.Storage.TornWriteProb }),
	floatField("Storage.Stall.Prob", 1, func(g *generated) *float64 { return &g.cfg.Storage.Stall.Prob }),
	durationField("Storage.Stall.Duration.Min", time.Second, func(g *generated) *time.Duration { return &g.cfg.Storage.Stall.Duration.Min }),
	durationField("Storage.Stall.Duration.Max", time.Second, func(g *generated) *time.Duration { return &g.cfg.Storage.Stall.Duration.Max }),
	floatField("Storage.Throttle.Prob", 1, func(g *generated) *float64 { return &g.cfg.Storage.Throttle.Prob }),
	durationField("Storage.Throttle.Duration.Min", time.Second, func(g *generated) *time.Duration { return &g.cfg.Storage.Throttle.Duration.Min }),
	durationField("Storage.Throttle.Duration.Max", time.Second, func(g *generated) *time.Duration { return &g.cfg.Storage.Throttle.Duration.Max }),
	floatField("Storage.ThrottleFactor", 100, func(g *generated) *float64 { return &g.cfg.Storage.ThrottleFactor }),
	floatField("Storage.Full.Prob", 1, func(g *generated) *float64 { return &g.cfg.Storage.Full.Prob }),
	durationField("Storage.Full.Duration.Min", time.Second, func(g *generated) *time.Duration { return &g.cfg.Storage.Full.Duration.Min }),
	durationField("Storage.Full.Duration.Max", time.Second, func(g *generated) *time.Duration { return &g.cfg.Storage.Full.Duration.Max }),
	{"Storage.Capacity", func(t *rapid.T, g *generated) {
		g.cfg.Storage.Capacity = rapid.SampledFrom([]int64{-1, 0, 1, 511, 4096, 1 << 20, math.MaxInt64}).Draw(t, "capacity")
	}},
	{"Storage.Randomize", func(t *rapid.T, g *generated) { g.cfg.Storage.Randomize = rapid.Bool().Draw(t, "randomize") }},

	// Attrition
	{"Attrition.Enabled", func(t *rapid.T, g *generated) { g.cfg.Attrition.Enabled = rapid.Bool().Draw(t, "attrition") }},
	intField("Attrition.MaxDead", func(g *generated) *int { return &g.cfg.Attrition.MaxDead }),
	floatField("Attrition.Graceful", 10, func(g *generated) *float64 { return &g.cfg.Attrition.Graceful }),
	floatField("Attrition.Crash", 10, func(g *generated) *float64 { return &g.cfg.Attrition.Crash }),
	floatField("Attrition.Wipe", 10, func(g *generated) *float64 { return &g.cfg.Attrition.Wipe }),
	durationField("Attrition.Interval.Min", time.Second, func(g *generated) *time.Duration { return &g.cfg.Attrition.Interval.Min }),
	durationField("Attrition.Interval.Max", time.Second, func(g *generated) *time.Duration { return &g.cfg.Attrition.Interval.Max }),
	durationField("Attrition.DownFor.Min", time.Second, func(g *generated) *time.Duration { return &g.cfg.Attrition.DownFor.Min }),
	durationField("Attrition.DownFor.Max", time.Second, func(g *generated) *time.Duration { return &g.cfg.Attrition.DownFor.Max }),
	durationField("Attrition.Grace.Min", time.Second, func(g *generated) *time.Duration { return &g.cfg.Attrition.Grace.Min }),
	durationField("Attrition.Grace.Max", time.Second, func(g *generated) *time.Duration { return &g.cfg.Attrition.Grace.Max }),

	// Buggify and swarm
	{"Buggify.Enabled", func(t *rapid.T, g *generated) { g.cfg.Buggify.Enabled = rapid.Bool().Draw(t, "buggify") }},
	floatField("Buggify.ActivationProb", 1, func(g *generated) *float64 { return &g.cfg.Buggify.ActivationProb }),
	floatField("Buggify.FireProb", 1, func(g *generated) *float64 { return &g.cfg.Buggify.FireProb }),
	{"Swarm", func(t *rapid.T, g *generated) { g.cfg.Swarm = rapid.Bool().Draw(t, "swarm") }},

	// Phases
	durationField("Phases.Chaos", 2*time.Second, func(g *generated) *time.Duration { return &g.phases.Chaos }),
	durationField("Phases.Settle", 2*time.Second, func(g *generated) *time.Duration { return &g.phases.Settle }),
}

// generate draws a preset and changes up to four of its fields.
func generate(t *rapid.T) generated {
	presets := []func() chaos.Config{chaos.Defaults, chaos.Harsh, chaos.Off, chaos.Random}
	g := generated{
		cfg:    presets[rapid.IntRange(0, len(presets)-1).Draw(t, "preset")](),
		phases: simtest.Phases{Chaos: time.Second, Settle: time.Second},
	}
	for range rapid.IntRange(0, 4).Draw(t, "changes") {
		s := setters[rapid.IntRange(0, len(setters)-1).Draw(t, "field")]
		s.set(t, &g)
		g.fields = append(g.fields, s.field)
	}
	return g
}

// namesAField reports whether msg names one of the fields.
func namesAField(msg string, fields []string) bool {
	for _, f := range fields {
		if strings.Contains(msg, f) {
			return true
		}
		// Switching a family on brings its other settings into play.
		if family, ok := strings.CutSuffix(f, ".Enabled"); ok && strings.Contains(msg, family) {
			return true
		}
		// Other fields of the family are named within it.
		if i := strings.IndexByte(f, '.'); i > 0 && strings.Contains(msg, f[i+1:]) {
			return true
		}
		// A range's two ends are reported together, by the range's name.
		if i := strings.LastIndexByte(f, '.'); i > 0 && strings.Contains(msg, f[:i]+" ") {
			return true
		}
	}
	return false
}

// chatty is a process that talks to its peers and writes its disk a few
// times, ignoring every error, then waits to be stopped.
func chatty() simtest.Process {
	return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
		if l, err := p.Network.Listen(ctx, ":7"); err == nil {
			p.Task.Go(ctx, "accept", func(ctx context.Context) error {
				for {
					c, err := l.Accept()
					if err != nil {
						return nil
					}
					p.Task.Go(ctx, "echo", func(ctx context.Context) error {
						_ = c.SetDeadline(p.Time.Now().Add(time.Second))
						_, _ = io.Copy(c, c)
						return c.Close()
					})
				}
			})
		}
		peers := p.Cluster.Peers()
		buf := make([]byte, 600)
		for i := range 10 {
			if p.Time.Sleep(ctx, 10*time.Millisecond) != nil {
				return nil
			}
			dctx, cancel := p.Time.WithTimeout(ctx, time.Second)
			c, err := p.Network.Dial(dctx, peers[i%len(peers)].Host+":7")
			cancel()
			if err == nil {
				_ = c.SetDeadline(p.Time.Now().Add(time.Second))
				_, _ = c.Write(buf)
				_, _ = io.ReadFull(c, buf)
				_ = c.Close()
			}
			if f, err := p.Storage.Create(fmt.Sprintf("f%d", i%3)); err == nil {
				_, _ = f.Write(buf)
				_ = f.Sync()
				_, _ = f.ReadAt(buf, 0)
				_ = f.Close()
			}
		}
		for p.Time.Sleep(ctx, 30*24*time.Hour) == nil {
		}
		return nil
	})
}

// TestGeneratedConfigurationsRunOrAreRejected checks every float, duration
// and count of a chaos configuration and of Phases with generated values,
// adversarial ones among them: each configuration is rejected up front
// with a message that names a field it changed, or it runs a small
// cluster for a few seeds without a panic or an error of the random
// stream.
func TestGeneratedConfigurationsRunOrAreRejected(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := generate(rt)
		err := g.cfg.Validate()
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !namesAField(line, g.fields) {
					rt.Fatalf("the error %q names none of the fields changed, %v", line, g.fields)
				}
			}
		}
		r := runIn("TestGenerated", func(r *recorder) {
			simtest.Run(r, func(s *simtest.S) {
				c := s.Boot(simtest.Processes{Name: "n", Count: 3, New: chatty})
				c.Run(g.phases, sleepingWorkload(time.Second))
			}, simtest.Seeds(2), simtest.KeepFailures(false), simtest.TimeBudget(simtest.MaxTimeBudget), simtest.Chaos(g.cfg))
		})
		out := r.output()
		switch {
		case err != nil:
			if !r.fatal || !strings.Contains(out, "simtest.Chaos: chaos") {
				rt.Fatalf("Validate rejects %v, but Run did not fail before its seeds:\n%s", err, out)
			}
		case panicIn(out) || strings.Contains(out, "rng:"):
			rt.Fatalf("fields %v: a seed panicked:\n%s", g.fields, out)
		case r.failed && (strings.Contains(out, "simtest: configuration error: Phases.") || strings.Contains(out, "simtest: configuration error: Attrition.")):
			// A setting checked against the cluster, when Cluster.Run has it.
			if !namesAField(out, g.fields) {
				rt.Fatalf("the error names none of the fields changed, %v:\n%s", g.fields, out)
			}
		case r.failed && !strings.Contains(out, "time budget exceeded"):
			rt.Fatalf("fields %v: a valid configuration failed:\n%s", g.fields, out)
		}
	})
}

// panicIn reports whether a run's output tells of a panic. The stacks it
// shows name this module's files by their paths, which may hold the word
// (a checkout in a directory named for a panic): it does not count there.
func panicIn(out string) bool {
	root, err := filepath.Abs("..")
	if err == nil {
		out = strings.ReplaceAll(out, root, "")
	}
	return strings.Contains(out, "panic")
}

// TestGeneratedOptionsRunOrAreRejected does the same for the durations of
// the Run's options.
func TestGeneratedOptionsRunOrAreRejected(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		budget := anyDuration(time.Minute).Draw(rt, "budget")
		watchdog := anyDuration(time.Minute).Draw(rt, "watchdog")
		if watchdog >= simtest.MinWatchdog && watchdog < 10*time.Second {
			// Accepted, but so short that a loaded machine's scheduling
			// could trip it: the run would fail for the machine's sake.
			watchdog = 10 * time.Second
		}
		r := runIn("TestGeneratedOptions", func(r *recorder) {
			simtest.Run(r, func(s *simtest.S) { s.Sleep(time.Second) },
				simtest.Seeds(2), simtest.KeepFailures(false), simtest.TimeBudget(budget), simtest.Watchdog(watchdog))
		})
		out := r.output()
		switch {
		case r.fatal && (strings.Contains(out, "simtest.TimeBudget(") || strings.Contains(out, "simtest.Watchdog(")):
			// rejected up front, by name
		case panicIn(out) || strings.Contains(out, "rng:"):
			rt.Fatalf("TimeBudget(%v), Watchdog(%v): a seed panicked:\n%s", budget, watchdog, out)
		case r.failed && !strings.Contains(out, "time budget exceeded"):
			rt.Fatalf("TimeBudget(%v), Watchdog(%v): the run failed:\n%s", budget, watchdog, out)
		}
	})
}

func TestOverflowingValuesAreRejectedByName(t *testing.T) {
	for _, c := range []struct {
		change func(*chaos.Config)
		want   string
	}{
		{func(c *chaos.Config) { c.Storage.ThrottleFactor = 1e15 }, "chaos.Storage.ThrottleFactor is 1e+15; a throttled disk is at most chaos.MaxThrottleFactor (1e+06) times slower"},
		{func(c *chaos.Config) { c.Storage.ThrottleFactor = math.Inf(1) }, "chaos.Storage.ThrottleFactor is +Inf; it is a finite factor"},
		{func(c *chaos.Config) { c.Attrition.Crash = math.NaN() }, "chaos: Attrition.Crash is NaN; a weight is finite and at least zero"},
		{func(c *chaos.Config) { c.Attrition.Wipe = math.Inf(1) }, "chaos: Attrition.Wipe is +Inf; a weight is finite and at least zero"},
		{func(c *chaos.Config) { c.Attrition.Crash, c.Attrition.Wipe = 1e308, 1e308 }, "chaos: Attrition.Graceful, Crash, Wipe, PowerLoss, Kill and Pause sum to +Inf; only their ratios matter, so scale them down"},
		{func(c *chaos.Config) { c.Attrition.DownFor.Max = math.MaxInt64 }, "chaos: Attrition.DownFor is [1s, 2562047h47m16.854775807s]; durations are at most chaos.MaxDuration (8760h0m0s)"},
		{func(c *chaos.Config) { c.Network.ClogDuration.Max = math.MaxInt64 }, "chaos.Network.ClogDuration is [100ms, 2562047h47m16.854775807s]; durations are at most chaos.MaxDuration"},
		{func(c *chaos.Config) { c.Storage.Stall.Duration.Max = math.MaxInt64 }, "chaos.Storage.Stall.Duration is [10ms, 2562047h47m16.854775807s]; durations are at most chaos.MaxDuration"},
		{func(c *chaos.Config) { c.Network.Latency.Mean = -1 }, "chaos.Network.Latency.Mean is -1ns; a duration must not be negative"},
	} {
		cfg := chaos.Defaults()
		c.change(&cfg)
		err := cfg.Validate()
		require.Error(t, err, c.want)
		assert.Contains(t, err.Error(), c.want)
	}
}
