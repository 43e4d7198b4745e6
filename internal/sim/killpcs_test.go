package sim

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// A killed task's stack is read while it unwinds. Once the task has
// ended, a handle kept to it, as a cluster keeps a process's, does not
// keep the stack, nor so the world's array of stacks that it is a slice
// of: a seed of thousands of reboots would keep them all.
func TestAnEndedKilledTaskKeepsNoStack(t *testing.T) {
	w := New(Config{Seed: 1})
	var handles []providers.Handle
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		for i := range 50 {
			g := w.NewGroup(fmt.Sprintf("p%d", i))
			handles = append(handles, g.Go(ctx, "main", func(ctx context.Context) error {
				return p.Time.Sleep(ctx, time.Hour)
			}))
			if err := p.Time.Sleep(ctx, time.Second); err != nil {
				return err
			}
			g.Crash()
		}
		return p.Time.Sleep(ctx, time.Second)
	})
	require.NoError(t, res.Err)
	for i, h := range handles {
		task := h.(*task)
		require.True(t, task.finished, "process %d's task ended with its crash", i)
		assert.Nil(t, task.killPCs, "process %d's task keeps the stack it was killed at", i)
	}
}
