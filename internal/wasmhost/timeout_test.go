package wasmhost_test

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/simtest"
)

// A program's dial that nobody answers fails as on Linux, with
// ETIMEDOUT after the connect's give-up, instead of hanging the run.
func TestADialNobodyAnswersTimesOut(t *testing.T) {
	mod := guestModule(t)
	var out testenv.Buffer
	simtest.Run(t, func(s *simtest.S) {
		_, err := s.Providers().Network.Listen(s.Context(), ":7000")
		require.NoError(s, err)
		s.Network().Isolate(simtest.DriverHost)
		s.Boot(simtest.Processes{Name: "d", New: func() simtest.Process {
			return process(mod, &out, "dialwait="+simtest.DriverHost+":7000")
		}})
		s.Sleep(3 * time.Minute)
	}, simtest.Seeds(2), simtest.KeepFailures(false), simtest.Chaos(chaos.Off()))
	// wasip1's table of errors words ETIMEDOUT with a capital.
	line := "dial: 2m11s true true dial tcp " + simtest.DriverHost + ":7000: connect: Connection timed out\n"
	require.Equal(t, strings.Repeat(line, 2), out.String())
}

// A program whose data nobody acknowledges is told so, as on Linux: its
// read fails with ETIMEDOUT 924.6 s after the write, once, and then
// sees the end of the stream.
func TestUnacknowledgedDataTimesOutAProgram(t *testing.T) {
	out := againstDriver(t, "writewait", 2, func(s *simtest.S, ln net.Listener) {
		c, err := ln.Accept()
		require.NoError(s, err)
		s.Sleep(100 * time.Millisecond) // the program's dial is answered
		s.Network().Isolate(simtest.DriverHost)
		s.Sleep(20 * time.Minute)
		require.NoError(s, c.Close())
	})
	require.Equal(t, strings.Repeat("write: <nil>\nread: 15m25s true true\nread: true\n", 2), out)
}

// A program's dial that ends on its own context's deadline fails as
// package net words it, "i/o timeout" (context.DeadlineExceeded mapped
// by net's mapErr), not as a connect that timed out, whichever of the
// host's timer for the deadline and the program's own fires first: each
// sleep and timer here may take longer than asked, and in some of these
// seeds the host's fires first. The program dials with a 2 s deadline;
// the driver is cut off for 3 s, so the first dial ends on its deadline
// and the second gets through at the heal.
func TestADialEndingOnItsContextIsAnIOTimeout(t *testing.T) {
	mod := guestModule(t)
	var out testenv.Buffer
	cfg := chaos.NoNetworkFaults()
	cfg.SleepDelayProb, cfg.MaxSleepDelay = 1, time.Hour
	const seeds = 10
	simtest.Run(t, func(s *simtest.S) {
		ln, err := s.Providers().Network.Listen(s.Context(), ":7000")
		require.NoError(s, err)
		s.Network().Isolate(simtest.DriverHost)
		s.Boot(simtest.Processes{Name: "g", New: func() simtest.Process {
			return process(mod, &out, "dial="+simtest.DriverHost+":7000")
		}})
		s.Sleep(3 * time.Second)
		s.Network().Heal()
		c, err := ln.Accept()
		require.NoError(s, err)
		defer c.Close()
		r := bufio.NewReader(c)
		for range 3 {
			line, err := r.ReadString('\n')
			require.NoError(s, err)
			_, err = io.WriteString(c, strings.ToUpper(line))
			require.NoError(s, err)
		}
		_, err = io.Copy(io.Discard, r) // until the program closes
		require.NoError(s, err)
	}, simtest.Seeds(seeds), simtest.KeepFailures(false), simtest.Chaos(chaos.Off()), simtest.Network(cfg))
	want := "dial failed: dial tcp " + simtest.DriverHost + ":7000: i/o timeout\nreply PING 0\nreply PING 1\nreply PING 2\n"
	require.Equal(t, strings.Repeat(want, seeds), out.String())
}
