package payments_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/examples/internal/replaytest"
)

// TestPlantedRaceReplays runs the racy processor as a user would and checks
// that the replay line it prints replays the same execution.
func TestPlantedRaceReplays(t *testing.T) {
	out := replaytest.Found(t, "./examples/payments", "TestPayments", "-planted")
	assert.Contains(t, out, `"a payment is applied at most once" failed`)

	// README.md and docs/debugging.md open with this report: keep their
	// quote of its replay line and first errors as the report prints them.
	_, errs, ok := strings.Cut(out, "errors:\n")
	require.True(t, ok, out)
	quoted := strings.SplitN(errs, "\n", 5)[:4]
	replay := regexp.MustCompile(`replay: .*`).FindString(out)
	for _, name := range []string{"../../README.md", "../../docs/debugging.md"} {
		doc, err := os.ReadFile(name)
		require.NoError(t, err)
		assert.True(t, strings.Contains(string(doc), replay), "%s quotes the replay line %q", name, replay)
		for _, line := range quoted {
			line = strings.TrimSpace(line)
			assert.True(t, strings.Contains(string(doc), line), "%s quotes the report's errors: it lacks %q", name, line)
		}
	}
}
