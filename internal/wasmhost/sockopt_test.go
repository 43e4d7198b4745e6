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

// Every socket option package net has succeeds on a program's TCP
// connections, dialled and accepted, as on Linux; a linger of zero makes
// the close reset the connection.
func TestAProgramsSocketOptionsSucceed(t *testing.T) {
	mod := guestModule(t)
	var out syncBuffer
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
