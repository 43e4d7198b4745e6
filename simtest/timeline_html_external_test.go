package simtest_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
	"github.com/moonpool-go/moonpool/simtest/timelinehtml"
)

// echoSeed boots two echo servers that note every line on their disk,
// sends each a few lines, crashes one, and fails.
func echoSeed(s *simtest.S) {
	c := s.Boot(simtest.Processes{Name: "echo", Count: 2, New: func() simtest.Process {
		return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
			l, err := p.Network.Listen(ctx, ":7070")
			if err != nil {
				return err
			}
			for {
				conn, err := l.Accept()
				if err != nil {
					return err
				}
				p.Task.Go(ctx, "conn", func(ctx context.Context) error {
					defer conn.Close()
					f, err := p.Storage.OpenFile("lines", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o666)
					if err != nil {
						return err
					}
					defer f.Close()
					sc := bufio.NewScanner(conn)
					for sc.Scan() {
						if _, err := f.Write(append(sc.Bytes(), '\n')); err != nil {
							return err
						}
						if err := f.Sync(); err != nil {
							return err
						}
						if _, err := fmt.Fprintln(conn, sc.Text()); err != nil {
							return err
						}
					}
					return nil
				})
			}
		})
	}})
	p := s.Providers()
	for _, host := range []string{"echo-0", "echo-1"} {
		var conn net.Conn
		var err error
		for conn == nil {
			if conn, err = p.Network.Dial(s.Context(), host+":7070"); err != nil {
				s.Sleep(10 * time.Millisecond)
			}
		}
		r := bufio.NewScanner(conn)
		for i := range 3 {
			fmt.Fprintf(conn, "line %d\n", i)
			require.True(s, r.Scan(), "an echo")
		}
		conn.Close()
	}
	c.Reboot("echo-1", simtest.Crash, simtest.DownFor(time.Second))
	s.Sleep(2 * time.Second)
	s.Errorf("the echoes were heard: fail, to draw the seed")
}

func TestTimelineHTMLDrawsAFailingSeed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "seed.html")
	var doc *timelinehtml.Doc
	res := simtest.Simulate(echoSeed, simtest.Seeds(3), simtest.TimelineHTML(path),
		simtest.TimelineDoc(func(d *timelinehtml.Doc) { doc = d }))
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Contains(t, res.Report, "simtest: wrote the HTML timeline to "+path)
	require.NotNil(t, doc)

	assert.Equal(t, res.FirstFailing, doc.Seed)
	assert.True(t, doc.Failed)
	assert.Equal(t, res.Replay, doc.Replay)
	assert.Equal(t, []string{"driver", "echo-0", "echo-1"}, doc.Lanes, "the driver first, then the processes")
	kinds := map[timelinehtml.Kind]int{}
	for _, e := range doc.Events {
		kinds[e.Kind]++
		if e.Kind == timelinehtml.KindFailure {
			assert.Equal(t, "driver", e.Lane)
			assert.Contains(t, e.Msg, "the echoes were heard")
		}
		if e.Kind == timelinehtml.KindReboot || e.Kind == timelinehtml.KindBoot {
			assert.Contains(t, []string{"echo-0", "echo-1"}, e.Lane, "a reboot is drawn on its process's lane: %s", e.Msg)
		}
	}
	assert.Equal(t, 1, kinds[timelinehtml.KindFailure], "the failure")
	assert.Positive(t, kinds[timelinehtml.KindReboot], "the crash")
	assert.Equal(t, 3, kinds[timelinehtml.KindBoot], "two first boots and the boot after the crash")

	// Every line and its echo, each way on each connection ("line 0\n"...),
	// in as many segments as the network cut them into.
	dirs := map[string]int64{}
	for _, m := range doc.Messages {
		dirs[m.From+">"+m.To] += m.Bytes
		assert.Less(t, m.SentNS, m.ArrivedNS, "a message arrives after it was sent")
		assert.Regexp(t, `^\S+:\d+->\S+:\d+$`, m.What)
	}
	assert.Equal(t, map[string]int64{"driver>echo-0": 21, "echo-0>driver": 21, "driver>echo-1": 21, "echo-1>driver": 21}, dirs)
	disk := map[string]int{}
	for _, d := range doc.Disk {
		disk[d.Lane+" "+d.What+" "+d.File]++
		assert.LessOrEqual(t, d.StartNS, d.EndNS)
	}
	assert.GreaterOrEqual(t, disk["echo-0 write lines"], 3, "a write per line, named by its file")
	assert.Equal(t, 3, disk["echo-0 sync lines"], "a sync per line")
	assert.Positive(t, disk["echo-0 open lines"], "an open is drawn as one, not as a write")

	page, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(page), "MoonpoolTimeline.render")
	assert.Contains(t, string(page), fmt.Sprintf(`"seed":"%d"`, doc.Seed), "the seed as a string: JavaScript would round the number")
}

func TestTimelineHTMLLeavesTheRunAlone(t *testing.T) {
	plain := simtest.Simulate(echoSeed, simtest.Seeds(3), simtest.KeepGoing())
	drawn := simtest.Simulate(echoSeed, simtest.Seeds(3), simtest.KeepGoing(),
		simtest.TimelineDoc(func(*timelinehtml.Doc) {}))
	require.Len(t, drawn.PerSeed, 3)
	for i := range plain.PerSeed {
		assert.Equal(t, plain.PerSeed[i].Trace, drawn.PerSeed[i].Trace, "seed %d: drawing the timeline changes no trace", plain.PerSeed[i].Seed)
	}
}

func TestAttachIsLinkedFromTheHTMLTimeline(t *testing.T) {
	dir := t.TempDir()
	res := simtest.Simulate(func(s *simtest.S) {
		if s.Drawing() {
			s.Attach("history.html", []byte("<p>the history</p>"))
		}
		s.Errorf("fail")
	}, simtest.Seeds(1), simtest.TimelineHTML(dir+"/"))
	require.Equal(t, 1, res.Failed)
	page, err := os.ReadFile(filepath.Join(dir, "Simulate.html"))
	require.NoError(t, err, res.Report)
	got, err := os.ReadFile(filepath.Join(dir, "Simulate.history.html"))
	require.NoError(t, err, "the attachment is written beside the page")
	assert.Equal(t, "<p>the history</p>", string(got))
	assert.Regexp(t, regexp.MustCompile(`"links":\[\{"name":"history.html","href":"Simulate.history.html"\}\]`), string(page))
	assert.Contains(t, res.Report, "simtest: wrote the HTML timeline to "+filepath.Join(dir, "Simulate.html")+
		", and beside it its attachment Simulate.history.html\n", "the report names the attachment as written")

	// Without an HTML timeline, nothing is kept.
	res = simtest.Simulate(func(s *simtest.S) {
		assert.False(t, s.Drawing())
		s.Attach("history.html", []byte("x"))
	}, simtest.Seeds(1))
	require.True(t, res.OK(), res.Report)
}

// TestAttachLinksReachTheirFiles: a link to an attachment, resolved
// against the page's address as a browser does, is the file written, even
// when the names hold what a URL reads otherwise: the '#' of a subtest's
// second run of one name, a '%', a ':' or a space.
func TestAttachLinksReachTheirFiles(t *testing.T) {
	dir := t.TempDir()
	names := []string{"history.html", "a:b.html", "50%.txt", "the end?.txt"}
	var doc *timelinehtml.Doc
	r := runIn("TestAttach/case#01", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			for _, n := range names {
				s.Attach(n, []byte(n))
			}
			s.Errorf("fail")
		}, simtest.Seeds(1), simtest.TimelineHTML(dir+"/"), simtest.TimelineDoc(func(d *timelinehtml.Doc) { doc = d }))
	})
	require.True(t, r.failed)
	require.NotNil(t, doc)
	page := &url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, "simtest", "TestAttach_case#01.html"))}
	require.Len(t, doc.Links, len(names), r.output())
	for i, l := range doc.Links {
		ref, err := url.Parse(l.Href)
		require.NoError(t, err, l.Href)
		got := page.ResolveReference(ref)
		assert.Empty(t, got.Fragment, "link %q has no fragment", l.Href)
		data, err := os.ReadFile(filepath.FromSlash(got.Path))
		if assert.NoError(t, err, "link %q of %q", l.Href, names[i]) {
			assert.Equal(t, names[i], string(data))
		}
	}
}

func TestTimelineHTMLOptionsNameTheirMistakes(t *testing.T) {
	res := simtest.Simulate(func(*simtest.S) {}, simtest.TimelineHTML(""))
	assert.Contains(t, res.Report, "simtest.TimelineHTML: the path is empty")
	res = simtest.Simulate(func(*simtest.S) {}, simtest.TimelineDoc(nil))
	assert.Contains(t, res.Report, "simtest.TimelineDoc: the function is nil")
	res = simtest.Simulate(func(s *simtest.S) { s.Attach("a/b.html", nil) }, simtest.Seeds(1))
	assert.Contains(t, res.Report, `simtest: S.Attach("a/b.html"): the name must be a file name with no directory, such as "history.html"`)
}

// A Run does not write over a timeline that another Run wrote since the
// test binary started, as a subtest after the failing one would: it
// writes beside it, named for its test too. A file older than the test
// binary is written over.
func TestATimelineFileIsNotWrittenOverByALaterRun(t *testing.T) {
	dir := t.TempDir()
	page, lines := filepath.Join(dir, "t.html"), filepath.Join(dir, "t.jsonl")
	stale := time.Now().Add(-time.Hour)
	for _, f := range []string{page, lines} {
		require.NoError(t, os.WriteFile(f, []byte("from an earlier go test"), 0o644))
		require.NoError(t, os.Chtimes(f, stale, stale))
	}
	run := func(name string, body func(*simtest.S)) string {
		return runIn(name, func(r *recorder) {
			simtest.Run(r, body, simtest.Seeds(1), simtest.TimelineHTML(page), simtest.TimelineFile(lines))
		}).output()
	}
	failed := run("TestTable/fails", func(s *simtest.S) { s.Errorf("the failure wanted") })
	assert.Contains(t, failed, "wrote the HTML timeline to "+page)
	assert.Contains(t, failed, "wrote the timeline to "+lines)
	passed := run("TestTable/passes", func(s *simtest.S) { s.Sleep(time.Millisecond) })
	assert.Contains(t, passed, "wrote the HTML timeline to "+filepath.Join(dir, "t.TestTable_passes.html"))
	assert.Contains(t, passed, "wrote the timeline to "+filepath.Join(dir, "t.TestTable_passes.jsonl"))
	for _, f := range []string{page, lines} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.Contains(t, string(b), "the failure wanted", "%s keeps the failing Run's timeline", f)
	}
}

// TestATimelineDirectoryHasAFileAPackage: go test ./... runs packages'
// test binaries at once, and two packages may each have a test of one
// name; in a directory given to -simtimeline or -simhtml each package's
// files go under the package's own directory, as a results file's do, so
// that a passing package's page never replaces a failing one's.
func TestATimelineDirectoryHasAFileAPackage(t *testing.T) {
	dir := t.TempDir()
	pages, lines := filepath.Join(dir, "pages")+"/", filepath.Join(dir, "lines")+"/"
	r := runIn("TestSameName/sub", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) { s.Errorf("the failure wanted") }, simtest.Seeds(1), simtest.KeepFailures(false),
			simtest.TimelineHTML(pages), simtest.TimelineFile(lines))
	})
	require.True(t, r.failed, r.output())
	page := filepath.Join(dir, "pages", "simtest", "TestSameName_sub.html")
	file := filepath.Join(dir, "lines", "simtest", "TestSameName_sub.jsonl")
	assert.Contains(t, r.output(), "simtest: wrote the HTML timeline to "+page)
	assert.Contains(t, r.output(), "simtest: wrote the timeline to "+file)
	for _, f := range []string{page, file} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.Contains(t, string(b), "the failure wanted", f)
	}
	assert.NoFileExists(t, filepath.Join(dir, "pages", "TestSameName_sub.html"), "not in the directory itself, where another package's test of this name writes")
}

// A failure told in several lines (a checker's list of the operations that
// conflict) reaches the timeline file and the HTML page whole; the report
// still shows it on one line.
func TestAFailureOfSeveralLinesIsWholeInTheTimeline(t *testing.T) {
	dir := t.TempDir()
	html, jsonl := filepath.Join(dir, "seed.html"), filepath.Join(dir, "seed.jsonl")
	const msg = "check: the history is not linearizable:\n  no order takes next: write(2)\n  it overlaps: read() -> 1"
	var doc *timelinehtml.Doc
	res := simtest.Simulate(func(s *simtest.S) {
		s.Sleep(time.Second)
		s.Errorf("%s", msg)
	}, simtest.Seeds(1), simtest.TimelineHTML(html), simtest.TimelineFile(jsonl),
		simtest.TimelineDoc(func(d *timelinehtml.Doc) { doc = d }))
	require.Equal(t, 1, res.Failed, res.Report)

	require.NotNil(t, doc)
	var failures []timelinehtml.Event
	for _, e := range doc.Events {
		if e.Kind == timelinehtml.KindFailure {
			failures = append(failures, e)
		}
	}
	require.Len(t, failures, 1)
	assert.Equal(t, "error: "+msg, failures[0].Msg, "the page's details carry the whole message")
	assert.Equal(t, "error: check: the history is not linearizable:", failures[0].Summary, "its list of failures, one line")

	file, err := os.ReadFile(jsonl)
	require.NoError(t, err)
	assert.Contains(t, string(file), `"msg":"error: check: the history is not linearizable:\n  no order takes next: write(2)\n  it overlaps: read() -> 1"`)

	assert.Contains(t, res.Report, "error: check: the history is not linearizable:\n", "the report's timeline shows the entry on one line")
	assert.NotContains(t, res.Report, "error: check: the history is not linearizable:\n  no order", "the report's timeline shows the entry on one line")
	assert.Contains(t, res.Report, "  no order takes next: write(2)", "the report's list of errors has it whole")
}

// The lanes of a Topology's cluster: the processes by their numbers
// (n-2 before n-10), each followed by its machine's, where its disk's
// operations are drawn.
func TestTimelineHTMLOrdersLanesByNumberWithTheirMachines(t *testing.T) {
	var doc *timelinehtml.Doc
	var want []string
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "n", Count: 11, Topology: simtest.Topology{Machines: 11}, New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				f, err := p.Storage.OpenFile("data", os.O_CREATE|os.O_WRONLY, 0o666)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := f.Sync(); err != nil {
					return err
				}
				return p.Time.Sleep(ctx, time.Hour)
			})
		}})
		s.Sleep(time.Second)
		machines := map[string]string{}
		for _, p := range c.Peers() {
			machines[p.Name] = p.Locality.Machine
		}
		want = []string{"driver"}
		for i := range 11 {
			name := fmt.Sprintf("n-%d", i)
			require.NotEmpty(s, machines[name])
			want = append(want, name, machines[name])
		}
		s.Errorf("fail, to draw the seed")
	}, simtest.Seeds(1), simtest.TimelineDoc(func(d *timelinehtml.Doc) { doc = d }))
	require.Equal(t, 1, res.Failed, res.Report)
	require.NotNil(t, doc)
	assert.Equal(t, want, doc.Lanes)
}
