package wasmhost_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

// A name that no host of the simulation has fails at its lookup, with a
// "no such host" *net.DNSError as on Linux, and so does a dial of it; the
// names of the simulation's hosts resolve: the program's own, its peers',
// the driver's, and a host that native code runs on.
func TestUnknownHostNamesFailAtLookup(t *testing.T) {
	mod := guestModule(t)
	var out syncBuffer
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
