package zones_test

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/examples/internal/replaytest"
)

var darkRE = regexp.MustCompile(`no replica answered, 2 times each: store-\d \((dc0-z\d)\): .*\n\s+store-\d \((dc0-z\d)\): .*\n\s+store-\d \((dc0-z\d)\)`)

// TestNaivePlacementFailsAndReplays runs the zone-outage test with the
// naive placement, as a user would, checks that a zone's outage made a
// blob unreadable, and that the replay line it printed replays the same
// execution.
func TestNaivePlacementFailsAndReplays(t *testing.T) {
	out := replaytest.Found(t, "./examples/zones", "TestStoreUnderZoneOutages", "-planted")
	assert.Regexp(t, `inject zone outage +net: host store-`, out, "the story tells of the injector's outage")
	m := darkRE.FindStringSubmatch(out)
	require.NotNil(t, m, "a read found its three copies dark:\n%s", out)
	assert.Equal(t, []string{m[1], m[1]}, m[2:], "all three in one zone")
}
