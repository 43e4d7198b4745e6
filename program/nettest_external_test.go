package program_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/program"
	"github.com/moonpool-go/moonpool/simtest"
)

// The subtests of golang.org/x/net/nettest's TestConn, the conformance
// suite of net.Conn.
var nettestSubtests = []string{
	"BasicIO", "PingPong", "RacyRead", "RacyWrite", "ReadTimeout", "WriteTimeout",
	"PastTimeout", "PresentTimeout", "FutureTimeout", "CloseTimeout", "ConcurrentMethods",
}

// x/net's nettest.TestConn, run unchanged as a program (testdata/nettest,
// a module of its own, so that the library does not require x/net) over
// TCP on 127.0.0.1, passes on the simulated network with latency. It
// cannot run in-process: its goroutines are no tasks of the simulation,
// and its deadlines come from the wall clock (time.Now), both of which a
// simulation refuses. Its build is cached, as every program's is, so a
// run after the first costs about a second.
func TestNettestConnPassesAsAProgram(t *testing.T) {
	prog, err := program.Build(context.Background(), program.Config{Dir: "testdata/nettest", Package: "."})
	require.NoError(t, err)
	defer prog.Close()
	var out testenv.Buffer
	var joined error
	simtest.Run(t, func(s *simtest.S) {
		proc := prog.Process(program.Output(&out, &out))
		c := s.Boot(simtest.Processes{Name: "nettest", Count: 1, Protected: true, New: func() simtest.Process { return proc }})
		ctx, cancel := s.Providers().Time.WithTimeout(s.Context(), time.Minute)
		defer cancel()
		joined = c.Join(ctx, "nettest-0")
	}, simtest.Seeds(1), simtest.Network(chaos.NoNetworkFaults()))
	text := out.String()
	require.NoError(t, joined, text)
	for _, name := range nettestSubtests {
		assert.Contains(t, text, "--- PASS: TestConn/"+name+" ", text)
	}
	assert.NotContains(t, text, "FAIL")
	assert.Contains(t, strings.Split(strings.TrimSpace(text), "\n"), "PASS")
}
