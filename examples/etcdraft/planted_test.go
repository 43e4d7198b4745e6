package etcdraft_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

// TestPlantedBugIsFound runs the nodes with their planted bug, stale reads
// from any node, and checks that a few seeds find it: a history that is
// not linearizable, whose replay fails the same way.
func TestPlantedBugIsFound(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) { runCluster(s, true) }, simtest.Seeds(20), simtest.AllowGaps())
	require.Equal(t, 1, res.Failed, "the planted bug is found within 20 seeds")
	t.Logf("found at seed %d of %d: %s", res.Seeds, 20, res.Replay)
	assert.Contains(t, res.Report, "is not linearizable")
	again := simtest.Simulate(func(s *simtest.S) { runCluster(s, true) }, simtest.Replay(res.FirstFailing), simtest.AllowGaps())
	require.Equal(t, 1, again.Failed, "the failing seed replays")
	assert.Equal(t, res.PerSeed[len(res.PerSeed)-1].Trace, again.PerSeed[0].Trace, "with the same trace")
}
