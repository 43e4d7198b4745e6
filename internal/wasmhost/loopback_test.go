package wasmhost_test

import (
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/simtest"
)

// A program that listens on 127.0.0.1 is on its host's loopback alone,
// as on Linux: it reaches itself over loopback, where both ends say
// 127.0.0.1, and nobody reaches it through its host's address: not
// itself, not the driver, not another host's program. A service that
// binds its public port to localhost by mistake is unreachable in the
// simulation as in production.
func TestALoopbackListenerTakesItsOwnHostOnly(t *testing.T) {
	mod := guestModule(t)
	var srv, cli testenv.Buffer
	simtest.Run(t, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return process(mod, &srv, "loopback=8080") }})
		s.Sleep(100 * time.Millisecond)
		_, err := s.Providers().Network.Dial(s.Context(), "srv-0:8080")
		require.ErrorIs(s, err, syscall.ECONNREFUSED, "the driver's connect")
		s.Boot(simtest.Processes{Name: "cli", New: func() simtest.Process { return process(mod, &cli, "dialonce=srv-0:8080") }})
		s.Sleep(5 * time.Second)
	}, simtest.Seeds(3), simtest.KeepFailures(false), simtest.Chaos(chaos.Off()))
	want := "loopback: listening on 127.0.0.1:8080\n" +
		"loopback: 127.0.0.1: \"HI\\n from 127.0.0.1:49152 to 127.0.0.1:8080\" <nil>, local 127.0.0.1\n" +
		"loopback: localhost: \"HI\\n from 127.0.0.1:49153 to 127.0.0.1:8080\" <nil>, local 127.0.0.1\n" +
		"loopback: own name refused: true\n"
	require.Equal(t, strings.Repeat(want, 3), srv.String())
	require.Equal(t, strings.Repeat("dialonce: refused: true false\n", 3), cli.String())
}

// A program's UDP socket bound to 127.0.0.1 hears its own host over
// loopback, and not the driver's datagrams to its host's address.
func TestALoopbackDatagramSocketHearsItsOwnHostOnly(t *testing.T) {
	out := udpRun(t, 3, "udploopback=7000", func(s *simtest.S) {
		s.Sleep(100 * time.Millisecond)
		p := s.Providers()
		pc, err := p.Network.ListenPacket(s.Context(), ":0")
		require.NoError(s, err)
		_, err = pc.WriteTo([]byte("far"), udpAt("g-0:7000"))
		require.NoError(s, err)
		s.Sleep(5 * time.Second)
	})
	require.Equal(t, strings.Repeat("udploopback: bound to 127.0.0.1:7000\nudploopback: \"near\" from loopback true\n", 3), out)
}

// A program that listens on its host's own address is not reached over
// loopback, as on Linux: a service that dials itself on localhost while it
// listens on its public address fails in the simulation as in
// production. A listener on 127.0.0.1 shares the port, taking the
// loopback's connects, and one on every address cannot join them; the
// same holds for datagram sockets. Other hosts reach the address.
func TestAListenerOnItsHostsAddressIsNotOnLoopback(t *testing.T) {
	mod := guestModule(t)
	var out testenv.Buffer
	simtest.Run(t, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "b", New: func() simtest.Process { return process(mod, &out, "bound=8080") }})
		s.Sleep(time.Second)
		c, err := s.Providers().Network.Dial(s.Context(), "b-0:8080")
		require.NoError(s, err, "the driver reaches the address")
		reply, err := io.ReadAll(c)
		require.NoError(s, err)
		require.Equal(s, "own", string(reply))
		require.NoError(s, c.Close())
	}, simtest.Seeds(3), simtest.KeepFailures(false), simtest.Chaos(chaos.Off()))
	want := "bound: 127.0.0.1: refused true own: own\n" +
		"bound: 127.0.0.1: lo own: own\n" +
		"bound: every address in use: true\n" +
		"bound: udp: first heard is to own: true\n" +
		"bound: udp 127.0.0.1 beside it: <nil>\n"
	require.Equal(t, strings.Repeat(want, 3), out.String())
}

// A port out of range is an invalid argument, as Linux answers a bind or a
// connect to it, and Go a datagram sent to it, not an I/O error nor a
// datagram to the port its low 16 bits name.
func TestAPortOutOfRangeIsAnInvalidArgument(t *testing.T) {
	mod := guestModule(t)
	var out testenv.Buffer
	simtest.Run(t, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "b", New: func() simtest.Process { return process(mod, &out, "badport=70000") }})
		s.Sleep(2 * time.Second)
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.KeepFailures(false))
	// What the same calls print natively on Linux, but for WASI's
	// capital.
	require.Equal(t, "listen: listen tcp 0.0.0.0:70000: bind: Invalid argument true\n"+
		"listenudp: listen udp 0.0.0.0:70000: bind: Invalid argument true\n"+
		"dial: dial tcp 127.0.0.1:70000: connect: Invalid argument true\n"+
		"dialudp: dial udp 127.0.0.1:70000: connect: Invalid argument true\n"+
		"writeto: write udp 127.0.0.1:4000->127.0.0.1:70000: sendto: Invalid argument true\n", out.String())
}
