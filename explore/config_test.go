package explore_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/explore"
)

func TestCoverageOnlyNamesMessages(t *testing.T) {
	cfg := explore.Defaults()
	cfg.CoverageOnly = []string{"a request was served"}
	require.NoError(t, cfg.Validate())
	cfg.CoverageOnly = append(cfg.CoverageOnly, "")
	assert.EqualError(t, cfg.Validate(), "explore: CoverageOnly names an empty message; name each assertion by the message it was given")
}
