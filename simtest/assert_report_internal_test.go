package simtest

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/internal/simctx"
	"github.com/moonpool-go/moonpool/internal/tally"
)

// A file edited since the test binary was built has its unreached
// assertions left out of the table: its head says their gaps are unknown
// for that file, rather than a count of none that reads as all covered.
func TestAssertionTableSaysGapsAreUnknownForAFileChangedSinceTheBuild(t *testing.T) {
	rows := []tally.Row{{Kind: simctx.Always, Msg: "a put is acknowledged", Site: &tally.Site{File: "/m/node.go", Line: 7}, Status: tally.OK, Passes: 3, Seeds: 1}}
	table := assertionTable(rows, "", []string{"node.go", "ring.go"}, ranAll)
	assert.Contains(t, table, "  assertions: 1, 0 failed, 0 gaps; gaps unknown for node.go, ring.go (changed since the test binary was built: rebuild it to count them)\n")

	table = assertionTable(rows, "", nil, ranAll)
	assert.Contains(t, table, "  assertions: 1, 0 failed, 0 gaps\n", "no file changed: the count alone")
}

// A Run cut short at a failing seed did not run its other seeds: what the
// seeds that ran did not reach is no coverage gap, and the table's head
// does not count it as one.
func TestAssertionTableOfARunCutShortCountsNoGaps(t *testing.T) {
	rows := []tally.Row{
		{Kind: simctx.Always, Msg: "a put is acknowledged", Site: &tally.Site{File: "/m/node.go", Line: 7}, Status: tally.Failed, Passes: 3, Fails: 1, Seeds: 1},
		{Kind: simctx.Sometimes, Msg: "a retry is deduplicated", Site: &tally.Site{File: "/m/node.go", Line: 9}, Status: tally.NeverTrue, Fails: 2, Seeds: 1},
	}
	assert.Contains(t, assertionTable(rows, "", nil, cutOf(true, "")), "  assertions: 2, 1 failed, 1 not reached or never true in the seeds that ran "+
		"(the Run stopped before its other seeds, so none is judged a gap; -simall runs every seed)\n")
	assert.Contains(t, assertionTable(rows, "", nil, cutOf(false, "")), "  assertions: 2, 1 failed, 1 gap\n")
	// -simall goes past failing seeds, not past a stop before go test's
	// -timeout or at an interrupt: it is not offered there.
	for _, by := range []string{stoppedByTimeout, stoppedByInterrupt} {
		assert.Contains(t, assertionTable(rows, "", nil, cutOf(true, by)), "  assertions: 2, 1 failed, 1 not reached or never true in the seeds that ran "+
			"(the Run stopped before its other seeds, so none is judged a gap)\n", by)
	}
}
