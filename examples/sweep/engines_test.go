package sweep_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/simtest"
)

// sweepChild marks this test binary run by TestShardedSweepAsTheEnginesRunIt.
const sweepChild = "MOONPOOL_SWEEP_CHILD"

// TestSweepShard is the Run each process of the sweep runs; it runs only
// as a child of TestShardedSweepAsTheEnginesRunIt.
func TestSweepShard(t *testing.T) {
	if os.Getenv(sweepChild) == "" {
		t.Skip("a process of the sweep that TestShardedSweepAsTheEnginesRunIt runs")
	}
	simtest.Run(t, func(s *simtest.S) {
		ctx, p := s.Context(), s.Providers()
		lag := time.Duration(p.Random.IntN(1000)) * time.Millisecond
		s.Sleep(lag)
		assertions.Sometimes(ctx, lag > 800*time.Millisecond, "a slow reply")
		assertions.AlwaysLessThan(ctx, lag, time.Second, "replies come within a second")
		assertions.SometimesEach(ctx, "leader per term", "leader", p.Random.IntN(3))
		if p.Random.IntN(25) == 0 {
			s.Errorf("an acknowledged write was lost")
		}
	})
}

// TestShardedSweepAsTheEnginesRunIt runs this test binary as a CI matrix
// or a Kubernetes Indexed Job runs a sweep (docs/sweeps): once over all
// the seeds, then as four processes each given its shard, two by
// -simshard (as the Job's command line does with its completion index)
// and two by $MOONPOOL_SHARD (as a matrix job's environment may), and
// checks that the merge of the four results files reports what the one
// process did: the same seeds, outcomes, trace hash and assertion counts.
func TestShardedSweepAsTheEnginesRunIt(t *testing.T) {
	if os.Getenv(sweepChild) != "" {
		t.Skip("the parent of the sweep's processes")
	}
	dir := t.TempDir()
	process := func(out string, env string, args ...string) {
		t.Helper()
		//simvet:allow osnet the processes of a sweep, run as a CI matrix runs them, outside any simulation
		cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestSweepShard$", "-test.count=1",
			"-simall", "-simkeep=false", "-simseeds=300", "-simbase=20261203", "-simresults=" + out + "/"}, args...)...)
		cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
			return strings.HasPrefix(kv, "MOONPOOL_")
		}), sweepChild+"=1", env)
		b, err := cmd.CombinedOutput()
		// Failing seeds fail the process, as they fail a shard's job; the
		// merge is what reports them.
		var exit *exec.ExitError
		if err != nil && !assert.ErrorAs(t, err, &exit) {
			t.Fatalf("running a process of the sweep: %v\n%s", err, b)
		}
		require.Contains(t, string(b), "simtest: wrote the results to", "%s", b)
	}
	process(filepath.Join(dir, "one"), "")
	for i := range 4 {
		if i < 2 {
			process(filepath.Join(dir, "shards"), "", fmt.Sprintf("-simshard=%d/4", i))
		} else {
			process(filepath.Join(dir, "shards"), fmt.Sprintf("MOONPOOL_SHARD=%d/4", i))
		}
	}
	one, err := simtest.MergeResults(filepath.Join(dir, "one"))
	require.NoError(t, err)
	shards, err := simtest.MergeResults(filepath.Join(dir, "shards"))
	require.NoError(t, err)
	require.Len(t, one.Tests, 1)
	require.Len(t, shards.Tests, 1)
	w, m := one.Tests[0], shards.Tests[0]
	t.Logf("one process:\n%s", w.Report)
	t.Logf("four shards, merged:\n%s", m.Report)

	assert.Equal(t, 300, m.Seeds)
	assert.Equal(t, 4, m.Files)
	assert.Empty(t, m.Missing)
	assert.NotZero(t, m.Failed, "the sweep finds the planted bug")
	assert.Equal(t, [3]int{w.Seeds, w.Passed, w.Failed}, [3]int{m.Seeds, m.Passed, m.Failed})
	assert.Equal(t, w.Failing, m.Failing, "the same failing seeds, with their failures and replay lines")
	for _, f := range m.Failing {
		// A sweep built with -race replays under -race.
		assert.Regexp(t, fmt.Sprintf(`^go test -run '\^TestSweepShard\$' \./examples/sweep -simseed=%d(?: -race)?$`, f.Seed), f.Replay)
	}
	_, wantBody, _ := strings.Cut(w.Report, "\n")
	_, gotBody, _ := strings.Cut(m.Report, "\n")
	assert.Equal(t, masked(wantBody), masked(gotBody), "the report but for its first line and wall time")
}

// wallFigures are the parts of a report that wall time changes.
var wallFigures = regexp.MustCompile(`wall [^,]+|[0-9.]+[kM]? steps\+events/s`)

func masked(s string) string { return wallFigures.ReplaceAllString(s, "WALL") }
