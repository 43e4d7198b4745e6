package simtest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/simtest"
)

// attrRecorder is a recorder that keeps the attributes it is given.
type attrRecorder struct {
	*recorder
	attrs []string
}

func (a *attrRecorder) Attr(key, value string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.attrs = append(a.attrs, key+"="+value)
}

// A seed that runs again, to show its report's window at the time its
// failure names or for the determinism check, tells the test nothing
// more through its S: no attribute, log line or late report twice, and
// no second line in the results or the assertion table.
// Only what the body says through the test's own T, which the Run cannot
// hold back, comes once for each run, and the report says the seed ran
// again.
func TestARunAgainTellsTheTestNothingMore(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []simtest.Option
		runs int32
	}{
		{"to show the window", nil, 2},
		{"under the determinism check", []simtest.Option{simtest.CheckDeterminism()}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir()) // the results and the report
			var runs atomic.Int32
			release := make(chan struct{})
			var late sync.WaitGroup
			ar := &attrRecorder{recorder: newRecorder("TestRunAgain")}
			runIn("TestRunAgain", func(*recorder) {
				simtest.Run(ar, func(s *simtest.S) {
					s.Attr("attr", "x")
					ar.Logf("through the test's own T")
					s.Logf("through the S")
					assertions.Always(s.Context(), true, "an assertion that holds")
					late.Add(1)
					go func() { // outlives the seed, as a goroutine of each run
						defer late.Done()
						<-release
						s.Logf("a late line")
						s.Errorf("a late error")
					}()
					checkAtEnd(&runs, func(s *simtest.S, at time.Time) { s.Errorf("check: %w", staleRead{at}) })(s)
				}, append([]simtest.Option{simtest.Seeds(1), simtest.ResultsFile("results/"), simtest.JSONReport("report/")}, tc.opts...)...)
			})
			close(release)
			late.Wait()
			out := ar.output()
			require.True(t, ar.failed, out)
			assert.Equal(t, tc.runs, runs.Load())
			assert.Contains(t, out, "the window is at 12.6s, the time the first failure names; the failure itself came at 30s\n"+ranAgain)
			assert.Equal(t, []string{"attr=x"}, ar.attrs, "the attribute, once")
			assert.Equal(t, 1, strings.Count(out, "through the S"), out)
			assert.Equal(t, 1, strings.Count(out, "a late line"), out)
			assert.Equal(t, 1, strings.Count(out, "a late error"), out)
			assert.Equal(t, int(tc.runs), strings.Count(out, "through the test's own T"), "once for each run: the Run cannot hold it back")

			results, err := os.ReadFile(filepath.Join("results", "simtest", "TestRunAgain.jsonl"))
			require.NoError(t, err)
			assert.Equal(t, 1, strings.Count(string(results), `"outcome":"fail"`), string(results))
			raw, err := os.ReadFile(filepath.Join("report", "simtest", "TestRunAgain.json"))
			require.NoError(t, err)
			var rep struct {
				Seeds      int `json:"seeds"`
				Assertions []struct {
					Message string `json:"message"`
					Calls   uint64 `json:"calls"`
				} `json:"assertions"`
			}
			require.NoError(t, json.Unmarshal(raw, &rep))
			assert.Equal(t, 1, rep.Seeds)
			for _, a := range rep.Assertions {
				if a.Message == "an assertion that holds" {
					assert.Equal(t, uint64(1), a.Calls, "the assertion counts once")
				}
			}
		})
	}
}

// An S kept past its body and used after the Run is the last run's, the
// run again's: what it is told still fails the test, once.
func TestAKeptSOfARunAgainStillSpeaks(t *testing.T) {
	var kept *simtest.S
	var runs atomic.Int32
	r := runIn("TestKeptAgain", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			kept = s
			checkAtEnd(&runs, func(s *simtest.S, at time.Time) { s.Errorf("check: %w", staleRead{at}) })(s)
		}, simtest.Seeds(1), simtest.KeepFailures(false))
		kept.Errorf("through a kept S")
	})
	out := r.output()
	assert.Equal(t, int32(2), runs.Load())
	assert.Equal(t, 1, strings.Count(out, "through a kept S"), out)
	assert.Contains(t, out, "after the seed ended")
}
