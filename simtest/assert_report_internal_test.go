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
	table := assertionTable(rows, "", []string{"node.go", "ring.go"})
	assert.Contains(t, table, "  assertions: 1, 0 failed, 0 gaps; gaps unknown for node.go, ring.go (changed since the test binary was built: rebuild it to count them)\n")

	table = assertionTable(rows, "", nil)
	assert.Contains(t, table, "  assertions: 1, 0 failed, 0 gaps\n", "no file changed: the count alone")
}
