package sim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// Two runs that resume the same task at the same time after the same
// draws, but started a different number of tasks before: the steps differ
// only in their hashes, and the report must not print one line twice.
func TestDivergeWhenOnlyTheHashDiffers(t *testing.T) {
	work := func(n int) func(ctx context.Context, p providers.Providers) error {
		return func(ctx context.Context, p providers.Providers) error {
			for range n {
				p.Task.Go(ctx, "t", func(ctx context.Context) error { return p.Time.Sleep(ctx, time.Millisecond) })
			}
			return p.Time.Sleep(ctx, time.Second)
		}
	}
	a := New(Config{Seed: 1, Record: true}).Run(work(3))
	b := New(Config{Seed: 1, Record: true}).Run(work(4))
	require.NotEqual(t, a.Trace, b.Trace)
	d := Diverge(a.Record, b.Record)
	require.NotEmpty(t, d)
	assert.Contains(t, d, `step 1 is the same in both runs (at 0s resume task "t" (draw 1)), but the trace hashes differ there`)
	assert.Contains(t, d, `at 0s resume task "driver" (draw 0)`, "the step that did something different")
	seen := map[string]bool{}
	for _, l := range strings.Split(d, "\n") {
		assert.False(t, seen[strings.TrimSpace(l)], "line printed twice: %s", l)
		seen[strings.TrimSpace(l)] = true
	}
}
