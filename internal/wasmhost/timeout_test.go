package wasmhost_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

// A program's dial that nobody answers fails as on Linux, with
// ETIMEDOUT after the connect's give-up, instead of hanging the run.
func TestADialNobodyAnswersTimesOut(t *testing.T) {
	mod := guestModule(t)
	var out syncBuffer
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
