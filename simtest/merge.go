package simtest

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/internal/plural"
	"github.com/moonpool-go/moonpool/internal/simctx"
	"github.com/moonpool-go/moonpool/internal/tally"
)

// A Sweep is the results of a sweep's shards merged: for each test, the
// report one process running every shard's seeds would have written.
type Sweep struct {
	Tests []SweepTest // in the order of their packages and names
}

// SweepTest is one test's merged results.
type SweepTest struct {
	Package string // the package's directory in its module, such as ./examples/kv
	// ImportPath is the package's import path, as go test names it
	// (github.com/moonpool-go/moonpool/examples/kv); "" when the files do
	// not hold it (written before it was recorded).
	ImportPath string
	Test       string
	// Files is the number of results files merged; Shards the number of
	// shards the seeds were split into, and Missing those of them that
	// no file holds.
	Files, Shards int
	Missing       []int
	BaseSeed      uint64
	// Cut is the results files of the test's shards that end before
	// their summary line: their Runs were killed (out of memory, a
	// cancelled job, its time limit). Their shards are among Missing.
	Cut []CutFile
	// TimedOut is the shards that stopped short of their seeds before
	// go test's -timeout: the sweep ran only the seeds they reached.
	TimedOut []int
	// WallClock are the shards' failures of the test beside its seeds,
	// each with its shard: code that kept the wall clock, goroutines that
	// outlived a shard's Run or waits in time.Sleep, fails the merge as
	// it failed the Run, though the seeds passed.
	WallClock []string
	// NoChaos is the failure of a test none of whose seeds failed, but
	// whose every seed's chaos phase of Cluster.Run lasted no time and
	// met no fault, counted over the shards, as one Run of them all
	// fails it; empty otherwise.
	NoChaos string
	// BuiltApart is the report's warning that the shards' test binaries
	// were built differently or ran other source, whose seeds may have
	// run other code; empty when they agree or say nothing. It fails no
	// test: moonpool-merge -strict fails the merge for it.
	BuiltApart string

	Seeds, Passed, Failed int
	// Planned is how many seeds the shards set out to run, when some
	// stopped at their first failing seed before the rest (Seeds of
	// Planned ran), as [Result.Planned] is a Run's: the shards' own counts
	// added up, each shard's seeds for one that ran them all. It is 0 when
	// the shards ran what they set out to, and when a shard stopped short
	// of a count it did not know (one that a budget ends, -simfor or
	// -simplateau).
	Planned int
	// Skipped counts the seeds that skipped their shard's test (S.Skip):
	// neither passed nor failed.
	Skipped int
	// Failing is every failing seed, in the order of the sequence, with
	// its first failure and replay line.
	Failing []SeedResult
	// Groups sorts the failing seeds by where they failed and how
	// ([FailureGroup]), most seeds first, as the report lists them when
	// there are several: a failure rate alone does not tell one bug from
	// two.
	Groups []FailureGroup
	// AssertionFailures and Gaps count the merged assertion table's
	// failed assertions, and its gaps in the test's own module (unless
	// the Runs allowed gaps).
	AssertionFailures, Gaps int
	// Wall is the shards' wall time added up: what the sweep cost.
	Wall time.Duration
	// Report is the merged report: the summary a Run logs, with its
	// assertion table, then every failing seed with its replay line and
	// the gaps in assertion coverage.
	Report string
}

// OK reports whether every seed of every test passed, with no failed
// assertion, no gap, no missing shard, no file cut off and no shard
// stopped at go test's -timeout.
func (s Sweep) OK() bool {
	for _, t := range s.Tests {
		if !t.OK() {
			return false
		}
	}
	return true
}

// OK reports whether every seed passed, with no failed assertion, no gap,
// no missing shard, no file cut off and no shard stopped at go test's
// -timeout: whether [SweepTest.Failures] is empty.
func (t SweepTest) OK() bool {
	return len(t.Failures()) == 0
}

// Failures lists why the test fails the merge, in this order: "failing
// seeds", "failed assertions", "coverage gaps", "missing shards", "files
// cut off", "shards stopped at go test's -timeout", "code that keeps the
// wall clock" and "chaos phases of no time"; none when it passes.
func (t SweepTest) Failures() []string {
	var out []string
	for _, f := range []struct {
		bad bool
		why string
	}{
		{t.Failed > 0, "failing seeds"},
		{t.AssertionFailures > 0, "failed assertions"},
		{t.Gaps > 0, "coverage gaps"},
		{len(t.Missing) > 0, "missing shards"},
		{len(t.Cut) > 0, "files cut off"},
		{len(t.TimedOut) > 0, "shards stopped at go test's -timeout"},
		{len(t.WallClock) > 0, "code that keeps the wall clock"},
		{t.NoChaos != "", "chaos phases of no time"},
	} {
		if f.bad {
			out = append(out, f.why)
		}
	}
	return out
}

// A CutFile is a results file that ends before its summary line, as a
// Run killed before it ended leaves it: often in the middle of a line.
// A merge counts none of its seeds, since without its summary nothing
// says which sweep they belong to, nor what its assertions saw, and
// lists its failing seeds, whose replay lines hold all the same.
type CutFile struct {
	Path string
	// Line is the line the file is cut at, or the last line it holds
	// whole, when it ends at the end of a line.
	Line int
	// MidLine says the file ends in the middle of line Line.
	MidLine bool
	// Shard and Shards are the shard the file's name says it is (its
	// .shard-I-of-N.jsonl); Shards is 0 when the name does not say.
	Shard, Shards int
	// Seeds is the number of seeds the file holds whole; Failing the
	// failing ones among them, in the order of the sequence.
	Seeds   int
	Failing []SeedResult
}

// String returns the tests' reports, one after the other.
func (s Sweep) String() string {
	reports := make([]string, len(s.Tests))
	for i, t := range s.Tests {
		reports[i] = t.Report
	}
	return strings.Join(reports, "\n\n")
}

// MergeResults reads the results files of a sweep's shards ([ResultsFile],
// -simresults, with [Shard] or -simshard) and merges them, test by test,
// into the report one Run of all their seeds would have made: the same
// seeds, passed and failed, trace hash, first and last seeds, failing
// seeds and assertion table. A path that names a directory stands for
// every .jsonl file below it but the timelines ([TimelineFile],
// -simtimeline) written there too.
//
// The shards of a test must agree on their base seed, number of shards,
// count of seeds for the whole sweep and flags of the test's own (those
// their replay lines repeat), no shard or file may come twice (but the
// file of a Run given [Replay], which every shard writes the same, is
// taken once), and every file must be of
// this version's format (its summary's format_version); a shard with no
// file is reported as missing. A file that ends before its summary line,
// cut off as a killed Run leaves it, is no error: its shard is missing,
// none of its seeds count, and the report names the file, the line it
// ends at and its failing seeds ([CutFile]). A shard that stopped at go
// test's -timeout is reported too ([SweepTest.TimedOut]); both make the
// Sweep not OK. Shards whose test binaries were built differently (another
// Go, another version of moonpool, another hash of the source found in
// the test package's module) merge with a warning in the report. Exploring shards ([Explore]) are
// summed, not replayed: each explored on its own. As a Run that stopped at its first failure reports
// no gaps in assertion coverage, a merge with such a shard (one run
// without [KeepGoing]) reports none.
func MergeResults(paths ...string) (Sweep, error) {
	if len(paths) == 0 {
		return Sweep{}, errors.New("simtest.MergeResults: no results files; name the -simresults files (or directories) of the shards to merge")
	}
	var files []string
	// fromDir marks the files found in a directory, not named: a timeline
	// among them (-simtimeline written beside the results) is passed over.
	fromDir := make(map[string]bool)
	// A file named twice, by a directory and by itself, or by two
	// directories, would read as a shard twice: say which it is.
	namedBy := make(map[string]string)
	add := func(file, arg string) error {
		abs, err := filepath.Abs(file)
		if err != nil {
			return fmt.Errorf("simtest: merging results: %w", err)
		}
		if by, ok := namedBy[abs]; ok {
			return fmt.Errorf("simtest: merging results: %s is given twice, %s; name each file or directory once", file, givenBy(file, by, arg))
		}
		namedBy[abs] = arg
		files = append(files, file)
		return nil
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return Sweep{}, fmt.Errorf("simtest: merging results: %w", err)
		}
		if !st.IsDir() {
			if err := add(p, p); err != nil {
				return Sweep{}, err
			}
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return fmt.Errorf("simtest: merging results: %w", err)
			case !d.IsDir() && strings.HasSuffix(path, ".jsonl"):
				fromDir[path] = true
				return add(path, p)
			}
			return nil
		})
		if err != nil {
			return Sweep{}, err
		}
	}
	if len(files) == 0 {
		return Sweep{}, fmt.Errorf("simtest: merging results: no .jsonl file in %s; name the directories the shards wrote their -simresults to", strings.Join(paths, ", "))
	}
	type key struct{ pkg, test string }
	groups := make(map[key][]*shardFile)
	// named finds a test by where its files are and what they are
	// called, for the files cut off, which do not say.
	named := make(map[fileStem]key)
	var cut []CutFile
	for _, f := range files {
		sf, err := readShardFile(f)
		if errors.Is(err, errTimelineFile) && fromDir[f] {
			continue
		}
		if err != nil {
			return Sweep{}, err
		}
		if sf.cut != nil {
			cut = append(cut, *sf.cut)
			continue
		}
		k := key{sf.sum.Package, sf.sum.Test}
		groups[k] = append(groups[k], sf)
		named[stemOf(f)] = k
	}
	cutOf := make(map[key][]CutFile)
	for _, c := range cut {
		stem := stemOf(c.Path)
		k, ok := named[stem]
		if !ok {
			// No shard of its test ended: the file is a test of its own,
			// named as its file is.
			k = key{"", stem.name}
		}
		cutOf[k] = append(cutOf[k], c)
	}
	if len(groups) == 0 && len(cut) == 0 {
		return Sweep{}, fmt.Errorf("simtest: merging results: no results file in %s, only timelines (-simtimeline); name the directories the shards wrote their -simresults to", strings.Join(paths, ", "))
	}
	keys := slices.Collect(maps.Keys(groups))
	for k := range cutOf {
		if groups[k] == nil {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b key) int { return cmp.Or(strings.Compare(a.pkg, b.pkg), strings.Compare(a.test, b.test)) })
	var sw Sweep
	for _, k := range keys {
		var t SweepTest
		if files := groups[k]; files != nil {
			var err error
			if t, err = mergeTest(files, cutOf[k]); err != nil {
				return Sweep{}, err
			}
		} else {
			t = cutTest(k.test, cutOf[k])
		}
		sw.Tests = append(sw.Tests, t)
	}
	return sw, nil
}

// fileStem is where a results file is and the test it is named after,
// without its shard.
type fileStem struct{ dir, name string }

// shardName matches a shard's results file name (shardSuffix).
var shardName = regexp.MustCompile(`^(.*)\.shard-([0-9]+)-of-([0-9]+)\.jsonl$`)

func stemOf(path string) fileStem {
	base := filepath.Base(path)
	if m := shardName.FindStringSubmatch(base); m != nil {
		base = m[1]
	} else {
		base = strings.TrimSuffix(base, ".jsonl")
	}
	return fileStem{filepath.Dir(path), base}
}

// shardNamed is the shard a results file's name says it is: 0 of 0 when
// it does not say.
func shardNamed(path string) (shard, shards int) {
	m := shardName.FindStringSubmatch(filepath.Base(path))
	if m == nil {
		return 0, 0
	}
	shard, err1 := strconv.Atoi(m[2])
	shards, err2 := strconv.Atoi(m[3])
	if err1 != nil || err2 != nil || shard >= shards {
		return 0, 0
	}
	return shard, shards
}

// cutTest is the test of results files cut off, none of whose shards
// ended: only the files' names say which test they are.
func cutTest(name string, cut []CutFile) SweepTest {
	t := SweepTest{Test: name, Shards: cut[0].Shards, Cut: cut}
	seen := make(map[int]bool)
	for _, c := range cut {
		if c.Shards == t.Shards {
			seen[c.Shard] = true
		}
	}
	for i := range t.Shards {
		if !seen[i] {
			t.Missing = append(t.Missing, i)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "=== %s: no results file of it ended, %s cut off\n", name, plural.Count(len(cut), "file"))
	if len(t.Missing) > 0 {
		fmt.Fprintf(&b, "simtest: missing shards: %v of %d; their seeds are not in this report: run them again\n", t.Missing, t.Shards)
	}
	b.WriteString(cutLines(cut))
	t.Report = strings.TrimSuffix(b.String(), "\n")
	return t
}

// cutLines tells of the files cut off, each with its failing seeds.
func cutLines(cut []CutFile) string {
	var b strings.Builder
	for _, c := range cut {
		which := "a results file"
		if c.Shards > 0 {
			which = fmt.Sprintf("shard %d of %d", c.Shard, c.Shards)
		}
		where := fmt.Sprintf("ends in the middle of line %d", c.Line)
		switch {
		case c.Line == 0:
			where = "is empty"
		case !c.MidLine:
			where = fmt.Sprintf("ends after line %d, before its summary line", c.Line)
		}
		fmt.Fprintf(&b, "simtest: %s was cut off: %s %s, as a Run killed before it ends leaves it (out of memory, a cancelled job, the job's time limit), or a version before summary lines; "+
			"its %s are not counted here: run the shard again, with a go test -timeout under the job's limit\n", which, c.Path, where, plural.Count(c.Seeds, "complete seed"))
		if len(c.Failing) == 0 {
			continue
		}
		fmt.Fprintf(&b, "    failing seeds in it: %d, each with its first failure and replay line:", len(c.Failing))
		writeFailing(&b, c.Failing, len(c.Failing), "the file lists every one")
		b.WriteString("\n")
	}
	return b.String()
}

// givenBy says how a file came to be named twice, by the arguments a
// and b: itself or a directory above it.
func givenBy(file, a, b string) string {
	by := func(arg string) string {
		if arg == file {
			return "by itself"
		}
		return "in " + arg
	}
	if a == b {
		return by(a) + " twice"
	}
	return by(a) + " and " + by(b)
}

// shardFile is one results file: its seeds, compactly, and its summary;
// or, for a file that ends before its summary, what it holds (cut).
type shardFile struct {
	path    string
	seeds   []seedFigures
	failing []SeedResult
	sum     *jsonReport
	cut     *CutFile
}

// seedFigures is what a merge keeps of a seed that passed: what its
// report line and the Run's figures need.
type seedFigures struct {
	place         int64
	seed, trace   uint64
	sim           time.Duration
	steps, events uint64
	outcome       string
	recipe        string
	conns         []NotedHost // the hosts its connections line notes
}

// jsonLine is a line of a results file: a seed, or the summary.
type jsonLine struct {
	jsonSeed
	Summary *jsonReport `json:"summary"`
}

func readShardFile(path string) (*shardFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("simtest: merging results: %w", err)
	}
	defer f.Close()
	sf := &shardFile{path: path}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20) // a summary with a long assertion table is one line
	n := 0
	for sc.Scan() {
		n++
		if sf.sum != nil {
			return nil, fmt.Errorf("simtest: merging results: %s:%d: a line after the summary; a results file ends with its summary line", path, n)
		}
		var l jsonLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			if cutLine(sc.Bytes()) && !sc.Scan() && sc.Err() == nil && !endsLine(f) {
				// The last line, cut off in its middle.
				return sf.cutAt(n, true), nil
			}
			return nil, fmt.Errorf("simtest: merging results: %s:%d: %w; is it a -simresults file?", path, n, err)
		}
		if n == 1 && isTimelineLine(sc.Bytes()) {
			return nil, fmt.Errorf("simtest: merging results: %s is a seed's timeline (-simtimeline, TimelineFile), not a results file (-simresults); leave it out: %w", path, errTimelineFile)
		}
		if l.Summary != nil {
			sf.sum = l.Summary
			continue
		}
		var trace uint64
		if _, err := fmt.Sscanf(l.Trace, "%x", &trace); err != nil || l.Outcome == "" {
			return nil, fmt.Errorf("simtest: merging results: %s:%d: not a seed's line (no trace or outcome); is it a -simresults file?", path, n)
		}
		sf.seeds = append(sf.seeds, seedFigures{place: l.Place, seed: l.Seed, trace: trace, sim: time.Duration(l.SimNS),
			steps: l.Steps, events: l.Events, outcome: l.Outcome, recipe: l.Recipe, conns: hostsFromJSON(l.Conns)})
		if l.Outcome == OutcomeFail {
			// The group as this merge makes it, whatever the file says.
			at, shape := failureShape(l.FirstFailure)
			sf.failing = append(sf.failing, SeedResult{Seed: l.Seed, Trace: trace, Outcome: l.Outcome, SimTime: time.Duration(l.SimNS),
				Steps: l.Steps, Events: l.Events, FirstFailure: l.FirstFailure, FailedAt: at, FailureShape: shape, Place: l.Place, Replay: l.Replay, ReplayCheck: l.ReplayCheck, Recipe: l.Recipe, Kept: l.Kept, KeptMoved: l.KeptMoved, Alone: l.Alone.fromJSON(), Faults: l.Faults, Conns: hostsFromJSON(l.Conns)})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("simtest: merging results: %s: %w", path, err)
	}
	if sf.sum == nil {
		return sf.cutAt(n, false), nil
	}
	if v := sf.sum.FormatVersion; v != resultsFormat {
		written := fmt.Sprintf("of format %d", v)
		if v == 0 {
			written = "with no format version (written before moonpool versioned its results, whose seeds may merge out of order)"
		}
		return nil, fmt.Errorf("simtest: merging results: %s is a results file %s, and this merge reads format %d: run the shard again with this version of moonpool, or merge with the version that wrote it", path, written, resultsFormat)
	}
	if a := sf.sum.Alone; a != nil {
		// Written in the summary, after the seed's line: under the seed
		// again, as the JSON report has it.
		for i := range sf.failing {
			if sf.failing[i].Seed == a.Seed && sf.failing[i].Alone == nil {
				sf.failing[i].Alone = a.fromJSON()
				break
			}
		}
	}
	for _, a := range sf.sum.Assertions {
		if kindNamed(a.Kind) == 0 {
			return nil, fmt.Errorf("simtest: merging results: %s has an assertion of kind %q (%q), which this merge does not know: the file was written by another version of moonpool; merge with the version the shards ran", path, a.Kind, a.Message)
		}
	}
	if f := sf.sum.Faults; f != nil {
		for _, name := range slices.Sorted(maps.Keys(f.Kinds)) {
			if faultNamed(name) == notAFault {
				return nil, fmt.Errorf("simtest: merging results: %s counts faults of kind %q, which this merge does not know: the file was written by another version of moonpool; merge with the version the shards ran", path, name)
			}
		}
	}
	return sf, nil
}

// cutAt makes sf a file cut off at line n: in its middle, or after it.
func (sf *shardFile) cutAt(n int, midLine bool) *shardFile {
	c := &CutFile{Path: sf.path, Line: n, MidLine: midLine, Seeds: len(sf.seeds), Failing: sf.failing}
	c.Shard, c.Shards = shardNamed(sf.path)
	slices.SortFunc(c.Failing, func(a, b SeedResult) int { return cmp.Compare(a.Place, b.Place) })
	return &shardFile{path: sf.path, cut: c}
}

// cutLine reports whether line may be the start of a results file's
// line, a seed's or the summary, cut off.
func cutLine(line []byte) bool {
	for _, start := range []string{`{"seed":`, `{"summary":`} {
		if bytes.HasPrefix(line, []byte(start)) || bytes.HasPrefix([]byte(start), line) {
			return true
		}
	}
	return false
}

// endsLine reports whether f's last byte ends a line.
func endsLine(f *os.File) bool {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return false
	}
	var last [1]byte
	_, err = f.ReadAt(last[:], st.Size()-1)
	return err == nil && last[0] == '\n'
}

// errTimelineFile is what reading a timeline as a results file returns:
// a merge of a directory passes over it.
var errTimelineFile = errors.New("a timeline is no shard's results")

// isTimelineLine reports a line of a timeline file (writeTimeline): an
// entry with its simulated time and level, and no seed's outcome.
func isTimelineLine(line []byte) bool {
	var l struct {
		AtNS    *int64  `json:"at_ns"`
		Level   *string `json:"level"`
		Outcome *string `json:"outcome"`
		Summary any     `json:"summary"`
	}
	return json.Unmarshal(line, &l) == nil && l.AtNS != nil && l.Level != nil && l.Outcome == nil && l.Summary == nil
}

// mergeTest merges one test's shard files, and tells of its files cut
// off.
func mergeTest(files []*shardFile, cutOff []CutFile) (SweepTest, error) {
	files = dropReplayCopies(files)
	first := files[0].sum
	t := SweepTest{Package: first.Package, ImportPath: first.ImportPath, Test: first.Test, Files: len(files), Shards: max(first.Shards, 1), BaseSeed: first.BaseSeed, Cut: cutOff}
	seen := make(map[int]string)
	for _, f := range files {
		s := f.sum
		switch {
		case max(s.Shards, 1) != t.Shards:
			return t, fmt.Errorf("simtest: merging results of %s: %s is shard %d of %d, and %s of %d shards; merge the files of one sweep", t.Test, f.path, s.Shard, max(s.Shards, 1), files[0].path, t.Shards)
		case s.BaseSeed != t.BaseSeed:
			return t, fmt.Errorf("simtest: merging results of %s: %s has base seed %d, and %s %d; the shards of a sweep must draw one sequence of seeds (not -simfresh): give them all one base seed", t.Test, f.path, s.BaseSeed, files[0].path, t.BaseSeed)
		case seen[s.Shard] != "":
			return t, fmt.Errorf("simtest: merging results of %s: %s and %s are both shard %d of %d; merge each shard once", t.Test, seen[s.Shard], f.path, s.Shard, t.Shards)
		}
		if err := agree(t.Test, files[0], f); err != nil {
			return t, err
		}
		seen[s.Shard] = f.path
	}
	for i := range t.Shards {
		if seen[i] == "" {
			t.Missing = append(t.Missing, i)
		}
	}
	// The seeds, in the order of the sequence, through the Run's report.
	n := 0
	for _, f := range files {
		n += len(f.seeds)
	}
	seeds := make([]seedFigures, 0, n)
	var tables [][]tally.Row
	var invariants runAsserts // only its invariants, for the table's note
	places := make(map[uint64]int64)
	own := make(map[string]bool) // the assertions' files in the test's module
	rep := report{fromFiles: true}
	counted := !slices.ContainsFunc(files, func(f *shardFile) bool { return f.sum.Faults == nil })
	for _, f := range files {
		seeds = append(seeds, f.seeds...)
		t.Failing = append(t.Failing, f.failing...)
		t.Wall += time.Duration(f.sum.WallNS)
		rep.keepGoing = rep.keepGoing || f.sum.KeepGoing
		if counted {
			rep.addFaults(f.sum.Faults)
		} else {
			rep.merged = cmp.Or(rep.merged, f.sum.Reboots)
		}
		tables = append(tables, rowsOf(f.sum.Assertions, places, own))
		for _, a := range f.sum.Assertions {
			if a.Invariant && a.Site != nil {
				invariants.noteInvariant(a.Message, &tally.Site{File: a.Site.File, Line: a.Site.Line})
			}
		}
	}
	slices.SortFunc(seeds, func(a, b seedFigures) int { return cmp.Compare(a.place, b.place) })
	slices.SortFunc(t.Failing, func(a, b SeedResult) int { return cmp.Compare(a.Place, b.Place) })
	// Listed whether or not the shards went past their failures: a merge
	// has no failure report of a first failing seed to show them.
	rep.failingWhy = t.Failing[:min(len(t.Failing), maxListedFailing)]
	for _, f := range t.Failing {
		rep.failGroups.add(f)
	}
	t.Groups = rep.failGroups.list()
	// The kept seeds run first, at places -k to -1.
	kept := 0
	for _, f := range files {
		kept = max(kept, f.sum.Kept)
	}
	for _, s := range seeds {
		rep.addSeed(s.seed, s.trace, s.outcome, s.sim, s.steps, s.events, s.recipe)
		rep.conns.add(s.seed, s.conns)
		if s.place < 0 && s.place >= -int64(kept) && s.outcome != OutcomeSkip {
			rep.addKept(s.seed)
		}
	}
	rep.wall = t.Wall
	mergeChecks(&rep, files)
	rows := tally.MergeRows(tables, func(seed uint64) int64 { return places[seed] })
	rows = dropMisused(rows, files)
	cut := slices.ContainsFunc(files, func(f *shardFile) bool { return f.sum.CutShort })
	cutBy := ranAll
	for _, f := range files {
		cutBy = max(cutBy, cutOf(f.sum.CutShort, f.sum.StoppedBy))
	}
	rep.assertions = withUnentered(assertionTable(rows, invariantNote(rows, invariants.isInvariant), nil, cutBy), unenteredOf(rows, files), "the shards' results files list them all, under unentered_assertions")
	t.Seeds, t.Passed, t.Failed, t.Skipped = rep.seeds, rep.passed, rep.failed, rep.skipped
	t.Planned = plannedOf(files, rep.seeds)
	rep.planned = t.Planned

	var gaps, allowed, other []tally.Row
	// A shard cut short at a failure did not run its other seeds: as its
	// Run did, the merge reports no gaps then.
	allow := true
	var allowedMsgs []string
	for _, f := range files {
		allow = allow && f.sum.AllowGaps
		allowedMsgs = append(allowedMsgs, f.sum.AllowedGaps...)
	}
	for _, r := range rows {
		switch {
		case r.Status == tally.Failed:
			t.AssertionFailures++
		case !r.Gap() || cut:
		case r.Site != nil && !own[r.Site.File]:
			other = append(other, r)
		case slices.Contains(allowedMsgs, r.Msg):
			allowed = append(allowed, r)
		default:
			gaps = append(gaps, r)
		}
	}
	if !allow {
		rep.gapsFail = len(gaps)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "=== %s", t.Test)
	if t.Package != "" {
		fmt.Fprintf(&b, " (%s)", t.Package)
	}
	fmt.Fprintf(&b, ": %s of %d merged, base seed %d; the shards' wall time added up is %v%s\n",
		plural.Count(t.Files, "results file"), t.Shards, t.BaseSeed, roundWall(t.Wall), shardWorkers(files))
	stopped := make(map[string]int)
	given := make(map[int]string) // what each shard stopped at its -timeout ran
	for _, f := range files {
		if f.sum.StoppedBy != "" {
			stopped[f.sum.StoppedBy]++
		}
		if s := f.sum; s.StoppedBy == stoppedByTimeout {
			t.TimedOut = append(t.TimedOut, s.Shard)
			given[s.Shard] = fmt.Sprintf("shard %d ran %d", s.Shard, s.Seeds)
			if s.SeedsPlanned > 0 {
				given[s.Shard] += fmt.Sprintf(" of the %d it was given", s.SeedsPlanned)
			}
		}
	}
	slices.Sort(t.TimedOut)
	for _, f := range files {
		for _, e := range f.sum.WallClock {
			t.WallClock = append(t.WallClock, fmt.Sprintf("shard %d: %s", f.sum.Shard, e))
		}
	}
	rep.wallFail = len(t.WallClock) > 0
	if t.Failed == 0 {
		t.NoChaos = rep.noChaosError()
	}
	ran := ranSeeds(rep.seeds)
	ran.off = offAdvice(rep.familiesOff(), ran.unit)
	for _, end := range []struct{ why, flag, more string }{
		{stoppedByWall, "-simfor", "more wall time for the shards may reach them (a larger -simfor)"},
		{stoppedByPlateau, "-simplateau", "a longer plateau for the shards may reach them (a larger -simplateau)"},
		{stoppedByTimeout, "go test -timeout", ""},
	} {
		n := stopped[end.why]
		if n == 0 {
			continue
		}
		fmt.Fprintf(&b, "simtest: %d of %s ended at their %s (%s): the seeds are those they reached", n, plural.Count(t.Files, "shard"), end.why, end.flag)
		if end.why == stoppedByTimeout {
			// A budget chosen ends a shard where it should; a -timeout
			// ends it short of the seeds it was given.
			var ran []string
			for _, i := range t.TimedOut {
				ran = append(ran, given[i])
			}
			fmt.Fprintf(&b, "; shards %v did not run all their seeds (%s), which fails the merge: raise their -timeout, or give them fewer seeds (-simseeds) or a -simfor that fits", t.TimedOut, strings.Join(ran, ", "))
		}
		b.WriteString("\n")
		if n == t.Files && end.more != "" {
			ran.more = end.more // more seeds would change nothing
		}
	}
	if len(t.Missing) > 0 {
		fmt.Fprintf(&b, "simtest: missing shards: %v of %d; their seeds are not in this report: run them again\n", t.Missing, t.Shards)
	}
	t.BuiltApart = builtApart(files)
	b.WriteString(t.BuiltApart)
	b.WriteString(cutLines(cutOff))
	for _, e := range t.WallClock {
		b.WriteString(e + "\n")
	}
	if t.NoChaos != "" {
		b.WriteString(t.NoChaos + "\n")
	}
	b.WriteString(rep.summary())
	if len(gaps) > 0 {
		b.WriteString("\n" + gapReport(gaps, ran, !allow))
		if !allow {
			t.Gaps = len(gaps)
		}
	}
	if len(allowed) > 0 {
		b.WriteString("\n" + gapReport(allowed, ran, false) + allowedNote)
	}
	if len(other) > 0 {
		b.WriteString("\n" + gapReport(other, ran, false) + otherModulesNote)
	}
	t.Report = b.String()
	return t, nil
}

// dropReplayCopies keeps one of the unsharded files that hold the same
// seeds to the same traces and outcomes. A Run that names its seeds
// (Replay) runs them whatever the shard, so every shard of a sweep writes
// the same file, and a sweep whose shards write to directories of their
// own holds it once per shard: one Run's seeds, not shards twice.
func dropReplayCopies(files []*shardFile) []*shardFile {
	same := func(a, b *shardFile) bool {
		return max(a.sum.Shards, 1) == 1 && max(b.sum.Shards, 1) == 1 &&
			a.sum.BaseSeed == b.sum.BaseSeed && a.sum.Trace == b.sum.Trace &&
			slices.EqualFunc(a.seeds, b.seeds, func(x, y seedFigures) bool {
				return x.seed == y.seed && x.trace == y.trace && x.outcome == y.outcome && x.recipe == y.recipe
			})
	}
	kept := files[:0:0]
	for _, f := range files {
		if !slices.ContainsFunc(kept, func(k *shardFile) bool { return same(k, f) }) {
			kept = append(kept, f)
		}
	}
	return kept
}

// agree refuses to merge f with first when they ran other seeds or
// another test: a count of seeds for the whole Run or flags of their own
// that differ. Either would merge into a report that no Run writes: the
// merged trace hash belongs to no run, and a seed's failure may be the
// other flags'. A file that does not record one (written before it was
// recorded, or by Simulate, which reads no flag) is not checked on it.
func agree(test string, first, f *shardFile) error {
	a, b := first.sum, f.sum
	if a.SweepSeeds > 0 && b.SweepSeeds > 0 && a.SweepSeeds != b.SweepSeeds {
		return fmt.Errorf("simtest: merging results of %s: %s was given %d seeds for the whole sweep (before sharding: -simseeds, simtest.Seeds or MOONPOOL_SEEDS), and %s %d; "+
			"the shards of a sweep must split one count, or their merge is the report of no Run: run every shard with one count", test, f.path, b.SweepSeeds, first.path, a.SweepSeeds)
	}
	if a.Flags != nil && b.Flags != nil && !slices.Equal(*a.Flags, *b.Flags) {
		return fmt.Errorf("simtest: merging results of %s: %s ran %s, and %s %s; "+
			"a test's own flags (and -short, -tags, -race), which its replay lines repeat, may change what its seeds do: run every shard with the same flags", test, f.path, flagList(*b.Flags), first.path, flagList(*a.Flags))
	}
	return nil
}

// flagList says what flags a shard ran with, as a replay line has them:
// "with the flags -planted", or "with no flags of its own".
func flagList(flags []string) string {
	if len(flags) == 0 {
		return "with no flags of its own"
	}
	return "with the flags " + strings.Join(flags, " ")
}

// builtApart is the merged report's warning that the shards' test
// binaries were built differently (another Go, another version of the
// module or of moonpool, another commit) or ran other source (another
// jsonBuild.SourceHash, as when shards are built from two commits, which
// a test binary's build record does not tell): their seeds may have run
// other code, and the merge is of one sweep only if the code was the
// same. A shard that recorded no value where others did is named with
// "none"; a file without a build record is left out. "" when they agree
// or say nothing.
func builtApart(files []*shardFile) string {
	var parts []string
	for _, what := range []struct {
		name string
		of   func(b *jsonBuild) string
	}{
		{"Go", func(b *jsonBuild) string { return b.Go }},
		{"module version", func(b *jsonBuild) string { return b.ModuleVersion }},
		{"moonpool", func(b *jsonBuild) string { return b.Moonpool }},
		{"commit", func(b *jsonBuild) string {
			if b.VCSRevision != "" && b.VCSModified {
				return b.VCSRevision + " (modified)"
			}
			return b.VCSRevision
		}},
		{"source hash", func(b *jsonBuild) string { return b.SourceHash }},
	} {
		shards := make(map[string][]int)
		for _, f := range files {
			if f.sum.Build == nil {
				continue
			}
			v := cmp.Or(what.of(f.sum.Build), "none")
			shards[v] = append(shards[v], f.sum.Shard)
		}
		if len(shards) < 2 {
			continue
		}
		var vs []string
		for _, v := range slices.Sorted(maps.Keys(shards)) {
			slices.Sort(shards[v])
			vs = append(vs, fmt.Sprintf("%s in shards %v", v, shards[v]))
		}
		parts = append(parts, what.name+" "+strings.Join(vs, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return "simtest: warning: the shards' test binaries were built differently (" + strings.Join(parts, "; ") + "): " +
		"if their code differs too, the merged seeds ran different tests and this report is no one Run's; build every shard from one checkout of one commit with one Go\n"
}

// mergeChecks adds up what the shards' determinism checks (-simcheck)
// found, for the check line, which names the shards that checked when
// not all did.
func mergeChecks(rep *report, files []*shardFile) {
	var checked, unchecked []int
	for _, f := range files {
		d := f.sum.Determinism
		if d == nil {
			unchecked = append(unchecked, f.sum.Shard)
			continue
		}
		checked = append(checked, f.sum.Shard)
		rep.checked += d.Checked
		rep.diverged += d.Diverged
		rep.endedOtherwise += d.EndedOtherwise
		for _, s := range d.DivergedSeeds {
			if len(rep.divergedSeeds) < maxNamedDiverged {
				rep.divergedSeeds = append(rep.divergedSeeds, s)
			}
		}
	}
	if len(checked) > 0 && len(unchecked) > 0 {
		slices.Sort(checked)
		slices.Sort(unchecked)
		rep.checkShards = fmt.Sprintf("; only shards %v checked, shards %v did not (-simcheck)", checked, unchecked)
	}
}

// plannedOf is how many seeds the shards of files set out to run, when
// some stopped at a failing seed before the rest and more were planned
// than the seeds that ran; 0 otherwise, and when a shard stopped short of
// a count it does not say (a budget's, or a skip's).
func plannedOf(files []*shardFile, seeds int) int {
	planned := 0
	for _, f := range files {
		s := f.sum
		switch {
		case s.StoppedBy == stoppedByTimeout:
			// Its own line tells of it: the seeds it was given are no
			// failure's.
			return 0
		case s.SeedsPlanned > 0:
			planned += s.SeedsPlanned
		case s.CutShort:
			return 0
		default:
			planned += s.Seeds
		}
	}
	if planned <= seeds {
		return 0
	}
	return planned
}

// unenteredOf is the merged list of calls no seed reached in files no
// seed entered: those of every shard's list but the calls that rows hold
// (another shard reached them, or entered their file) and those another
// shard reached and misused.
func unenteredOf(rows []tally.Row, files []*shardFile) []tally.Unentered {
	misused := make(map[tally.CallKey]bool)
	var lists [][]tally.Unentered
	for _, f := range files {
		for _, c := range f.sum.MisusedCalls {
			if c.Site != nil {
				misused[tally.CallKey{File: c.Site.File, Line: c.Site.Line, Kind: kindNamed(c.Kind)}] = true
			}
		}
		var list []tally.Unentered
		for _, c := range f.sum.Unentered {
			if c.Site != nil {
				list = append(list, tally.Unentered{Kind: kindNamed(c.Kind), Msg: c.Message, Site: &tally.Site{File: c.Site.File, Line: c.Site.Line}, Simless: c.Context})
			}
		}
		lists = append(lists, list)
	}
	return tally.MergeUnentered(lists, rows, misused)
}

// dropMisused drops the rows of calls that one shard found only in the
// source and another reached and misused: one Run that reached the call
// has no row for it, and the misuse failed a seed.
func dropMisused(rows []tally.Row, files []*shardFile) []tally.Row {
	misused := make(map[tally.CallKey]bool)
	for _, f := range files {
		for _, c := range f.sum.MisusedCalls {
			if c.Site != nil {
				misused[tally.CallKey{File: c.Site.File, Line: c.Site.Line, Kind: kindNamed(c.Kind)}] = true
			}
		}
	}
	if len(misused) == 0 {
		return rows
	}
	return slices.DeleteFunc(rows, func(r tally.Row) bool {
		return r.Static && r.Site != nil && misused[tally.KeyOf(r.Site, r.Kind)]
	})
}

// rowsOf turns a summary's assertions back into a table, noting the
// places of the seeds its hits name and which of its files are the test's
// own module's.
func rowsOf(as []jsonAssertion, places map[uint64]int64, own map[string]bool) []tally.Row {
	rows := make([]tally.Row, 0, len(as))
	hit := func(h *jsonHit) *tally.Hit {
		if h == nil {
			return nil
		}
		places[h.Seed] = h.Place
		return &tally.Hit{Seed: h.Seed, At: time.Duration(h.AtNS), Task: h.Task, Details: h.Details}
	}
	for _, a := range as {
		r := tally.Row{
			Kind: kindNamed(a.Kind), Msg: a.Message, Status: tally.Status(a.Status), Static: a.Static, Simless: a.Context, Misused: a.Misused,
			Calls: a.Calls, Passes: a.Passes, Fails: a.Failures, Seeds: a.Seeds, SeedsTrue: a.SeedsTrue,
			FirstFail: hit(a.FirstFail), FirstPass: hit(a.FirstPass),
		}
		if s := a.Site; s != nil {
			r.Site = &tally.Site{File: s.File, Line: s.Line, Func: s.Function}
			if !a.OtherModule {
				own[s.File] = true
			}
		}
		if w := a.Watermark; w != nil {
			places[w.Seed] = w.Place
			r.Watermark = &tally.Watermark{Left: infinite(w.Left), Right: infinite(w.Right), Margin: infinite(w.Margin),
				Duration: w.Duration, Op: w.Op, Seed: w.Seed}
		}
		if f := a.Frontier; f != nil {
			places[f.Seed] = f.Place
			r.Conditions, r.Frontier, r.AtFrontier, r.FrontierSeed = f.Conditions, f.Best, f.AtBest, f.Seed
		}
		for _, b := range a.Buckets {
			qs := make([]tally.BestQuality, len(b.Qualities))
			for i, q := range b.Qualities {
				qs[i] = tally.BestQuality{Name: q.Name, Best: infinite(q.Best)}
			}
			r.Buckets = append(r.Buckets, tally.Bucket{Identity: b.Identity, Calls: b.Calls, Seeds: b.Seeds, Qualities: qs})
		}
		rows = append(rows, r)
	}
	return rows
}

// infinite undoes finite: the largest float of a sign was an infinity.
func infinite(f float64) float64 {
	switch f {
	case math.MaxFloat64:
		return math.Inf(1)
	case -math.MaxFloat64:
		return math.Inf(-1)
	}
	return f
}

func kindNamed(name string) simctx.AssertKind {
	for _, k := range simctx.Kinds() {
		if k.String() == name {
			return k
		}
	}
	return 0
}

// shardWorkers says, for the merge's first line, on how many workers the
// shards ran their seeds, when any ran more than one at once: their wall
// times are then those of as many cores. "" when every shard ran one.
func shardWorkers(files []*shardFile) string {
	least, most := 0, 0
	for _, f := range files {
		n := max(f.sum.Workers, 1)
		if least == 0 || n < least {
			least = n
		}
		most = max(most, n)
	}
	switch {
	case most <= 1:
		return ""
	case least == most && len(files) == 1:
		return fmt.Sprintf(", on %d workers", most)
	case least == most:
		return fmt.Sprintf(", each shard on %d workers", most)
	}
	return fmt.Sprintf(", the shards on %d to %d workers", least, most)
}
