package wasmhost_test

import (
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

// A program that closes a connection with data it has not read resets
// it, as Linux does: the peer's reads end in ECONNRESET, not io.EOF, even
// when the host had already read that data ahead. (The simulated network
// drops what a reset's receiver had not read, so the reply the program
// wrote just before may be lost with it.)
func TestCloseWithUnreadDataResets(t *testing.T) {
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return process(mod, nil, "oneline=:7000") }})
		s.Sleep(100 * time.Millisecond)
		c, err := s.Providers().Network.Dial(s.Context(), "srv-0:7000")
		require.NoError(s, err)
		_, err = io.WriteString(c, "first\nsecond, never read\n")
		require.NoError(s, err)
		got, err := io.ReadAll(c)
		require.ErrorIs(s, err, syscall.ECONNRESET, "the program's close read %q, then %v", got, err)
		require.Contains(s, []string{"", "FIRST\n"}, string(got))
	}, simtest.Seeds(3), simtest.KeepFailures(false), simtest.Chaos(chaos.Off()))
}

// A program that closes its listener resets the connections waiting to
// be accepted, as Linux does, where they were handed to the host already.
func TestClosingAListenerResetsWhatItHadNotAccepted(t *testing.T) {
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return process(mod, nil, "closelistener=:7000") }})
		s.Sleep(100 * time.Millisecond)
		c, err := s.Providers().Network.Dial(s.Context(), "srv-0:7000")
		require.NoError(s, err)
		got, err := io.ReadAll(c)
		require.ErrorIs(s, err, syscall.ECONNRESET, "read %q, then %v", got, err)
	}, simtest.Seeds(3), simtest.KeepFailures(false), simtest.Chaos(chaos.Off()))
}

// A write after the peer's reset has arrived fails as on Linux:
// ECONNRESET first, EPIPE after, even though the host buffers writes and
// has not yet tried to send this one.
func TestAWriteAfterAResetFails(t *testing.T) {
	out := againstDriver(t, "writereset", 3, func(s *simtest.S, ln net.Listener) {
		resetNext(s, ln)
		s.Sleep(5 * time.Second)
	})
	require.Equal(t, strings.Repeat("write: true true false\nwrite: true false true\n", 3), out)
}

// resetNext accepts the next connection and resets it.
func resetNext(s *simtest.S, ln net.Listener) {
	c, err := ln.Accept()
	require.NoError(s, err)
	require.NoError(s, c.(interface{ SetLinger(int) error }).SetLinger(0))
	require.NoError(s, c.Close())
}

// A reset is told to a program once, as on Linux: its first read or
// write after it fails with ECONNRESET, and later reads see the end of
// the stream.
func TestAResetIsReadOnce(t *testing.T) {
	out := againstDriver(t, "readreset", 3, func(s *simtest.S, ln net.Listener) {
		resetNext(s, ln)
		resetNext(s, ln)
		s.Sleep(5 * time.Second)
	})
	require.Equal(t, strings.Repeat("read: 0 true false\nread: 0 false true\nwrite: true\nread: 0 false true\n", 3), out)
}
