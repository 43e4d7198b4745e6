package simtest

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/sim"
)

// The test's t is shared by the Run's workers: a seed that ran while
// another skipped t sees the skip, but only the seed whose task the skip
// ended reports it, with the line that skipped.
func TestOnlyTheSeedThatSkippedReportsTheSkip(t *testing.T) {
	for _, err := range []error{nil, errors.New("a failure of its own"), &sim.Failure{Kind: sim.Panic, Stack: "main.f()\n\t/src/f.go:3 +0x1\n"}} {
		bystander := &S{}
		skippedInBody(bystander, err)
		assert.Nil(t, bystander.config, "%v", err)
	}

	skipper := &S{}
	skippedInBody(skipper, &sim.Failure{Kind: sim.Goexit, Stack: "example.com/m.skipIfNoBackend(...)\n\t/src/m/skip_test.go:39 +0x1c\n"})
	require.NotNil(t, skipper.config)
	assert.Equal(t, "skip_test.go:39", skipper.config.where)
	assert.EqualError(t, skipper.config.err, outerSkipError)
	assert.True(t, skipper.failed)
}
