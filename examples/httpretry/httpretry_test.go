package httpretry_test

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/program"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

var planted = flag.Bool("planted", false, "run the ledger with its planted bug: a deposit's key recorded only once it is journaled")

// programs are the two commands, built for wasip1 once per test binary.
var programs struct {
	once               sync.Once
	ledgerd, depositor *program.Program
	err                error
}

func build(t testing.TB) (ledgerd, depositor *program.Program) {
	t.Helper()
	programs.once.Do(func() {
		ctx := context.Background()
		programs.ledgerd, programs.err = program.Build(ctx, program.Config{Package: "./cmd/ledgerd"})
		if programs.err == nil {
			programs.depositor, programs.err = program.Build(ctx, program.Config{Package: "./cmd/depositor"})
		}
	})
	require.NoError(t, programs.err)
	return programs.ledgerd, programs.depositor
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	for _, p := range []*program.Program{programs.ledgerd, programs.depositor} {
		if p != nil {
			p.Close()
		}
	}
	os.Exit(code)
}

// output collects a group of processes' standard output.
type output struct{ testenv.Buffer }

func (o *output) lines(prefix string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(o.String()))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), prefix) {
			out = append(out, sc.Text())
		}
	}
	return out
}

// TestHTTPRetry runs one ledgerd and two depositors, unmodified programs
// built for wasip1, under default chaos: latency, partitions, lost and
// reset connections, slow and failing disks, crashes and reboots, buggify.
// The ledger asserts that a deposit is applied at most once; at the end
// the test asks the ledger how often it applied each deposit.
func TestHTTPRetry(t *testing.T) {
	ledgerd, depositor := build(t)
	simtest.Run(t, func(s *simtest.S) {
		args := []string{"-listen", ":8080", "-data", "/data"}
		if *planted {
			args = append(args, "-planted")
		}
		ledger := ledgerd.Process(program.Args(func(providers.Peer) []string { return args }))
		var out output
		dep := depositor.Process(
			program.Args(func(self providers.Peer) []string {
				return []string{"-server", "http://ledger-0:8080", "-account", self.Name, "-n", "10"}
			}),
			program.Output(&out, nil),
		)
		s.Boot(
			simtest.Processes{Name: "ledger", New: func() simtest.Process { return ledger }},
			simtest.Processes{Name: "depositor", Count: 2, New: func() simtest.Process { return dep }},
		)
		for range 120 {
			if len(out.lines("done")) >= 2 {
				break
			}
			s.Sleep(500 * time.Millisecond)
		}
		s.Logf("%d deposits answered, %d given up", len(out.lines("ok ")), len(out.lines("failed ")))
		applied, err := appliedByLedger(s)
		if err != nil {
			s.Logf("the ledger did not answer at the end: %v", err)
			return
		}
		for key, n := range applied {
			if n > 1 {
				s.Errorf("deposit %s was applied %d times", key, n)
			}
		}
	}, simtest.KeepFailures(!*planted))
}

// appliedByLedger asks the ledger, over the simulated network, how many
// times it applied each deposit, trying for a few simulated seconds (it may
// be rebooting).
func appliedByLedger(s *simtest.S) (map[string]int, error) {
	var err error
	for range 20 {
		var applied map[string]int
		if applied, err = getApplied(s); err == nil {
			return applied, nil
		}
		s.Sleep(500 * time.Millisecond)
	}
	return nil, err
}

func getApplied(s *simtest.S) (map[string]int, error) {
	ctx, cancel := s.Providers().Time.WithTimeout(s.Context(), time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://ledger-0:8080/applied", nil)
	if err != nil {
		return nil, err
	}
	resp, err := simhttp.NewClient(s.Providers()).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /applied: %s", resp.Status)
	}
	var applied map[string]int
	return applied, json.NewDecoder(resp.Body).Decode(&applied)
}
