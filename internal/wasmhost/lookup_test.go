package wasmhost_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/simtest"
)

// A name that no host of the simulation has fails at its lookup, with a
// "no such host" *net.DNSError as on Linux, and so does a dial of it; the
// names of the simulation's hosts resolve: the program's own, its peers',
// the driver's, and a host that native code runs on.
func TestUnknownHostNamesFailAtLookup(t *testing.T) {
	mod := guestModule(t)
	var out testenv.Buffer
	simtest.Run(t, func(s *simtest.S) {
		s.HostProviders("svc")
		s.Boot(simtest.Processes{Name: "peer", New: func() simtest.Process { return process(mod, nil, "nothing") }})
		s.Boot(simtest.Processes{Name: "l", New: func() simtest.Process {
			return process(mod, &out, "lookup=nosuch,nosuch.example.com,l-0,peer-0,svc,localhost")
		}})
		s.Sleep(5 * time.Second)
	}, simtest.Seeds(1), simtest.KeepFailures(false), simtest.Chaos(chaos.Off()))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Equal(t, []string{
		"lookup nosuch 0 lookup nosuch: no such host true",
		"dial nosuch true",
		"lookup nosuch.example.com 0 lookup nosuch.example.com: no such host true",
		"dial nosuch.example.com true",
		"lookup l-0 1 <nil> false",
		"dial l-0 false",
		"lookup peer-0 1 <nil> false",
		"dial peer-0 false",
		"lookup svc 1 <nil> false",
		"dial svc false",
		"lookup localhost 1 <nil> false",
		"dial localhost false",
	}, lines)
}

// A program sees the interfaces of a Linux machine: the loopback, with
// 127.0.0.1 and ::1, and eth0, with the address the host's name resolves
// to, which the program can dial. A server that listens on 0.0.0.0 lists
// them to find the address it tells its peers (NATS, memberlist).
func TestInterfacesHoldTheHostsAddress(t *testing.T) {
	mod := guestModule(t)
	var out testenv.Buffer
	simtest.Run(t, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "i", New: func() simtest.Process { return process(mod, &out, "interfaces=9000") }})
		s.Sleep(5 * time.Second)
	}, simtest.Seeds(1), simtest.KeepFailures(false), simtest.Chaos(chaos.Off()))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 10, out.String())
	self, ok := strings.CutPrefix(lines[7], "self [")
	require.True(t, ok, lines[7])
	self, _, _ = strings.Cut(self, "]")
	require.True(t, strings.HasPrefix(self, "10."), "the host's own address %s is in 10.0.0.0/8", self)
	require.Equal(t, []string{
		"interfaces 2 <nil>",
		"if 1 lo up|loopback|running 65536 0 [127.0.0.1/8 ::1/128] <nil>",
		"dial false <nil>",
		"dial false <nil>",
		"if 2 eth0 up|broadcast|multicast|running 1500 6 [" + self + "/8] <nil>",
		"dial true <nil>",
		"all [127.0.0.1/8 ::1/128 " + self + "/8] <nil>",
		"self [" + self + "] <nil>",
		"eth0 true <nil>",
		"index 7 route ip+net: no such network interface",
	}, lines)
}
