package browser_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/examples/browser"
)

// TestPresets checks that each preset does what the page says: the calm
// and stormy seeds pass, the buggy one loses an acknowledged request, and
// every run of a seed gives the same history and timeline.
func TestPresets(t *testing.T) {
	for _, p := range browser.Presets() {
		t.Run(p.Name, func(t *testing.T) {
			one, err := browser.Run(p.Mode, p.Seed)
			require.NoError(t, err)
			two, err := browser.Run(p.Mode, p.Seed)
			require.NoError(t, err)
			assert.Empty(t, cmp.Diff(one, two, cmpopts.IgnoreFields(browser.Outcome{}, "Report")), "the same seed, the same run (the report has the wall time)")
			require.NotEmpty(t, one.History)
			last := one.History[len(one.History)-1]
			require.NotNil(t, one.Doc)
			assert.NotEmpty(t, one.Doc.Messages, "the requests and answers are drawn")
			faults := 0
			for _, e := range one.Doc.Events {
				if e.Kind == "fault" || e.Kind == "reboot" {
					faults++
				}
			}
			switch p.Mode {
			case browser.Calm:
				assert.True(t, one.OK, one.Report)
				assert.Zero(t, faults, "no faults when calm")
				assert.Contains(t, last, "check: all 24 acknowledged requests kept")
			case browser.Stormy:
				assert.True(t, one.OK, one.Report)
				assert.Greater(t, faults, 5, "a storm")
				assert.Contains(t, last, "acknowledged requests kept")
			case browser.Buggy:
				assert.False(t, one.OK)
				assert.Regexp(t, `check: \d+ acknowledged requests lost`, last)
				assert.True(t, one.Doc.Failed)
			}
		})
	}
}

func TestParseRun(t *testing.T) {
	m, seed, err := browser.ParseRun("stormy/7")
	require.NoError(t, err)
	assert.Equal(t, browser.Stormy, m)
	assert.Equal(t, uint64(7), seed)
	_, _, err = browser.ParseRun("stormy")
	assert.EqualError(t, err, `browser: "stormy" is not mode/seed; write it as stormy/7`)
	_, _, err = browser.ParseRun("windy/7")
	assert.EqualError(t, err, `browser: no mode "windy"; use calm, stormy or buggy`)
	_, err = browser.Run("windy", 1)
	assert.Error(t, err)
}
