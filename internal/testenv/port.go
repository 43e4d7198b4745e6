package testenv

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// LoopbackAddrs returns n distinct 127.0.0.1 addresses whose ports were
// free a moment ago, for a test that starts processes told their
// addresses in advance.
//
// The ports lie below the system's range of ephemeral ports. A port picked
// by listening on ":0" comes from that range, and once the listener is
// closed, any outgoing connection on the machine (another test's dial) may
// take it as its source port before the process binds it. Where the range
// starts at 11000 or lower (some containers give "1024 65535"), nothing
// lies below it, and the ports are in 10000-32767, within the range: the
// race is then as rare as the machine's dials make it.
func LoopbackAddrs(t testing.TB, n int) []string {
	t.Helper()
	low := ephemeralLow()
	var addrs []string
	for try := 0; len(addrs) < n; try++ {
		if try == 100*n {
			t.Fatalf("found %d of %d free loopback ports in 10000-%d after %d tries", len(addrs), n, low-1, try)
		}
		port := 10000 + rand.IntN(low-10000)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		// Held until all are found, so that no two are the same.
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs
}

// ephemeralLow returns the first port of the ephemeral range: Linux's
// setting where it can be read, and otherwise 32768, below the range of
// macOS, Windows and the BSDs (49152).
func ephemeralLow() int {
	const fallback = 32768
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return fallback
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return fallback
	}
	low, err := strconv.Atoi(fields[0])
	if err != nil || low <= 11000 {
		return fallback
	}
	return low
}
