package mergecmd

import (
	"encoding/xml"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

// TestJUnitIsXMLWhateverTheReportHolds: a failure's message and a
// report may hold what XML forbids even in CDATA (a coloured log's ESC,
// NUL, BEL, a byte that is not UTF-8) and CDATA's own end; the file
// parses all the same, and shows each such rune by its escape.
func TestJUnitIsXMLWhateverTheReportHolds(t *testing.T) {
	odd := "bad \x1b[31mred\x1b[0m ]]> <&> \x00 \x07 \xff é"
	sw := simtest.Sweep{Tests: []simtest.SweepTest{
		{Package: "./p", Test: "TestFails", Seeds: 2, Failed: 1, Failing: []simtest.SeedResult{{Seed: 7, FirstFailure: odd, Replay: "go test -run '^TestFails$' ./p -simseed=7"}}, Report: "report: " + odd},
		{Package: "./p", Test: "TestPasses", Seeds: 2, Passed: 2, Report: "passed: " + odd},
	}}
	b, err := junit(sw, false)
	require.NoError(t, err)
	var doc struct {
		Suites []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Body string `xml:",chardata"`
				} `xml:"failure"`
				SystemOut string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(b, &doc), "%q", b)
	require.Len(t, doc.Suites, 1)
	require.Len(t, doc.Suites[0].Cases, 2)
	const shown = `bad \x1b[31mred\x1b[0m ]]> <&> \x00 \a ` + "\uFFFD é"
	require.NotNil(t, doc.Suites[0].Cases[0].Failure)
	assert.Contains(t, doc.Suites[0].Cases[0].Failure.Body, "seed 7 failed: "+shown+"\n")
	assert.Contains(t, doc.Suites[0].Cases[0].Failure.Body, "report: "+shown)
	assert.Equal(t, "passed: "+shown, doc.Suites[0].Cases[1].SystemOut)
}

// TestJUnitNamesPackagesAsGoTestDoes: suites and classnames are import
// paths, as go test's and gotestsum's JUnit name them, so that a CI view
// takes a merged test for the pull requests' one; a file written before
// the path was recorded gives the directory.
func TestJUnitNamesPackagesAsGoTestDoes(t *testing.T) {
	sw := simtest.Sweep{Tests: []simtest.SweepTest{
		{Package: "./kv", ImportPath: "example.com/m/kv", Test: "TestA", Seeds: 1, Passed: 1},
		{Package: "./kv", ImportPath: "example.com/m/kv", Test: "TestB", Seeds: 1, Passed: 1},
		{Package: "./old", Test: "TestC", Seeds: 1, Passed: 1},
	}}
	b, err := junit(sw, false)
	require.NoError(t, err)
	var doc struct {
		Suites []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Classname string `xml:"classname,attr"`
				Name      string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(b, &doc), "%s", b)
	require.Len(t, doc.Suites, 2, "%s", b)
	assert.Equal(t, "example.com/m/kv", doc.Suites[0].Name)
	require.Len(t, doc.Suites[0].Cases, 2)
	for _, c := range doc.Suites[0].Cases {
		assert.Equal(t, "example.com/m/kv", c.Classname)
	}
	assert.Equal(t, "./old", doc.Suites[1].Name)
	assert.Equal(t, "./old", doc.Suites[1].Cases[0].Classname)
}

// TestJUnitFailureMessageSaysWhy: a test's failure message says why it
// fails the merge, in SweepTest.Failures' words, whether or not a seed
// failed.
func TestJUnitFailureMessageSaysWhy(t *testing.T) {
	for _, tc := range []struct {
		test simtest.SweepTest
		want string
	}{
		{simtest.SweepTest{Seeds: 10, Failed: 3}, "3 of 10 seeds failed"},
		{simtest.SweepTest{Seeds: 10, Failed: 1, Gaps: 2, Missing: []int{1}}, "1 of 10 seeds failed, with coverage gaps, missing shards"},
		{simtest.SweepTest{Seeds: 10, Passed: 10, Missing: []int{1}}, "failed: missing shards"},
		{simtest.SweepTest{Seeds: 10, Passed: 10, AssertionFailures: 1, TimedOut: []int{0}}, "failed: failed assertions, shards stopped at go test's -timeout"},
	} {
		tc.test.Package, tc.test.Test = "./p", "TestX"
		b, err := junit(simtest.Sweep{Tests: []simtest.SweepTest{tc.test}}, false)
		require.NoError(t, err)
		var c struct {
			Suites []struct {
				Cases []struct {
					Failure *struct {
						Message string `xml:"message,attr"`
					} `xml:"failure"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		require.NoError(t, xml.Unmarshal(b, &c), "%s", b)
		require.NotNil(t, c.Suites[0].Cases[0].Failure, "%s", b)
		assert.Equal(t, tc.want, c.Suites[0].Cases[0].Failure.Message)
	}
}

// TestJUnitTellsTheBugsApart: a failing test's message names where its
// seeds failed, most first; its body starts with a group's replay line
// each, then lists at most maxJUnitSeeds failing seeds, a kept one marked
// as the report marks it, and says how many more the results files hold.
func TestJUnitTellsTheBugsApart(t *testing.T) {
	kept := simtest.SeedResult{Seed: 7, Outcome: simtest.OutcomeFail, FirstFailure: "1s driver: w_test.go:68: payment lost",
		Replay: "go test -simseed=7", Kept: "testdata/simtest/TestW/7", Place: -1}
	moved := simtest.SeedResult{Seed: 8, Outcome: simtest.OutcomeFail, FirstFailure: "1s driver: w_test.go:68: payment lost",
		Replay: "go test -simseed=8", Kept: "testdata/simtest/TestW/8", KeptMoved: true, Place: -1}
	tc := simtest.SweepTest{Package: "./w", Test: "TestW", Seeds: 1000, Failed: 150, Failing: []simtest.SeedResult{kept, moved}}
	for i := range 148 {
		tc.Failing = append(tc.Failing, simtest.SeedResult{Seed: uint64(100 + i), Outcome: simtest.OutcomeFail,
			FirstFailure: "1s driver: w_test.go:66: charged twice", Replay: fmt.Sprintf("go test -simseed=%d", 100+i), Place: int64(i)})
	}
	tc.Groups = []simtest.FailureGroup{
		{Site: "w_test.go:66", Shape: "charged twice", Seeds: 148, First: tc.Failing[2]},
		{Site: "w_test.go:68", Shape: "payment lost", Seeds: 2, Kept: 2, First: kept, KeptFile: kept.Kept},
	}
	b, err := junit(simtest.Sweep{Tests: []simtest.SweepTest{tc}}, false)
	require.NoError(t, err)
	var c struct {
		Suites []struct {
			Cases []struct {
				Failure *struct {
					Message string `xml:"message,attr"`
					Body    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(b, &c), "%s", b)
	f := c.Suites[0].Cases[0].Failure
	require.NotNil(t, f)
	assert.Equal(t, "150 of 1000 seeds failed, 2 of them kept, in 2 places: w_test.go:66 (148), w_test.go:68 (2)", f.Message)
	assert.True(t, strings.HasPrefix(f.Body, `failing seeds: 150 of 1000, their first failures in 2 places:
  148 seeds like seed 100: 1s driver: w_test.go:66: charged twice
    replay: go test -simseed=100
  2 seeds like seed 7 (known: kept in testdata/simtest/TestW/7): 1s driver: w_test.go:68: payment lost
    replay: go test -simseed=7

seed 7 (kept in testdata/simtest) failed: 1s driver: w_test.go:68: payment lost
  replay: go test -simseed=7
seed 8 (kept in testdata/simtest, failed on another execution than the one kept) failed: 1s driver: w_test.go:68: payment lost
  replay: go test -simseed=8
seed 100 failed: `), f.Body)
	assert.Equal(t, 100, strings.Count(f.Body, "\n  replay: go test -simseed="), "at most 100 seeds listed")
	assert.Contains(t, f.Body, "\n... and 50 more failing seeds: the results files list every one\n")

	// Groups at one site are named by their words too.
	tc.Groups[1].Site, tc.Groups[1].KeptFile, tc.Groups[1].Kept = "w_test.go:66", "", 0
	tc.Failing[0].Kept, tc.Failing[1].Kept = "", ""
	b, err = junit(simtest.Sweep{Tests: []simtest.SweepTest{tc}}, false)
	require.NoError(t, err)
	c.Suites = nil
	require.NoError(t, xml.Unmarshal(b, &c), "%s", b)
	assert.Equal(t, `150 of 1000 seeds failed of 2 kinds in 1 place: w_test.go:66 "charged twice" (148), w_test.go:66 "payment lost" (2)`,
		c.Suites[0].Cases[0].Failure.Message)
}
