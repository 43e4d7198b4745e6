package simtest_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/simtest"
)

// The failure report and the summary are the text every user reads: these
// tests pin them, so that a change to them is a reviewed diff of the files
// under testdata/report. go test ./simtest -run TestReportGolden -update
// writes them anew. The bodies sit in this file, whose lines the reports
// name: an edit here may need -update too.

var update = flag.Bool("update", false, "write the golden files under testdata/report anew")

func TestReportGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		body func(s *simtest.S)
		opts []simtest.Option
	}{
		{"failing_seed", lostWrite, []simtest.Option{simtest.Replay(3)}},
		{"assertion_table", withAssertions, []simtest.Option{simtest.Seeds(5), simtest.BaseSeed(1)}},
		{"configuration_error", badConfig, []simtest.Option{simtest.Replay(1)}},
		{"many_seeds", briefSleep, []simtest.Option{simtest.Seeds(40), simtest.BaseSeed(1)}},
		{"many_seeds_keep_going", rareBug, []simtest.Option{simtest.Seeds(1000), simtest.BaseSeed(1), simtest.KeepGoing()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := simtest.Simulate(tc.body, append(tc.opts, simtest.ZeroWallClock())...)
			got := res.Report + "\n"
			path := filepath.Join("testdata", "report", tc.name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v; go test ./simtest -run TestReportGolden -update writes it", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("the report of %s changed (-%s +now); if the change is meant, run go test ./simtest -run TestReportGolden -update and review the diff:\n%s", tc.name, path, diff)
			}
			again := simtest.Simulate(tc.body, append(tc.opts, simtest.ZeroWallClock())...)
			if again.Report != res.Report {
				t.Errorf("the same Run gave two reports:\n%s", cmp.Diff(res.Report, again.Report))
			}
		})
	}
}

// lostWrite fails at 7.9 s, retries a refused connection all along, and
// runs on to 20 s.
func lostWrite(s *simtest.S) {
	log := s.Logger()
	s.Go("dialer", func(ctx context.Context) error {
		for s.Elapsed() < 20*time.Second {
			log.Warn("connect refused", "peer", "kv-2")
			s.Sleep(250 * time.Millisecond)
		}
		return nil
	})
	s.Sleep(7800 * time.Millisecond)
	log.Info("write acknowledged", "key", "k1")
	s.Logf("the write of k1 was acknowledged")
	s.Sleep(100 * time.Millisecond)
	s.Errorf("k1 is missing after the crash")
	s.Sleep(12 * time.Second)
	s.Errorf("k1 is still missing")
}

func withAssertions(s *simtest.S) {
	n := s.Providers().Random.IntN(10)
	assertions.Always(s.Context(), n < 10, "n is a digit")
	assertions.Sometimes(s.Context(), n > 5, "n is above five", "n", n)
	assertions.Reachable(s.Context(), "the body runs")
	s.Sleep(time.Duration(n) * time.Second)
}

func badConfig(s *simtest.S) {
	s.Boot(simtest.Processes{Name: "kv"})
}

func briefSleep(s *simtest.S) {
	s.Sleep(time.Duration(s.Providers().Random.IntN(1000)) * time.Millisecond)
}
