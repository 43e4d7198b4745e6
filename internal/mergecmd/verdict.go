package mergecmd

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/moonpool-go/moonpool/internal/plural"
	"github.com/moonpool-go/moonpool/simtest"
)

// verdict is the report's last line: how many tests were merged, and how
// many of them fail the merge and why, so that a log read from its end
// says at once what the sweep found.
func verdict(sw simtest.Sweep, strict bool) string {
	var seeds, failed, bad int
	counts := map[string]int{}
	var whys []string // the reasons, in the order the tests first give them
	for _, t := range sw.Tests {
		seeds, failed = seeds+t.Seeds, failed+t.Failed
		fails := failures(t, strict)
		if len(fails) > 0 {
			bad++
		}
		for _, why := range fails {
			if counts[why] == 0 {
				whys = append(whys, why)
			}
			counts[why]++
		}
	}
	tests := plural.Count(len(sw.Tests), "test")
	seedWords := plural.Count(seeds, "seed")
	if bad == 0 {
		return fmt.Sprintf("moonpool-merge: %s merged, all passed; %s, none failed", tests, seedWords)
	}
	for i, why := range whys {
		whys[i] = fmt.Sprintf("%d with %s", counts[why], why)
	}
	return fmt.Sprintf("moonpool-merge: %s merged, %d failed (%s); %s, %d failed", tests, bad, strings.Join(whys, ", "), seedWords, failed)
}

// builtApartStrict is the failure -strict makes of shards built
// differently.
const builtApartStrict = "shards built differently, under -strict"

// failures lists why t fails the merge: t.Failures(), and under -strict
// shards built differently.
func failures(t simtest.SweepTest, strict bool) []string {
	fails := t.Failures()
	if strict && t.BuiltApart != "" {
		fails = append(fails, builtApartStrict)
	}
	return fails
}

// The JUnit XML that CI systems read (GitLab, Jenkins, GitHub's test
// reporters): a testsuite per package and a testcase per test, as
// gotestsum writes go test's.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

// junitText is an element's text, as CDATA, which keeps the report's lines
// readable in the file.
type junitText struct {
	Text string `xml:",cdata"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",cdata"`
}

// junit is the merged sweep as JUnit XML: a testcase per test, whose
// time is the shards' wall added up. A test that fails the merge has a
// failure whose message says why, and where its seeds failed, and whose
// body starts with each place's first seed and replay line, then the
// first maxJUnitSeeds failing seeds, before the whole report, so that a
// CI view that cuts long text keeps them; a passing one has its report as
// its output.
func junit(sw simtest.Sweep, strict bool) ([]byte, error) {
	doc := junitSuites{}
	var walls []time.Duration // each suite's tests' walls added up
	for _, t := range sw.Tests {
		// Named by import path, as go test and gotestsum name a package,
		// so that a CI view takes a test here for the pull requests' one;
		// by directory for files written before the path was recorded.
		pkg := cmp.Or(t.ImportPath, t.Package)
		if len(doc.Suites) == 0 || doc.Suites[len(doc.Suites)-1].Name != pkg {
			doc.Suites = append(doc.Suites, junitSuite{Name: pkg})
			walls = append(walls, 0)
		}
		suite := &doc.Suites[len(doc.Suites)-1]
		walls[len(walls)-1] += t.Wall
		c := junitCase{Classname: pkg, Name: t.Test, Time: fmt.Sprintf("%.3f", t.Wall.Seconds())}
		if fails := failures(t, strict); len(fails) == 0 {
			c.SystemOut = &junitText{xmlChars(t.Report)}
		} else {
			var b strings.Builder
			writeGroups(&b, t)
			writeSeeds(&b, t)
			b.WriteString(t.Report)
			message := "failed: " + strings.Join(fails, ", ")
			if t.Failed > 0 {
				message = fmt.Sprintf("%d of %s failed", t.Failed, plural.Count(t.Seeds, "seed"))
				if kept := keptFailing(t); kept > 0 {
					message += fmt.Sprintf(", %d of them kept,", kept)
				}
				if len(t.Groups) > 0 {
					message += " " + groupsNamed(t.Groups)
				}
				if len(fails) > 1 {
					message += ", with " + strings.Join(fails[1:], ", ")
				}
			}
			c.Failure = &junitFailure{Message: xmlChars(message), Body: xmlChars(b.String())}
			suite.Failures++
			doc.Failures++
		}
		suite.Tests++
		doc.Tests++
		suite.Cases = append(suite.Cases, c)
	}
	for i, wall := range walls {
		doc.Suites[i].Time = fmt.Sprintf("%.3f", wall.Seconds())
	}
	out, err := xml.MarshalIndent(doc, "", "\t")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

// maxJUnitSeeds bounds the failing seeds a JUnit body lists before the
// report; the results files list every one.
const maxJUnitSeeds = 100

// maxNamedGroups bounds the groups of failures a JUnit message names.
const maxNamedGroups = 5

// keptFailing counts t's failing seeds that were kept under
// testdata/simtest: known failures.
func keptFailing(t simtest.SweepTest) int {
	n := 0
	for _, g := range t.Groups {
		n += g.Kept
	}
	return n
}

// groupsNamed names where t's seeds failed, for a failure's message:
// "in 2 places: wallet_test.go:66 (4001), wallet_test.go:68 (106)". A
// group is named by its call site, with its words when another group
// has the same site, or by its words when it has none.
func groupsNamed(groups []simtest.FailureGroup) string {
	sites := make(map[string]int)
	for _, g := range groups {
		sites[g.Site]++
	}
	names := make([]string, 0, min(len(groups), maxNamedGroups))
	for _, g := range groups[:min(len(groups), maxNamedGroups)] {
		name := g.Site
		if name == "" || sites[g.Site] > 1 {
			name = strings.TrimSpace(g.Site + " " + strconv.Quote(shortened(g.Shape, 60)))
		}
		names = append(names, fmt.Sprintf("%s (%d)", name, g.Seeds))
	}
	if more := len(groups) - len(names); more > 0 {
		names = append(names, fmt.Sprintf("and %s", plural.Count(more, "other")))
	}
	return fmt.Sprintf("%s: %s", where(groups), strings.Join(names, ", "))
}

// where counts groups as the report does: "in 2 places", or "of 3 kinds
// in 2 places" when some share a call site.
func where(groups []simtest.FailureGroup) string {
	sites := make(map[string]bool)
	for _, g := range groups {
		sites[cmp.Or(g.Site, "\x00"+g.Shape)] = true
	}
	if len(sites) < len(groups) {
		return fmt.Sprintf("of %d kinds in %s", len(groups), plural.Count(len(sites), "place"))
	}
	return "in " + plural.Count(len(groups), "place")
}

// shortened is s cut to at most n runes, with an ellipsis when cut.
func shortened(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// writeGroups writes, first in a failing test's JUnit body, where its
// seeds failed, most seeds first, each group with its first seed's
// failure and replay line: a view that cuts long text keeps them, and a
// rare bug's replay line is not left to the luck of the seeds listed.
func writeGroups(b *strings.Builder, t simtest.SweepTest) {
	if len(t.Groups) == 0 {
		return
	}
	fmt.Fprintf(b, "failing seeds: %d of %d, their first failures %s:\n", t.Failed, t.Seeds, where(t.Groups))
	for _, g := range t.Groups {
		fmt.Fprintf(b, "  %s\n    replay: %s\n", g, g.First.Replay)
	}
	b.WriteString("\n")
}

// writeSeeds writes the first maxJUnitSeeds of t's failing seeds, in the
// order of the sequence, each with its first failure and replay line,
// and a kept seed marked as the report marks it, so that triage tells a
// known failure from a new one.
func writeSeeds(b *strings.Builder, t simtest.SweepTest) {
	for _, s := range t.Failing[:min(len(t.Failing), maxJUnitSeeds)] {
		mark := ""
		switch {
		case s.Kept != "" && s.KeptMoved:
			mark = " (kept in testdata/simtest, failed on another execution than the one kept)"
		case s.Kept != "":
			mark = " (kept in testdata/simtest)"
		}
		fmt.Fprintf(b, "seed %d%s failed: %s\n  replay: %s\n", s.Seed, mark, s.FirstFailure, s.Replay)
		if s.ReplayCheck != "" {
			fmt.Fprintf(b, "  %s\n", s.ReplayCheck)
		}
	}
	if more := len(t.Failing) - maxJUnitSeeds; more > 0 {
		fmt.Fprintf(b, "... and %d more failing seeds: the results files list every one\n", more)
	}
	if len(t.Failing) > 0 {
		b.WriteString("\n")
	}
}

// xmlChars is s with each rune that XML 1.0 forbids, even in CDATA (a
// control character such as a coloured log's ESC, or NUL), written as
// its Go escape (\x1b), and each byte that is not UTF-8 as U+FFFD: the
// encoder leaves CDATA as it is, and one such rune makes the whole file
// one that CI cannot read.
func xmlChars(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return !xmlChar(r) }) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s { // a byte that is not UTF-8 comes as U+FFFD
		if xmlChar(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

// xmlChar reports whether XML 1.0 allows r in a document (its Char).
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
