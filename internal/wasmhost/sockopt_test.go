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
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/simtest"
)

// Every socket option package net has succeeds on a program's TCP
// connections, dialled and accepted, as on Linux; a linger of zero makes
// the close reset the connection.
func TestAProgramsSocketOptionsSucceed(t *testing.T) {
	mod := guestModule(t)
	var out testenv.Buffer
	simtest.Run(t, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "g", New: func() simtest.Process { return process(mod, &out, "sockopts") }})
		s.Sleep(5 * time.Second)
	}, simtest.Seeds(3), simtest.KeepFailures(false), simtest.Chaos(chaos.Off()))
	want := "sockopts: read buffer <nil> <nil>\n" +
		"sockopts: write buffer <nil> <nil>\n" +
		"sockopts: keep-alive <nil> <nil>\n" +
		"sockopts: keep-alive period <nil>\n" +
		"sockopts: keep-alive config <nil>\n" +
		"sockopts: no delay <nil> <nil>\n" +
		"sockopts: linger <nil> <nil> <nil>\n" +
		"sockopts: close <nil>\n" +
		"sockopts: peer's read: true\n"
	require.Equal(t, strings.Repeat(want, 3), out.String())
}

// A program's SetLinger(0) then Close resets the connection: the
// driver's read ends in ECONNRESET, not io.EOF.
func TestAProgramsLingerOfZeroResets(t *testing.T) {
	out := againstDriver(t, "linger", 3, func(s *simtest.S, ln net.Listener) {
		c, err := ln.Accept()
		require.NoError(s, err)
		got, err := io.ReadAll(c)
		require.ErrorIs(s, err, syscall.ECONNRESET, "read %q, then %v", got, err)
		s.Sleep(time.Second)
	})
	require.Equal(t, strings.Repeat("linger: <nil> <nil>\n", 3), out)
}

// A program's keep-alives are Go's: on by default, with Go's times (a
// read across a cut fails with ETIMEDOUT 150 s after the program last
// heard from its peer), off with a Dialer's KeepAlive of -1, and as
// SetKeepAliveConfig and SetKeepAlive set them on the connection: with
// probes of 2 s, then 1 s, two of them, the read fails after 4 s. With
// none, it waits for its deadline.
func TestAProgramsKeepAlivesAreGos(t *testing.T) {
	for _, c := range []struct{ how, want string }{
		{"default", "keepalive: true false 2m30s\n"},
		{"none", "keepalive: false true 3m0s\n"},
		{"short", "keepalive: true false 4s\n"},
		{"off", "keepalive: false true 3m0s\n"},
	} {
		t.Run(c.how, func(t *testing.T) {
			out := againstDriver(t, "keepalive-"+c.how, 2, func(s *simtest.S, ln net.Listener) {
				conn, err := ln.Accept()
				require.NoError(s, err)
				// Only the program probes.
				require.NoError(s, conn.(interface{ SetKeepAlive(bool) error }).SetKeepAlive(false))
				_, err = io.ReadFull(conn, make([]byte, 1))
				require.NoError(s, err)
				s.Network().Isolate(simtest.DriverHost)
				s.Sleep(4 * time.Minute)
				s.Network().Heal()
				require.NoError(s, conn.Close())
			})
			require.Equal(t, strings.Repeat(c.want, 2), out)
		})
	}
}
