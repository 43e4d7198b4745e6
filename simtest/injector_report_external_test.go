package simtest_test

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// script partitions p-0 from p-1 at 1s into the chaos phase and heals at
// 10s, and then it is done.
func script(hold bool) simtest.Injector {
	return simtest.Injector{Name: "script", Hold: hold, Run: func(ctx context.Context, f *simtest.Faults) error {
		p := f.Providers()
		if err := p.Time.Sleep(ctx, time.Second); err != nil {
			return err
		}
		f.Partition([]string{"p-0"}, []string{"p-1"})
		if err := p.Time.Sleep(ctx, 9*time.Second); err != nil {
			return err
		}
		f.Heal()
		return nil
	}}
}

// scripted runs script under a workload that returns after 3s, in a
// chaos phase of chaosLen, and returns the injector's own entries.
func scripted(inj simtest.Injector, chaosLen time.Duration, entries *[]string) func(s *simtest.S) {
	return func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 2, New: waiting})
		injected := s.Watch("inject")
		c.Inject(inj)
		c.Run(simtest.Phases{Chaos: chaosLen}, quick{3 * time.Second})
		*entries = (*entries)[:0]
		for _, e := range injected.Next() {
			*entries = append(*entries, e.Msg)
		}
	}
}

// injectorsLine is a report's line on its injectors, "" for none.
func injectorsLine(report string) string {
	_, line, ok := strings.Cut(report, "\n    injectors: ")
	if !ok {
		return ""
	}
	line, _, _ = strings.Cut(line, "\n")
	return "injectors: " + line
}

// The chaos phase ends when the workloads return, and a script still
// sleeping toward its next fault never makes it: the seed passes, and the
// timeline and the summary say the script was cut short, and when.
func TestAScriptCutShortByTheWorkloadsIsTold(t *testing.T) {
	var entries []string
	res := simtest.Simulate(scripted(script(false), 20*time.Second, &entries), simtest.Seeds(3), simtest.Chaos(chaos.Off()))
	require.Zero(t, res.Failed, res.Report)
	require.Len(t, entries, 2, "the partition, and the cut; no heal")
	assert.Equal(t, "inject: script: partition p-0 | p-1", entries[0])
	assert.Regexp(t, `^inject: script: cut short: the chaos phase ended 3s into its 20s \(Phases\.Chaos\), as every workload had returned; `+
		`it was in its sleep at injector_report_external_test\.go:\d+, until 10s into the phase$`, entries[1])
	assert.Equal(t, `injectors: "script" cut short by the end of the chaos phase in 3 of 3 seeds: the phase ends when every workload's Run has returned, `+
		`here after 3s of its 20s (Phases.Chaos); a script that must play whole needs Injector.Hold, or workloads that run as long, `+
		`and an injector that makes faults until its ctx ends needs nothing (docs/topology.md#fault-injectors)`,
		injectorsLine(res.Report))
}

// Injector.Hold keeps the chaos phase open until the script returns: it
// plays whole, and nothing is told. A script longer than Phases.Chaos is
// cut short all the same, and told.
func TestAHeldScriptPlaysWhole(t *testing.T) {
	var entries []string
	res := simtest.Simulate(scripted(script(true), 20*time.Second, &entries), simtest.Seeds(3), simtest.Chaos(chaos.Off()))
	require.Zero(t, res.Failed, res.Report)
	assert.Equal(t, []string{"inject: script: partition p-0 | p-1", "inject: script: heal"}, entries)
	assert.Empty(t, injectorsLine(res.Report), res.Report)

	res = simtest.Simulate(scripted(script(true), 5*time.Second, &entries), simtest.Seeds(3), simtest.Chaos(chaos.Off()))
	require.Zero(t, res.Failed, res.Report)
	require.Len(t, entries, 2)
	assert.Regexp(t, `^inject: script: cut short: the chaos phase ended at its length, 5s \(Phases\.Chaos\), though the injector holds it; `+
		`it was in its sleep at injector_report_external_test\.go:\d+, until 10s into the phase$`, entries[1])
	assert.Equal(t, `injectors: "script" cut short by the end of the chaos phase in 3 of 3 seeds: it holds the phase open (Injector.Hold), `+
		`and was still running at its length, 5s (Phases.Chaos); lengthen the phase, or shorten the script`, injectorsLine(res.Report))
}

// A script that returned before the phase ended played whole; one that
// makes faults until its ctx ends, and ran the phase's whole length, did
// what it says: neither is told in the summary.
func TestAnInjectorThatPlayedWholeIsNotTold(t *testing.T) {
	short := simtest.Injector{Name: "short", Run: func(ctx context.Context, f *simtest.Faults) error {
		f.Clog("p-0", "p-1", time.Second)
		return nil
	}}
	var entries []string
	res := simtest.Simulate(scripted(short, 20*time.Second, &entries), simtest.Seeds(2), simtest.Chaos(chaos.Off()))
	require.Zero(t, res.Failed, res.Report)
	assert.Equal(t, []string{"inject: short: clog p-0 -> p-1 for 1s"}, entries)
	assert.Empty(t, injectorsLine(res.Report), res.Report)

	loop := simtest.Injector{Name: "loop", Run: func(ctx context.Context, f *simtest.Faults) error {
		for {
			f.Clog("p-0", "p-1", time.Second)
			if err := f.Providers().Time.Sleep(ctx, 2*time.Second); err != nil {
				return err
			}
		}
	}}
	res = simtest.Simulate(scripted(loop, 3*time.Second, &entries), simtest.Seeds(2), simtest.Chaos(chaos.Off()))
	require.Zero(t, res.Failed, res.Report)
	require.Len(t, entries, 3)
	assert.Regexp(t, `^inject: loop: ended with the chaos phase, at its length, 3s \(Phases\.Chaos\); it was in its sleep at injector_report_external_test\.go:\d+, until 4s into the phase$`, entries[2])
	assert.Empty(t, injectorsLine(res.Report), res.Report)
}

// A scripted reboot of a process that something else has taken down is
// ignored (TestInjectorRebootOfAProcessAlreadyDownIsIgnored); a fault
// asked for after the phase ended too. The summary counts both.
func TestTheSummaryCountsTheInjectedFaultsIgnored(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				if p.Cluster.Boot() == providers.FirstBoot {
					return providers.ErrRestart // down for simtest.RestartDelay
				}
				return providers.Wait(ctx, p.Task)
			})
		}})
		c.Inject(simtest.Injector{Name: "bouncer", Run: func(ctx context.Context, f *simtest.Faults) error {
			if err := f.Providers().Time.Sleep(ctx, simtest.RestartDelay/2); err != nil {
				return err
			}
			f.Reboot("p-0", simtest.Crash, simtest.DownFor(time.Second))
			return nil
		}}, simtest.Injector{Name: "late", Run: func(ctx context.Context, f *simtest.Faults) error {
			_ = providers.Wait(ctx, f.Providers().Task) // until the chaos phase ends
			f.Heal()
			return nil
		}})
		c.Run(simtest.Phases{Chaos: time.Second}, quick{2 * time.Second})
	}, simtest.Seeds(2), simtest.Chaos(chaos.Off()))
	require.Zero(t, res.Failed, res.Report)
	assert.Equal(t, `injectors: "bouncer" had 2 of its 2 reboots ignored, as the process was down or going down `+
		`(taken down by attrition, restarting, or returned from its Run): for a scripted step that must happen `+
		`(an upgrade's reboot Into a release), call f.Cluster().Reboot, which waits until the process is back; `+
		`for a script that must reboot it at its own times, turn attrition off (chaos.Attrition.Enabled), or keep attrition off the process (Processes.Protected); `+
		`"late" asked for 2 faults after the chaos phase had ended, ignored: its Run goes on past its ctx's end; `+
		`return from Run once ctx is done (check ctx.Err() between faults)`, injectorsLine(res.Report))
}

// The results file's summary carries the injectors' counts, and a merge
// of shards adds them up into the line one Run writes.
func TestAMergeAddsUpTheInjectors(t *testing.T) {
	dir := t.TempDir()
	// Workloads that return at a time of the seed's own: the phases the
	// script's seeds were cut at differ.
	body := func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 2, New: waiting})
		c.Inject(script(false))
		d := time.Duration(2+s.Providers().Random.IntN(6)) * time.Second
		c.Run(simtest.Phases{Chaos: 20 * time.Second}, quick{d})
	}
	opts := []simtest.Option{simtest.Seeds(12), simtest.BaseSeed(7), simtest.Chaos(chaos.Off())}
	one := simtest.Simulate(body, append(opts, simtest.ResultsFile(filepath.Join(dir, "one.jsonl")))...)
	require.Zero(t, one.Failed, one.Report)
	for i := range 3 {
		simtest.Simulate(body, append(opts, simtest.Shard(i, 3), simtest.ResultsFile(filepath.Join(dir, "shards")+"/"))...)
	}
	merged, err := simtest.MergeResults(filepath.Join(dir, "shards"))
	require.NoError(t, err)
	require.Len(t, merged.Tests, 1)
	line := injectorsLine(one.Report)
	require.Regexp(t, regexp.MustCompile(`^injectors: "script" cut short by the end of the chaos phase in \d+ of 12 seeds: .* here after \ds to \ds of its 20s`), line)
	assert.Equal(t, line, injectorsLine(merged.Tests[0].Report))
}
