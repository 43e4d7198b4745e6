package simtest_test

import (
	"context"
	"io/fs"
	"os"
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

// faultsSeenLine is a report's "faults seen" line.
func faultsSeenLine(t *testing.T, report string) string {
	t.Helper()
	i := strings.Index(report, "faults seen: ")
	require.GreaterOrEqual(t, i, 0, report)
	line, _, _ := strings.Cut(report[i:], "\n")
	return line
}

// harsh is chaos.Harsh with random partitions every few seconds, as a
// short chaos phase would see few at its mean of a minute.
func harsh() chaos.Config {
	c := chaos.Harsh()
	c.Network.PartitionInterval = 3 * time.Second
	return c
}

// dialing is a process that dials its peer every half second, ignoring
// the outcome: a network in use, where random partitions are drawn.
func dialing() simtest.Process {
	return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
		for i := 0; p.Time.Sleep(ctx, 500*time.Millisecond) == nil; i++ {
			peers := p.Cluster.Peers()
			dctx, cancel := p.Time.WithTimeout(ctx, 100*time.Millisecond)
			if c, err := p.Network.Dial(dctx, peers[i%len(peers)].Host+":7"); err == nil {
				_ = c.Close()
			}
			cancel()
		}
		return nil
	})
}

// partitionOnce partitions p-0 from p-1 once a seed, half a second into
// the chaos phase, and heals a second later, under harsh random chaos;
// byHand also reboots p-1, pauses p-0 and clogs their link by hand once
// the script is done.
func partitionOnce(byHand bool) func(s *simtest.S) {
	return func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 2, New: dialing})
		c.Inject(simtest.Injector{Name: "once", Hold: true, Run: func(ctx context.Context, f *simtest.Faults) error {
			if err := f.Providers().Time.Sleep(ctx, 500*time.Millisecond); err != nil {
				return err
			}
			f.Partition([]string{"p-0"}, []string{"p-1"})
			if err := f.Providers().Time.Sleep(ctx, time.Second); err != nil {
				return err
			}
			f.Heal()
			return nil
		}})
		c.Run(simtest.Phases{Chaos: 10 * time.Second}, quick{10 * time.Second})
		if byHand {
			c.Reboot("p-1", simtest.Crash)
			c.Pause("p-0", time.Second)
			s.Network().Clog("p-0", "p-1", time.Second)
		}
	}
}

// The faults line tells the faults the test made (an Injector's, or a
// call's by hand) apart from the chaos configuration's: the partitions
// random chaos made do not hide the one the script made each seed.
func TestTheFaultsLineTellsTheInjectedFaultsApart(t *testing.T) {
	res := simtest.Simulate(partitionOnce(true), simtest.Seeds(8), simtest.Chaos(harsh()))
	require.Zero(t, res.Failed, res.Report)
	line := faultsSeenLine(t, res.Report)
	m := regexp.MustCompile(`\((?:[^()]*, )?(\d+) partitions?[,)]`).FindStringSubmatch(line)
	require.NotNil(t, m, line)
	require.NotEqual(t, "8", m[1], "harsh chaos partitions too: %s", line)
	assert.Contains(t, line, "; 32 of them injected by the test (an Injector, or a Cluster, Net or Disk call): 8 crashes, 8 pauses, 8 partitions, 8 clogs", line)

	// Without an injected fault, the line is as it was.
	res = simtest.Simulate(oneWaiting, simtest.Seeds(8), simtest.Chaos(harsh()))
	require.Zero(t, res.Failed, res.Report)
	assert.NotContains(t, faultsSeenLine(t, res.Report), "injected")
}

// The results file carries the injected faults, and a merge of shards
// adds them up into the line one Run writes.
func TestAMergeAddsUpTheInjectedFaults(t *testing.T) {
	dir := t.TempDir()
	opts := []simtest.Option{simtest.Seeds(9), simtest.BaseSeed(3), simtest.Chaos(harsh())}
	one := simtest.Simulate(partitionOnce(false), append(opts, simtest.ResultsFile(filepath.Join(dir, "one.jsonl")))...)
	require.Zero(t, one.Failed, one.Report)
	for i := range 3 {
		simtest.Simulate(partitionOnce(false), append(opts, simtest.Shard(i, 3), simtest.ResultsFile(filepath.Join(dir, "shards")+"/"))...)
	}
	merged, err := simtest.MergeResults(filepath.Join(dir, "shards"))
	require.NoError(t, err)
	require.Len(t, merged.Tests, 1)
	line := faultsSeenLine(t, one.Report)
	assert.Contains(t, line, "; 9 of them injected by the test (an Injector, or a Cluster, Net or Disk call): 9 partitions")
	assert.Equal(t, line, faultsSeenLine(t, merged.Tests[0].Report))

	// A shard written before the injected faults were counted leaves
	// the merge unable to count them: it tells none, rather than too
	// few.
	var shards []string
	require.NoError(t, filepath.WalkDir(filepath.Join(dir, "shards"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			shards = append(shards, path)
		}
		return err
	}))
	require.Len(t, shards, 3)
	old, err := os.ReadFile(shards[0])
	require.NoError(t, err)
	injected := regexp.MustCompile(`"by_test":\{[^}]*\},?`)
	require.True(t, injected.Match(old))
	require.NoError(t, os.WriteFile(shards[0], injected.ReplaceAll(old, nil), 0o644))
	merged, err = simtest.MergeResults(filepath.Join(dir, "shards"))
	require.NoError(t, err)
	line, _, _ = strings.Cut(line, "; 9 of them")
	assert.Equal(t, line, faultsSeenLine(t, merged.Tests[0].Report))
}
