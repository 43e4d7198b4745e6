package wasmhost_test

import (
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/simtest"
)

// udpAt is the address of a simulated host's UDP socket, "host:port".
type udpAt string

func (a udpAt) Network() string { return "udp" }
func (a udpAt) String() string  { return string(a) }

// udpRun boots the guest as process "g" with args, for seeds seeds with
// chaos off, lets drive act on the network from the driver's host, and
// returns what the program printed in every seed.
func udpRun(t *testing.T, seeds int, args string, drive func(s *simtest.S)) string {
	t.Helper()
	mod := guestModule(t)
	var out testenv.Buffer
	simtest.Run(t, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "g", New: func() simtest.Process { return process(mod, &out, args) }})
		drive(s)
	}, simtest.Seeds(seeds), simtest.KeepFailures(false), simtest.Chaos(chaos.Off()))
	return out.String()
}

// A program's UDP socket is on its host of the simulated network: the
// driver's datagrams reach it, and its replies come back from its host's
// address.
func TestAProgramEchoesTheDriversDatagrams(t *testing.T) {
	out := udpRun(t, 3, "udpecho=:7000", func(s *simtest.S) {
		s.Sleep(100 * time.Millisecond)
		p := s.Providers()
		pc, err := p.Network.ListenPacket(s.Context(), ":0")
		require.NoError(s, err)
		buf := make([]byte, 100)
		for _, msg := range []string{"ping", "", "again"} {
			_, err := pc.WriteTo([]byte(msg), udpAt("g-0:7000"))
			require.NoError(s, err)
			require.NoError(s, pc.SetReadDeadline(p.Time.Now().Add(5*time.Second)))
			n, from, err := pc.ReadFrom(buf)
			require.NoError(s, err)
			require.Equal(s, strings.ToUpper(msg), string(buf[:n]))
			require.Equal(s, "g-0:7000", from.String())
		}
	})
	require.Equal(t, strings.Repeat("udpecho: read buffer <nil>\n", 3), out)
}

// Two programs exchange datagrams: one from an unbound socket, which
// gets its host's address and an ephemeral port, the other answering to
// the address each datagram came from. A datagram to a port nobody
// holds is sent, and lost, without an error, as on Linux.
func TestTwoProgramsExchangeDatagrams(t *testing.T) {
	mod := guestModule(t)
	var srv, cli testenv.Buffer
	simtest.Run(t, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return process(mod, &srv, "udpecho=:7000") }})
		s.Sleep(100 * time.Millisecond)
		s.Boot(simtest.Processes{Name: "cli", New: func() simtest.Process { return process(mod, &cli, "udpask=srv-0:7000,3") }})
		s.Sleep(10 * time.Second)
	}, simtest.Seeds(3), simtest.KeepFailures(false), simtest.Chaos(chaos.Off()))
	require.Equal(t, strings.Repeat("udpecho: read buffer <nil>\n", 3), srv.String())
	want := "udpask: local own ip true, ephemeral port true\n" +
		"udpask: to nobody 7 <nil>\n" +
		"udpask: reply \"PING 0\" from the server true\n" +
		"udpask: reply \"PING 1\" from the server true\n" +
		"udpask: reply \"PING 2\" from the server true\n"
	require.Equal(t, strings.Repeat(want, 3), cli.String())
}

// A connected UDP socket hears its peer only, fails a datagram over the
// network's maximum with EMSGSIZE, and a read past its deadline fails with
// os.ErrDeadlineExceeded on the simulated clock; the reply that comes
// later is read after.
func TestAUDPReadDeadlinePasses(t *testing.T) {
	var pc net.PacketConn
	out := udpRun(t, 2, "udpdial="+simtest.DriverHost+":7000", func(s *simtest.S) {
		var err error
		pc, err = s.Providers().Network.ListenPacket(s.Context(), ":7000")
		require.NoError(s, err)
		buf := make([]byte, 100)
		n, from, err := pc.ReadFrom(buf)
		require.NoError(s, err)
		require.Equal(s, "ping", string(buf[:n]))
		s.Sleep(2 * time.Second)
		stranger, err := s.Providers().Network.ListenPacket(s.Context(), ":0")
		require.NoError(s, err)
		_, err = stranger.WriteTo([]byte("stranger"), from)
		require.NoError(s, err)
		s.Sleep(time.Second)
		_, err = pc.WriteTo([]byte("pong"), from)
		require.NoError(s, err)
		s.Sleep(time.Second)
	})
	want := "udpdial: local own ip true, ephemeral port true remote true\n" +
		"udpdial: too long true\n" +
		"udpdial: write to on a connected socket true\n" +
		"udpdial: read 1s true true read udp 10.129.218.20:49152->" + simtest.DriverHost + ":7000: i/o timeout\n" +
		"udpdial: read \"pong\" after 3s\n"
	require.Equal(t, strings.Repeat(want, 2), out)
}

// A program's datagram over the network's maximum fails with EMSGSIZE,
// whose text in the program ("sendto: message too long") cannot say the
// limit: the timeline says it, once for the socket, as a native caller's
// error does.
func TestAnOversizedDatagramIsNamedInTheTimeline(t *testing.T) {
	var told []string
	udpRun(t, 1, "udpdial="+simtest.DriverHost+":7000", func(s *simtest.S) {
		watch := s.Watch("net")
		_, err := s.Providers().Network.ListenPacket(s.Context(), ":7000")
		require.NoError(s, err)
		s.Sleep(3 * time.Second)
		for _, e := range watch.Next() {
			if strings.Contains(e.Msg, "MaxDatagramSize") {
				told = append(told, e.Process+" "+e.Msg)
			}
		}
	})
	require.Equal(t, []string{"g-0 net: write udp g-0:49152->" + simtest.DriverHost + ":7000: " +
		"sendto: message too long: a datagram of 2000 bytes is over the network's maximum of 1472 " +
		"(chaos.Network.MaxDatagramSize); split it, or raise the limit"}, told)
}

// A datagram longer than the program's buffer is cut to it, and the rest
// dropped, as recvfrom(2) does: the next read gets the next datagram.
func TestALongDatagramIsCutToTheReadersBuffer(t *testing.T) {
	out := udpRun(t, 2, "udprecv=:7000,10", func(s *simtest.S) {
		s.Sleep(100 * time.Millisecond)
		pc, err := s.Providers().Network.ListenPacket(s.Context(), ":5555")
		require.NoError(s, err)
		for _, msg := range []string{"0123456789abcdef", "short"} {
			_, err := pc.WriteTo([]byte(msg), udpAt("g-0:7000"))
			require.NoError(s, err)
		}
		s.Sleep(time.Second)
	})
	want := "udprecv: 10 \"0123456789\" from port 5555\n" +
		"udprecv: 5 \"short\" from port 5555\n"
	require.Equal(t, strings.Repeat(want, 2), out)
}

// A datagram sent across a partition is lost; one sent after the heal
// arrives.
func TestADatagramAcrossAPartitionIsLost(t *testing.T) {
	out := udpRun(t, 2, "udprecv=:7000,100", func(s *simtest.S) {
		s.Sleep(100 * time.Millisecond)
		pc, err := s.Providers().Network.ListenPacket(s.Context(), ":5555")
		require.NoError(s, err)
		s.Network().Isolate(simtest.DriverHost)
		_, err = pc.WriteTo([]byte("lost"), udpAt("g-0:7000"))
		require.NoError(s, err)
		s.Sleep(time.Second)
		s.Network().Heal()
		_, err = pc.WriteTo([]byte("after"), udpAt("g-0:7000"))
		require.NoError(s, err)
		s.Sleep(time.Second)
	})
	require.Equal(t, strings.Repeat("udprecv: 5 \"after\" from port 5555\n", 2), out)
}

// A crash closes a program's UDP sockets with its host's: the program
// that boots again binds the same port, and hears what is sent after.
func TestARebootedProgramBindsItsUDPPortAgain(t *testing.T) {
	mod := guestModule(t)
	var out testenv.Buffer
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "g", New: func() simtest.Process { return process(mod, &out, "udprecv=:7000,100") }})
		s.Sleep(100 * time.Millisecond)
		pc, err := s.Providers().Network.ListenPacket(s.Context(), ":5555")
		require.NoError(s, err)
		for _, msg := range []string{"before", "after"} {
			_, err = pc.WriteTo([]byte(msg), udpAt("g-0:7000"))
			require.NoError(s, err)
			s.Sleep(time.Second)
			c.Stop("g-0", simtest.Crash)
			c.Start("g-0")
			s.Sleep(time.Second)
		}
	}, simtest.Seeds(2), simtest.KeepFailures(false), simtest.Chaos(chaos.Off()))
	want := "udprecv: 6 \"before\" from port 5555\n" +
		"udprecv: 5 \"after\" from port 5555\n"
	require.Equal(t, strings.Repeat(want, 2), out.String())
}

// udpBusyRun runs two programs that exchange datagrams with the
// network's faults on, over n seeds, and returns each seed's trace hash
// and output.
func udpBusyRun(t *testing.T, n int) map[string]outcome {
	t.Helper()
	mod := guestModule(t)
	return seedRuns(t, n, func(s *simtest.S, out *testenv.Buffer) {
		s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return process(mod, out, "udpecho=:7000") }})
		s.Boot(simtest.Processes{Name: "cli", New: func() simtest.Process { return process(mod, out, "udpask=srv-0:7000,30") }})
		s.Sleep(time.Minute)
	}, simtest.Chaos(datagramFaults()))
}

// One seed gives one run of programs that exchange datagrams under the
// network's faults: the same trace and output, whatever GOMAXPROCS, and
// other seeds lose other datagrams.
func TestSameSeedSameUDPRun(t *testing.T) {
	const n = 4
	first := udpBusyRun(t, n)
	outputs := map[string]bool{}
	for _, o := range first {
		require.Contains(t, o.Output, "udpask: reply")
		outputs[o.Output] = true
	}
	require.Len(t, outputs, n, "different seeds lose different datagrams")
	for _, procs := range []int{1, 4} {
		prev := runtime.GOMAXPROCS(procs)
		again := udpBusyRun(t, n)
		runtime.GOMAXPROCS(prev)
		if d := cmp.Diff(first, again); d != "" {
			t.Errorf("GOMAXPROCS=%d changed the runs (-first +again):\n%s", procs, d)
		}
	}
}

// datagramFaults is chaos that loses, duplicates and reorders datagrams,
// and nothing else.
func datagramFaults() chaos.Config {
	cfg := chaos.Off()
	def := chaos.DefaultNetwork()
	cfg.Network.DatagramLossProb = 0.2
	cfg.Network.DatagramDupProb = 0.2
	cfg.Network.DatagramReorderProb = 0.2
	cfg.Network.DatagramReorderDelay = def.DatagramReorderDelay
	return cfg
}

// A program's connected UDP socket hears, as on Linux, that its datagram
// found no socket at its peer: its next read or write fails with
// ECONNREFUSED, once. An unconnected socket hears nothing.
func TestAConnectedUDPSocketHearsPortUnreachable(t *testing.T) {
	out := udpRun(t, 3, "udprefused="+simtest.DriverHost+":7001", func(s *simtest.S) {
		s.Sleep(10 * time.Second)
	})
	want := "udprefused: write <nil>\n" +
		"udprefused: read refused true\n" +
		"udprefused: then true\n" +
		"udprefused: write <nil>\n" +
		"udprefused: write refused true\n" +
		"udprefused: unconnected write <nil>\n" +
		"udprefused: unconnected read true\n"
	require.Equal(t, strings.Repeat(want, 3), out)
}

// A port unreachable that comes while a datagram waits to be read is
// read first, as Linux reports a socket's error before its queue: the
// host has read the datagram ahead of the program, and the network's
// notice must not wait behind it.
func TestAPortUnreachableIsReadBeforeTheDatagramThatWaits(t *testing.T) {
	out := udpRun(t, 2, "udprefusedlate="+simtest.DriverHost+":7000", func(s *simtest.S) {
		pc, err := s.Providers().Network.ListenPacket(s.Context(), ":7000")
		require.NoError(s, err)
		buf := make([]byte, 100)
		n, from, err := pc.ReadFrom(buf)
		require.NoError(s, err)
		require.Equal(s, "ping", string(buf[:n]))
		_, err = pc.WriteTo([]byte("pong"), from)
		require.NoError(s, err)
		require.NoError(s, pc.Close())
		s.Sleep(5 * time.Second)
	})
	want := "udprefusedlate: read \"\" refused true\n" +
		"udprefusedlate: read \"pong\" refused false\n"
	require.Equal(t, strings.Repeat(want, 2), out)
}

// A read whose buffer for the source address is too small fails, and
// loses nothing: the datagram waits for the next read.
func TestARecvFromWithNoRoomForTheAddressLosesNothing(t *testing.T) {
	out := udpRun(t, 2, "udpsmallfrom=:7000", func(s *simtest.S) {
		s.Sleep(100 * time.Millisecond)
		pc, err := s.Providers().Network.ListenPacket(s.Context(), ":5555")
		require.NoError(s, err)
		_, err = pc.WriteTo([]byte("kept"), udpAt("g-0:7000"))
		require.NoError(s, err)
		s.Sleep(2 * time.Second)
	})
	want := "udpsmallfrom: no room for the address: <nil> true\n" +
		"udpsmallfrom: then \"kept\" from port 5555\n"
	require.Equal(t, strings.Repeat(want, 2), out)
}
