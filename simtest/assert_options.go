package simtest

import (
	"fmt"

	"github.com/moonpool-go/moonpool/simtest/timelinehtml"
)

// assertConfig is what the options of this file set.
type assertConfig struct {
	allowGaps    bool
	allowed      []string // the messages of the assertions whose gaps are allowed
	coverPath    string
	jsonPath     string
	timelinePath string
	htmlPath     string                  // the HTML timeline's file
	docFunc      func(*timelinehtml.Doc) // hears the HTML timeline's Doc
	tail         int                     // timeline entries a failure report shows; 0 for the engine's default
	focus        []string                // the processes a failure's window shows alone (WindowFocus, -simfocus)
	// keepMax bounds the whole timeline kept (TimelineMax), when
	// keepMaxSet; DefaultTimelineMax otherwise.
	keepMax    int
	keepMaxSet bool
	// artifacts is go test -artifacts: a failing seed's timeline and its
	// page go to the test's artifact directory, each unless a path is given.
	artifacts bool
}

// assertFlags are the command-line settings of this file.
type assertFlags struct {
	cover, json, timeline, html string
	allowGaps                   bool // -simallowgaps
	artifacts                   bool // go test -artifacts (-test.artifacts)
	keepMax                     int  // -simtimelinemax, when keepMaxSet
	keepMaxSet                  bool
	focus                       []string // -simfocus
}

// DefaultTimelineMax is how many of its entries, and how many of its
// devices' operations, a seed's whole timeline keeps at most (the
// timeline file, the HTML timeline): those nearest the seed's end, which
// a failure ends. [TimelineMax] and -simtimelinemax change it.
const DefaultTimelineMax = 100_000

// timelineMax is the bound on the whole timeline kept; 0 for none.
func (c *assertConfig) timelineMax() int {
	if c.keepMaxSet {
		return c.keepMax
	}
	return DefaultTimelineMax
}

// keepsTimeline reports whether every seed's whole timeline is kept as
// it runs, for a file or a Doc. Not for go test -artifacts alone, which
// wants the failing seed's only: that seed runs again to keep it
// (timelineAgain), so that passing Runs pay nothing.
func (c *assertConfig) keepsTimeline() bool {
	return c.timelinePath != "" || c.htmlPath != "" || c.docFunc != nil
}

// drawsTimeline reports whether the HTML timeline is asked for: under go
// test -artifacts it is, for a seed that fails.
func (c *assertConfig) drawsTimeline() bool {
	return c.htmlPath != "" || c.docFunc != nil || c.artifacts
}

// override applies the flags, which win over the options.
func (c *assertConfig) override(fl assertFlags) {
	c.allowGaps = c.allowGaps || fl.allowGaps
	c.artifacts = fl.artifacts
	if fl.cover != "" {
		c.coverPath = fl.cover
	}
	if fl.json != "" {
		c.jsonPath = fl.json
	}
	if fl.timeline != "" {
		c.timelinePath = fl.timeline
	}
	if fl.html != "" {
		c.htmlPath = fl.html
	}
	if fl.keepMaxSet {
		c.keepMax, c.keepMaxSet = fl.keepMax, true
	}
	if len(fl.focus) > 0 {
		c.focus = fl.focus
	}
}

// AllowGaps makes coverage gaps warnings, logged with the report, instead
// of failures, as the -simallowgaps flag does for every Run. A gap is an
// assertion the Run did not exercise as it should: a Sometimes or
// SometimesAll that never came true, a Reachable never reached, or an
// Always (or a numeric Always) never reached. Failed assertions still
// fail the test. [Fuzz] checks no gaps, and refuses it.
//
// Given messages, AllowGaps allows the gaps of those assertions alone,
// and the Run's other gaps still fail it: a small test that boots a
// server reaches the server's files, and with them their Sometimes
// assertions, which only the big test is expected to make true. A
// message that names no assertion of the Run is noted in its log.
//
// A Run that replays a single seed ([Replay], -simseed) never fails on
// gaps: one seed is not expected to cover everything. Nor does a gap in
// another module than the test's (a library's own assertions): it is
// logged.
func AllowGaps(messages ...string) Option {
	return optionFunc(func(c *config) error {
		if len(messages) == 0 {
			c.asserts.allowGaps = true
			return nil
		}
		for _, m := range messages {
			if m == "" {
				return fmt.Errorf("simtest.AllowGaps names an assertion by an empty message; give the message the assertion is called with, or call AllowGaps() to allow every gap")
			}
		}
		c.asserts.allowed = append(c.asserts.allowed, messages...)
		return nil
	})
}

// CoverProfile writes the Run's assertion coverage profile to path, in
// the format of go test -coverprofile: one block per assertion call, red
// in go tool cover -html when the assertion failed, never came true, or
// was never reached though it had to be. The -simcover flag does the same
// for every Run.
//
// A relative path is relative to the package's directory, where go test
// runs a test binary. A path that names a directory (an existing one, or
// one ending in a slash) gets one file per test, named after the test,
// under the directory of the test's package in its module
// (DIR/examples/payments/TestPayments.cover; DIR/TestPayments.cover for
// the module's root package, or a Run of Simulate), since go test ./...
// runs packages' test binaries at once and two packages may have tests of
// one name. Any other path is the file itself for the first Run of the
// test binary to write it; a later Run (the next subtest of a table)
// writes beside it, its test's name added (pay.TestTable_b.cover), rather
// than over a file that may be the failing Run's, and its log names the
// file. The first Run writes over a file an earlier go test left, and
// over one another package's test binary wrote, given the same path by
// go test ./...: under go test ./... give a directory. A Run of
// [Simulate] writes over the path at each call. A directory
// on the path that does not exist is made before the first seed runs; one
// that cannot be made fails the test there, not after the last seed. So
// for every file a Run writes ([ResultsFile], [JSONReport],
// [TimelineFile], [TimelineHTML] and their flags).
func CoverProfile(path string) Option {
	return optionFunc(func(c *config) error {
		if path == "" {
			return fmt.Errorf("simtest.CoverProfile: the path is empty; name the file to write the profile to")
		}
		c.asserts.coverPath = path
		return nil
	})
}

// JSONReport writes the Run's report, with its assertion table, to path as
// JSON. The -simjson flag does the same for every Run. Paths are as for
// [CoverProfile]; the file per test ends in .json.
func JSONReport(path string) Option {
	return optionFunc(func(c *config) error {
		if path == "" {
			return fmt.Errorf("simtest.JSONReport: the path is empty; name the file to write the report to")
		}
		c.asserts.jsonPath = path
		return nil
	})
}

// TimelineFile writes the timeline of the Run's last seed to path, up to
// [TimelineMax] entries and device operations, one JSON object per line: the failing seed when a seed failed, the
// replayed seed under [Replay] or -simseed. The -simtimeline flag does the
// same for every Run. Paths are as for [CoverProfile]; the file per test
// ends in .jsonl, as [ResultsFile]'s does, and a Run refuses the two at
// one path. As for every file a Run writes, one that another Run wrote
// since the test binary started (a subtest before this one) is not
// written over: the Run that failed may have been that one. The Run
// writes beside it instead, the test's name added to the file's
// (kv.TestKV_after.jsonl), and says so.
func TimelineFile(path string) Option {
	return optionFunc(func(c *config) error {
		if path == "" {
			return fmt.Errorf("simtest.TimelineFile: the path is empty; name the file to write the timeline to")
		}
		c.asserts.timelinePath = path
		return nil
	})
}

// TimelineHTML writes the timeline of the Run's last seed (its failing
// seed, if one failed) to path as one HTML page that opens with no
// network: processes and the driver as lanes, messages as arrows, disk
// operations, faults and reboots marked, failures highlighted, zoom, and
// details on a click (see package [timelinehtml]). Files the seed attached
// ([S.Attach]), such as a linearizability checker's picture of the
// history, are written beside it and linked from it. The -simhtml flag
// does the same for every Run. Paths are as for [CoverProfile]; the file
// per test ends in .html. As for [TimelineFile], a file another Run wrote
// since the test binary started is not written over.
func TimelineHTML(path string) Option {
	return optionFunc(func(c *config) error {
		if path == "" {
			return fmt.Errorf("simtest.TimelineHTML: the path is empty; name the file to write the page to")
		}
		c.asserts.htmlPath = path
		return nil
	})
}

// TimelineMax bounds the whole timeline a seed keeps for [TimelineFile],
// [TimelineHTML], [TimelineDoc] and go test -artifacts: its last n
// entries, and its devices' last n operations (messages and disk
// operations), those nearest the seed's end, which a failure ends
// (default [DefaultTimelineMax]); 0 keeps them all. A long seed's whole
// timeline runs to millions of entries, each costing memory as the seed
// runs and bytes in the file. What is left out is said at the head of
// the file and the page. The -simtimelinemax flag does the same for
// every Run.
func TimelineMax(n int) Option {
	return optionFunc(func(c *config) error {
		if n < 0 {
			return fmt.Errorf("simtest.TimelineMax(%d): the number of entries must be at least 0 (0 keeps them all)", n)
		}
		c.asserts.keepMax, c.asserts.keepMaxSet = n, true
		return nil
	})
}

// TimelineDoc hands fn the timeline of the Run's last seed (its failing
// seed, if one failed) as the HTML timeline draws it, once the Run ends:
// for a page of one's own, such as a demo that runs the simulation in a
// browser, to draw with [timelinehtml.Script].
func TimelineDoc(fn func(*timelinehtml.Doc)) Option {
	return optionFunc(func(c *config) error {
		if fn == nil {
			return fmt.Errorf("simtest.TimelineDoc: the function is nil; pass one that takes the *timelinehtml.Doc")
		}
		c.asserts.docFunc = fn
		return nil
	})
}

// WindowFocus makes a failed seed's window show the entries of the named
// processes alone (or hosts: a name matches an entry of a task of that
// process, and one whose message names it), besides the failure's own,
// the phases and the errors: at twenty processes, the window of one is
// otherwise full of the others' lines. The heading counts those left out,
// and the faults listed above the window include the others' faults in
// its span; -simtimeline and -simhtml keep every entry. The -simfocus flag does the
// same for every Run: -simfocus=swim-12,swim-3.
func WindowFocus(names ...string) Option {
	return optionFunc(func(c *config) error {
		for _, n := range names {
			if n == "" {
				return fmt.Errorf("simtest.WindowFocus: an empty name; name the processes whose entries the window shows, such as \"kv-0\"")
			}
		}
		c.asserts.focus = names
		return nil
	})
}

// TimelineTail sets how many timeline entries a failed seed's report shows
// up to its first failure, that failure's own entry included (default 64);
// a few entries after it follow. Tasks' starts, ends and kills are not
// counted: they are shown beside their tasks' other entries. A seed that
// failed only as it ended (a panic, a deadlock) shows its last entries.
// The whole timeline is one flag away: -simtimeline or [TimelineFile].
func TimelineTail(n int) Option {
	return optionFunc(func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("simtest.TimelineTail(%d): the number of entries must be at least 1", n)
		}
		c.asserts.tail = n
		return nil
	})
}
