package simtest_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

func TestAProcessLogsToTheTimelineThroughItsProviders(t *testing.T) {
	var entries []simtest.Entry
	simtest.Run(t, func(s *simtest.S) {
		w := s.Watch("replica ready", "driver says")
		s.Boot(simtest.Processes{Name: "replica", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				require.NoError(s, p.Time.Sleep(ctx, time.Second))
				p.Logger.Info("replica ready", "term", 3)
				return p.Time.Sleep(ctx, time.Hour)
			})
		}})
		s.Providers().Logger.Warn("driver says")
		s.Sleep(2 * time.Second)
		entries = w.Next()
	}, simtest.Chaos(chaos.Off()), simtest.Replay(1))
	require.Len(t, entries, 2)
	assert.Equal(t, "driver says", entries[0].Name)
	assert.Equal(t, slog.LevelWarn, entries[0].Level)
	got := entries[1]
	assert.Equal(t, "replica ready", got.Name)
	assert.Equal(t, "replica-0", got.Process, "stamped with the process")
	assert.Equal(t, time.Second, got.At, "and the simulated time")
	term, ok := got.Attr("term")
	require.True(t, ok)
	assert.Equal(t, int64(3), term.Int64())
}

func TestRealProvidersLogToTheDefaultLogger(t *testing.T) {
	assert.Same(t, slog.Default(), providers.Real().Logger)
}
