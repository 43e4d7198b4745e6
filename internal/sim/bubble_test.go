package sim

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// synctest.Wait in a task panics, for a task is in no bubble: the failure
// says what waits instead. A panic of the same words raised by other code
// is left as it is.
func TestSynctestWaitInATaskSaysWhatToUse(t *testing.T) {
	res := New(Config{Seed: 1}).Run(func(ctx context.Context, p providers.Providers) error {
		synctest.Wait()
		return nil
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Panic, f.Kind)
	assert.Equal(t, "goroutine is not in a bubble: synctest.Wait has no bubble in a simulation; in a Run's body, check the tasks' work with s.Eventually "+
		"(after s.Quiesce, when faults are on) or sleep past the instant it is due, and in code under test, wait through the providers "+
		"(a Chan, a WaitGroup, p.Time.Sleep)", f.Msg)

	res = New(Config{Seed: 1}).Run(func(ctx context.Context, p providers.Providers) error {
		panic("goroutine is not in a bubble")
	})
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, "goroutine is not in a bubble", f.Msg)
}
