package wasmhost_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/wasmhost"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// hostCalls runs the guest with args (and, with echo, an echo server
// beside it) and returns how many host calls the two programs made.
func hostCalls(t *testing.T, echo bool, args ...string) int {
	t.Helper()
	mod := guestModule(t)
	n := 0
	counted := func(args ...string) wasmhost.Config {
		cfg := wasmhost.Config{Args: append([]string{"guest"}, args...)}
		wasmhost.CountHostCalls(&cfg, &n)
		return cfg
	}
	simtest.Run(t, func(s *simtest.S) {
		if echo {
			s.Boot(simtest.Processes{Name: "echo", New: func() simtest.Process {
				return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
					return mod.Run(ctx, p, counted("echo=:7000"))
				})
			}})
			s.Sleep(time.Second)
		}
		require.NoError(t, mod.Run(s.Context(), s.Providers(), counted(args...)))
	}, append(quiet, simtest.Seeds(1))...)
	return n
}

// The host calls of a sleep and of a round trip are what the scheduler
// overlay's idle path and the net overlay cost: each call is a switch
// out of WebAssembly and back, and most of them return at once.
func TestHostCallsPerSleep(t *testing.T) {
	const n = 200
	per := float64(hostCalls(t, false, fmt.Sprintf("sleeps=%d", 2*n))-hostCalls(t, false, fmt.Sprintf("sleeps=%d", n))) / n
	t.Logf("%.2f host calls a time.Sleep", per)
	// The clock when the sleep starts, when the scheduler finds no
	// timer due, and when the wait ends; one poll_oneoff between.
	assert.LessOrEqual(t, per, 4.0, "a time.Sleep should wait in one poll_oneoff and read the clock three times")
}

func TestHostCallsPerRoundTrip(t *testing.T) {
	const n = 200
	per := float64(hostCalls(t, true, fmt.Sprintf("rtt=echo-0:7000,%d", 2*n))-hostCalls(t, true, fmt.Sprintf("rtt=echo-0:7000,%d", n))) / n
	t.Logf("%.2f host calls a round trip of both programs", per)
	// Each side: a read that finds nothing, one poll_oneoff, the read
	// and the write, and now and then the clock.
	assert.LessOrEqual(t, per, 10.0, "a round trip should take each side one poll_oneoff, not a poll before it waits too")
}
