package tally

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/tools/cover"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/internal/simctx"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type clock struct {
	now  time.Duration
	task string
}

func (c *clock) Now() time.Duration  { return c.now }
func (c *clock) CurrentTask() string { return c.task }

// signals records a seed's progress signals and failures.
type signals struct {
	sigs  []uint64
	fails []string
}

func (g *signals) hooks() Hooks {
	return Hooks{
		Signal: func(p Progress) { g.sigs = append(g.sigs, p.Sig) },
		Fail:   func(msg string, _ []any) { g.fails = append(g.fails, msg) },
	}
}

func (g *signals) take() int {
	n := len(g.sigs)
	g.sigs = nil
	return n
}

func TestSignalsAreNewProgressOfTheSeed(t *testing.T) {
	b := New(nil)
	var g signals
	s := b.Begin(1, &clock{}, g.hooks())
	sometimes := func(ok bool) { s.Assert(simctx.Assertion{Kind: simctx.Sometimes, Msg: "s", OK: ok}) }
	sometimes(false)
	assert.Equal(t, 0, g.take(), "false is no progress")
	sometimes(true)
	assert.Equal(t, 1, g.take(), "first true in the seed")
	sometimes(true)
	assert.Equal(t, 0, g.take(), "already true in this seed")

	gt := func(l float64) {
		s.Assert(simctx.Assertion{Kind: simctx.SometimesGreaterThan, Msg: "gt", Left: l, Right: 100, OK: l > 100})
	}
	gt(1)
	assert.Equal(t, 1, g.take(), "a first watermark")
	gt(1)
	assert.Equal(t, 0, g.take(), "no better")
	gt(50)
	assert.Equal(t, 1, g.take(), "a better watermark")
	gt(200)
	assert.Equal(t, 2, g.take(), "better, and true")

	all := func(a, b bool) {
		s.Assert(simctx.Assertion{Kind: simctx.SometimesAll, Msg: "all", Conds: []simctx.Condition{{Name: "a", Holds: a}, {Name: "b", Holds: b}}})
	}
	all(false, false)
	assert.Equal(t, 0, g.take())
	all(true, false)
	assert.Equal(t, 1, g.take(), "frontier 1")
	all(false, true)
	assert.Equal(t, 0, g.take(), "still 1")
	all(true, true)
	assert.Equal(t, 2, g.take(), "frontier 2, and true")

	each := func(args ...any) {
		s.Assert(simctx.Assertion{Kind: simctx.SometimesEach, Msg: "each", OK: true, Args: args})
	}
	each("n", 1)
	assert.Equal(t, 2, g.take(), "a new bucket, and first reached")
	each("n", 1)
	assert.Equal(t, 0, g.take())
	each("n", 2)
	assert.Equal(t, 1, g.take(), "a new bucket")
	each("n", 2, assertions.Quality{Name: "depth", Value: 3})
	assert.Equal(t, 1, g.take(), "a first quality")
	each("n", 2, assertions.Quality{Name: "depth", Value: 2})
	assert.Equal(t, 0, g.take(), "a worse quality")
	each("n", 2, assertions.Quality{Name: "depth", Value: 4})
	assert.Equal(t, 1, g.take(), "a better quality")
	s.End()

	// The next seed starts over; the Run's figures go on.
	s = b.Begin(2, &clock{}, g.hooks())
	sometimes(true)
	each("n", 1)
	assert.Equal(t, 3, g.take(), "true again, and the bucket new to this seed")
	s.End()
	s.Assert(simctx.Assertion{Kind: simctx.Always, Msg: "late", OK: false})
	assert.Empty(t, g.fails, "an ended seed drops late assertions")

	rows := b.Rows()
	byMsg := make(map[string]Row)
	for _, r := range rows {
		byMsg[r.Msg] = r
	}
	assert.Equal(t, 2, byMsg["s"].SeedsTrue)
	assert.Equal(t, 0, byMsg["late"].SeedsTrue, "no seed reached it")
	assert.Equal(t, "best 200 > 100", byMsg["gt"].Progress())
	assert.Equal(t, "2 of 2 at once", byMsg["all"].Progress())
	require.Len(t, byMsg["each"].Buckets, 2)
	assert.Equal(t, []BestQuality{{Name: "depth", Best: 4}}, byMsg["each"].Buckets[1].Qualities)
	assert.Equal(t, 2, byMsg["each"].Buckets[0].Seeds)
}

// TestProgressNamesItsAssertion: each progress signal names the assertion
// that made it, and the progress, for an exploration's report of what
// each mark follows.
func TestProgressNamesItsAssertion(t *testing.T) {
	var got []Progress
	s := New(nil).Begin(1, &clock{}, Hooks{Signal: func(p Progress) { got = append(got, p) }})
	s.Assert(simctx.Assertion{Kind: simctx.Sometimes, Msg: "s", OK: true})
	s.Assert(simctx.Assertion{Kind: simctx.Reachable, Msg: "r", OK: true})
	s.Assert(simctx.Assertion{Kind: simctx.SometimesGreaterThan, Msg: "gt", Left: 50, Right: 100})
	s.Assert(simctx.Assertion{Kind: simctx.AlwaysLessThan, Msg: "lag", Left: float64(2 * time.Second), Right: float64(3 * time.Second), Duration: true, OK: true})
	s.Assert(simctx.Assertion{Kind: simctx.SometimesAll, Msg: "all", Conds: []simctx.Condition{{Name: "a", Holds: true}, {Name: "b"}, {Name: "c"}}})
	s.Assert(simctx.Assertion{Kind: simctx.SometimesEach, Msg: "each", OK: true, Args: []any{"n", 2, "state", "syncing now", assertions.Quality{Name: "depth", Value: 3}}})
	s.Assert(simctx.Assertion{Kind: simctx.SometimesEach, Msg: "each", OK: true, Args: []any{"n", 2, "state", "syncing now", assertions.Quality{Name: "depth", Value: 4}}})

	var names []string
	for _, p := range got {
		// (The site is the test framework's: a call from package tally
		// itself is taken for the engine's.)
		names = append(names, regexp.MustCompile(` \(\S+:\d+\)`).ReplaceAllString(p.String(), " (SITE)"))
	}
	assert.Equal(t, []string{
		`Sometimes "s" (SITE)`,
		`Reachable "r" (SITE)`,
		`SometimesGreaterThan "gt" (SITE): a new watermark (50 > 100)`,
		`AlwaysLessThan "lag" (SITE): a new watermark (2s < 3s)`,
		`SometimesAll "all" (SITE): 1 of 3 at once`,
		`SometimesEach "each" (SITE): a new bucket (n=2 state="syncing now")`,
		`SometimesEach "each" (SITE): a better depth (n=2 state="syncing now")`,
		`SometimesEach "each" (SITE)`,
		`SometimesEach "each" (SITE): a better depth (n=2 state="syncing now")`,
	}, names)
	p := got[5]
	assert.Equal(t, simctx.SometimesEach, p.Kind())
	assert.Equal(t, "each", p.Message())
	assert.NotNil(t, p.Site())
	assert.Equal(t, `a new bucket (n=2 state="syncing now")`, p.How())
	assert.Equal(t, "", got[0].How(), "a Sometimes true says nothing more")

	bare := Progress{Sig: 7}
	assert.Equal(t, "progress 0000000000000007", bare.String(), "a signal alone names no assertion")
	assert.Zero(t, bare.Kind())
}

func TestFirstFailureKeepsSeedTimeTaskDetails(t *testing.T) {
	b := New(nil)
	var g signals
	c := &clock{now: 3 * time.Second, task: "worker-2"}
	s := b.Begin(42, c, g.hooks())
	s.Assert(simctx.Assertion{Kind: simctx.AlwaysLessThan, Msg: "lag", Left: float64(2 * time.Second), Right: float64(time.Second), Duration: true, Args: []any{"node", 3, "state", "syncing now"}})
	s.Assert(simctx.Assertion{Kind: simctx.AlwaysLessThan, Msg: "lag", Left: float64(5 * time.Second), Right: float64(time.Second), Duration: true})
	require.Len(t, g.fails, 1, "once per seed")
	// (The site is the test framework's: a call from package tally itself
	// is taken for the engine's.)
	assert.Regexp(t, `^AlwaysLessThan "lag" failed \(\S+:\d+\): 2s < 1s: node=3 state="syncing now"$`, g.fails[0])
	r := b.Rows()[0]
	assert.Equal(t, Failed, r.Status)
	assert.Equal(t, &Hit{Seed: 42, At: 3 * time.Second, Task: "worker-2", Left: 2e9, Right: 1e9, Details: []Detail{{"node", "3"}, {"state", "syncing now"}}}, r.FirstFail)
	assert.Equal(t, "worst 5s < 1s", "worst "+r.Watermark.String())
}

func TestThousandsOfAssertions(t *testing.T) {
	b := New(nil)
	s := b.Begin(1, nil, Hooks{})
	const n = 10_000
	for i := range n {
		for range 3 {
			s.Assert(simctx.Assertion{Kind: simctx.Sometimes, Msg: "replica " + strconv.Itoa(i) + " is in sync", OK: true})
		}
	}
	rows := b.Rows()
	require.Len(t, rows, n)
	for _, r := range rows {
		require.Equal(t, uint64(3), r.Passes)
	}
}

func TestReadSourceFindsAssertionCalls(t *testing.T) {
	src, err := readSource("testdata/calls.go.txt")
	require.NoError(t, err)
	type found struct {
		Kind          string
		Msg           string
		Line, EndLine int
		Decl          string
	}
	var got []found
	for _, c := range src.calls {
		got = append(got, found{c.kind.String(), c.msg, c.span.line, c.span.endLine, c.decl})
	}
	want := []found{
		{"Always", "n is not negative", 12, 12, "Work"},
		{"AlwaysLessThan", "n is small", 13, 13, "Work"},
		{"Sometimes", "n is huge", 15, 17, "Work"},
		{"Reachable", "", 19, 19, "Work"},
		{"SometimesAll", "all at once", 20, 20, "Work"},
		{"Unreachable", "raw message", 21, 21, "Work"},
		{"SometimesEach", "each", 28, 28, "Other"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	sp, ok := src.spanAt(22)
	assert.True(t, ok)
	assert.Equal(t, span{22, 2, 22, 11}, sp, "helper(n)")
}

func TestProfileRoundTrip(t *testing.T) {
	profiles := []*cover.Profile{
		{FileName: "example.com/m/a.go", Mode: "count", Blocks: []cover.ProfileBlock{
			{StartLine: 3, StartCol: 2, EndLine: 3, EndCol: 40, NumStmt: 1, Count: 7},
			{StartLine: 9, StartCol: 3, EndLine: 11, EndCol: 4, NumStmt: 1, Count: 0},
		}},
		{FileName: "example.com/m/b.go", Mode: "count", Blocks: []cover.ProfileBlock{
			{StartLine: 1, StartCol: 1, EndLine: 1, EndCol: 9, NumStmt: 1, Count: 1},
		}},
	}
	var buf bytes.Buffer
	require.NoError(t, WriteProfile(&buf, profiles))
	assert.True(t, strings.HasPrefix(buf.String(), "mode: count\nexample.com/m/a.go:3.2,3.40 1 7\n"), buf.String())
	back, err := cover.ParseProfilesFromReader(&buf)
	require.NoError(t, err)
	if diff := cmp.Diff(profiles, back); diff != "" {
		t.Errorf("profiles (-written +read):\n%s", diff)
	}
}

func TestImportPath(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "pkg", "sub"), 0o777))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("// a comment\nmodule  \"example.com/mod\" // trailing\n\ngo 1.25\n"), 0o666))
	file := filepath.Join(dir, "pkg", "sub", "x.go")
	assert.Equal(t, "example.com/mod/pkg/sub/x.go", importPath(file))
	assert.Equal(t, "/nowhere/x.go", importPath("/nowhere/x.go"), "outside a module: the path itself")
}

// TestModuleRootPassesOverANestedModule: the root of a module, looked for
// from a module nested in it, is the outer module's; the nearest go.mod
// when no module is named.
func TestModuleRootPassesOverANestedModule(t *testing.T) {
	dir := t.TempDir()
	nested := filepath.Join(dir, "tools", "gen")
	require.NoError(t, os.MkdirAll(nested, 0o777))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/mod\n\ngo 1.25\n"), 0o666))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tools", "go.mod"), []byte("module example.com/mod/tools\n\ngo 1.25\n"), 0o666))

	root, module := ModuleRoot(nested, "example.com/mod")
	assert.Equal(t, dir, root)
	assert.Equal(t, "example.com/mod", module)
	root, module = ModuleRoot(nested, "")
	assert.Equal(t, filepath.Join(dir, "tools"), root, "the nearest go.mod")
	assert.Equal(t, "example.com/mod/tools", module)
	root, module = ModuleRoot(nested, "example.com/other")
	assert.Empty(t, root, "no go.mod names it")
	assert.Empty(t, module)
	assert.Equal(t, "example.com/mod/tools/gen/x.go", importPath(filepath.Join(nested, "x.go")), "a file's import path is its own module's")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "tools", "go.mod"), []byte("modules are not here\n"), 0o666))
	assert.Equal(t, filepath.Join(nested, "x.go"), importPath(filepath.Join(nested, "x.go")), "a go.mod with no module line names none")
}

func TestWithin(t *testing.T) {
	site := &Site{File: "/src/mod/pkg/a.go"}
	assert.True(t, Within(site, "/src/mod"))
	assert.True(t, Within(site, ""), "everything is within no directory")
	assert.False(t, Within(site, "/src/mo"), "a prefix of a name is not a parent")
	assert.False(t, Within(site, "/src/mod/pkg/sub"))
	assert.False(t, Within(nil, "/src/mod"))
}

// A file edited after the binary was built holds lines the binary does
// not: when its assertions are not where the binary ran them, its calls
// are not catalogued, and Stale names it.
func TestCataloguePassesOverAFileEditedSinceTheBuild(t *testing.T) {
	dir, file, b := bookOfCallsFile(t)
	assert.Equal(t, 6, b.Catalogue(dir), "the file as the binary ran it")
	assert.Empty(t, b.Stale())

	src, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, append([]byte("// a line added above\n"), src...), 0o666))
	assert.Zero(t, b.Catalogue(dir), "the reached Always is a line further down now")
	assert.Equal(t, []string{file}, b.Stale())
	assert.Len(t, b.Rows(), 1, "the reached assertion alone")
}

// bookOfCallsFile copies testdata/calls.go.txt to a directory of its own,
// and returns the directory, the file, and a book in which one seed
// reached the file's Always at line 12.
func bookOfCallsFile(t *testing.T) (dir, file string, b *Book) {
	t.Helper()
	dir = t.TempDir()
	src, err := os.ReadFile("testdata/calls.go.txt")
	require.NoError(t, err)
	file = filepath.Join(dir, "calls.go")
	require.NoError(t, os.WriteFile(file, src, 0o666))
	b = New(nil)
	e, err := b.Declare(simctx.Always, "n is not negative", &Site{File: file, Line: 12})
	require.NoError(t, err)
	s := b.Begin(1, nil, Hooks{})
	s.Check(e, true)
	s.End()
	return dir, file, b
}

func TestCatalogueReadsOnlyFilesBelowTheModule(t *testing.T) {
	dir, file, b := bookOfCallsFile(t)

	assert.Zero(t, b.Catalogue(filepath.Join(dir, "elsewhere")), "a file outside the module is not read")
	assert.Equal(t, 6, b.Catalogue(dir), "the file's other assertion calls")
	rows := b.Rows()
	require.Len(t, rows, 7)
	assert.Equal(t, Site{File: file, Line: 12, Col: 2, EndLine: 12, EndCol: 44}, *rows[0].Site, "the reached site gets its extent")
	assert.Equal(t, OK, rows[0].Status)
	for _, r := range rows[1:] {
		assert.True(t, r.Static)
	}
	assert.Equal(t, NeverReached, rows[1].Status, "an Always no seed reached")
	assert.Equal(t, OK, rows[5].Status, "an Unreachable no seed reached")
	assert.Equal(t, "raw message", rows[5].Msg)

	profiles := b.Profile()
	require.Len(t, profiles, 1)
	assert.Equal(t, file, profiles[0].FileName, "outside any module, a file is named by its path")
	var counts []int
	for _, blk := range profiles[0].Blocks {
		counts = append(counts, blk.Count)
	}
	assert.Equal(t, []int{1, 0, 0, 0, 0, 1, 0}, counts, "held once; never reached; Unreachable rightly unreached")
}

func TestBooksShareSites(t *testing.T) {
	sites := NewSites()
	assertHere := func(b *Book) *Site {
		s := b.Begin(1, nil, Hooks{})
		s.Assert(simctx.Assertion{Kind: simctx.Sometimes, Msg: "here", OK: true})
		s.End()
		return b.entries["here"].Site()
	}
	first, second := assertHere(New(sites)), assertHere(New(sites))
	require.NotNil(t, first)
	assert.Same(t, first, second, "books sharing Sites name a call site once")
	// This file is package tally, which the search for a site skips: the
	// site is the first frame outside it, in package testing.
	assert.Equal(t, "testing.tRunner", first.Func)
	assert.NotSame(t, first, assertHere(New(nil)), "a book of its own names it again")
}

// An entered function (a Run's body) is read for the assertion calls no
// seed reached, though none was reached: in a _test.go file or another,
// that function alone (not another Run's body beside it in the same test
// function), and not when the name at its line is another declaration's
// (a file edited since the build).
func TestCatalogueReadsAnEnteredFunction(t *testing.T) {
	dir := t.TempDir()
	src := `package p

import "github.com/moonpool-go/moonpool/assertions"

func TestA(t *testing.T) {
	run(t, func(ctx context.Context) {
		if false {
			assertions.Sometimes(ctx, true, "a's")
		}
	})
	run(t, func(ctx context.Context) {
		assertions.Sometimes(ctx, true, "a second Run's")
	})
}

func TestB(t *testing.T) {
	assertions.Sometimes(ctx, true, "b's")
}
`
	for _, name := range []string{"p_test.go", "p.go"} {
		file := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(file, []byte(src), 0o644))
		msgs := func(b *Book) []string {
			var out []string
			for _, r := range b.Rows() {
				out = append(out, r.Msg)
			}
			return out
		}

		b := New(nil)
		b.Enter(file, 6, "example.com/p_test.TestA.func1")
		assert.Equal(t, 1, b.Catalogue(dir), name)
		assert.Equal(t, []string{"a's"}, msgs(b), name)

		b = New(nil)
		b.Enter(file, 11, "example.com/p_test.TestA.func2")
		assert.Equal(t, 1, b.Catalogue(dir), name)
		assert.Equal(t, []string{"a second Run's"}, msgs(b), name)

		b = New(nil)
		b.Enter(file, 16, "example.com/p_test.TestB")
		assert.Equal(t, 1, b.Catalogue(dir), name)
		assert.Equal(t, []string{"b's"}, msgs(b), "%s: a declared function is read whole", name)

		b = New(nil)
		b.Enter(file, 6, "example.com/p_test.TestC.func1")
		assert.Zero(t, b.Catalogue(dir), "%s: TestC is not at line 6 any more", name)

		b = New(nil)
		assert.Zero(t, b.Catalogue(dir), "%s: nothing entered, nothing reached", name)
	}
}

// A reached assertion in a _test.go file has its top-level function read,
// but not the body of another Run written beside its Run's (a function
// literal of a *simtest.S): two Runs in one test function, each with its
// own Sometimes, do not list each other's as never reached. A helper
// literal that is not a body, and a body's own inner literals, are read.
func TestCatalogueLeavesTheRunsBesideIt(t *testing.T) {
	dir := t.TempDir()
	src := `package p_test

import (
	"github.com/moonpool-go/moonpool/assertions"
	st "github.com/moonpool-go/moonpool/simtest"
)

func TestTwo(t *testing.T) {
	check := func(ctx context.Context, n int) {
		assertions.Sometimes(ctx, n > 9, "the helper's")
	}
	st.Run(t, func(s *st.S) {
		assertions.Sometimes(s.Context(), true, "the first's")
		step := func(s *st.S) {
			assertions.Sometimes(s.Context(), false, "the first's step")
		}
		_ = step
	})
	st.Run(t, func(*st.S) {
		assertions.Sometimes(ctx, true, "the second's")
	})
}
`
	file := filepath.Join(dir, "p_test.go")
	require.NoError(t, os.WriteFile(file, []byte(src), 0o644))
	reach := func(line int, msg string) *Book {
		b := New(nil)
		e, err := b.Declare(simctx.Sometimes, msg, &Site{File: file, Line: line})
		require.NoError(t, err)
		s := b.Begin(1, nil, Hooks{})
		s.Check(e, true)
		s.End()
		return b
	}
	msgs := func(b *Book) []string {
		var out []string
		for _, r := range b.Rows() {
			out = append(out, r.Msg)
		}
		slices.Sort(out)
		return out
	}

	b := reach(13, "the first's")
	b.Enter(file, 12, "example.com/p_test.TestTwo.func2")
	b.Catalogue(dir)
	assert.Equal(t, []string{"the first's", "the first's step", "the helper's"}, msgs(b))

	b = reach(20, "the second's")
	b.Enter(file, 19, "example.com/p_test.TestTwo.func4")
	b.Catalogue(dir)
	assert.Equal(t, []string{"the helper's", "the second's"}, msgs(b))

	b = reach(10, "the helper's")
	b.Catalogue(dir)
	assert.Equal(t, []string{"the helper's"}, msgs(b), "no body entered: no Run's body is this one's")
}

func TestEnterNamesTheDeclaration(t *testing.T) {
	b := New(nil)
	b.Enter("f.go", 1, "example.com/a/p.(*T).run-fm")
	b.Enter("f.go", 1, "example.com/a/p.F[...].func2")
	b.Enter("f.go", 1, "p.TestX.func1.3")
	b.Enter("", 1, "p.TestX")
	var names []string
	for _, f := range b.entered {
		names = append(names, f.name)
	}
	assert.Equal(t, []string{"T.run", "F.func2", "TestX.func1.3"}, names)
}

// The files of a package that no seed entered (no assertion of theirs
// reached) are read for Unentered, beside those Catalogue reads for the
// table, which they leave as it was: only what the package compiles
// (not its tests, files that build constraints leave out, generated
// code), only the calls that would be gaps, and not a Run's body, a
// message reached elsewhere, a call a seed misused, nor another
// directory, testdata, or a directory outside the module.
func TestCatalogueListsTheUnenteredFilesOfItsPackages(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		file := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o777))
		require.NoError(t, os.WriteFile(file, []byte(src), 0o666))
		return file
	}
	const head = "package lib\n\nimport \"github.com/moonpool-go/moonpool/assertions\"\n\n"
	lib := write("lib/lib.go", head+`func Work(ctx context.Context, n int) {
	assertions.Always(ctx, n >= 0, "n is not negative")
	if n > 10 {
		assertions.Sometimes(ctx, true, "n is large")
	}
}
`)
	rare := write("lib/rare.go", "package lib\n\nimport (\n\t\"github.com/moonpool-go/moonpool/assertions\"\n\t\"github.com/moonpool-go/moonpool/simtest\"\n)\n"+`func Rare(ctx context.Context, n int) {
	if n > 1000 {
		assertions.Reachable(ctx, "the rare branch was taken")
	}
	assertions.Unreachable(ctx, "may rightly go unreached")
	assertions.Always(ctx, n >= 0, "n is not negative")
	assertions.Always(ctx, n < 1e9, "misused here")
	assertions.Sometimes(ctx, n > 5, msg)
	assertions.Sometimes(ctx, n > 7, "n is large")
	run := func(s *simtest.S) { assertions.Sometimes(s.Context(), true, "another test's body") }
}
`)
	write("lib/lib_test.go", head+"func TestX(t *testing.T) { assertions.Sometimes(ctx, true, \"a test's\") }\n")
	write("lib/gen.go", "// Code generated by hand. DO NOT EDIT.\n\n"+head+"func G() { assertions.Reachable(ctx, \"generated\") }\n")
	write("lib/ignored.go", "//go:build ignore\n\n"+head+"func I() { assertions.Reachable(ctx, \"built by no one\") }\n")
	write("lib/plain.go", "package lib\n\nfunc Plain() {}\n")
	write("lib/testdata/td.go", head+"func T() { assertions.Reachable(ctx, \"testdata\") }\n")
	write("other/other.go", head+"func O() { assertions.Reachable(ctx, \"another package's\") }\n")
	write("pkg/helper.go", head+"func H() { assertions.Reachable(ctx, \"the test's own package's\") }\n")

	b := New(nil)
	s := b.Begin(1, nil, Hooks{})
	e, err := b.Declare(simctx.Always, "n is not negative", &Site{File: lib, Line: 6})
	require.NoError(t, err)
	s.Check(e, true)
	s.misuse(&Site{File: rare, Line: 13}, simctx.Always, "misused here", "a NaN operand")
	s.End()
	b.ReadPackage(filepath.Join(dir, "pkg"))
	b.ReadPackage(filepath.Join(dir, "lib", "testdata"))
	b.ReadPackage(t.TempDir())

	assert.Equal(t, 1, b.Catalogue(dir), "lib.go's Sometimes, as before")
	rows := b.Rows()
	require.Len(t, rows, 2, "the table is as it was")
	assert.Equal(t, "n is large", rows[1].Msg)

	type call struct {
		Kind simctx.AssertKind
		Msg  string
		File string
		Line int
	}
	var got []call
	for _, u := range b.Unentered() {
		got = append(got, call{u.Kind, u.Msg, strings.TrimPrefix(u.Site.File, dir+string(filepath.Separator)), u.Site.Line})
	}
	want := []call{
		{simctx.Reachable, "the rare branch was taken", filepath.FromSlash("lib/rare.go"), 9},
		{simctx.Sometimes, "", filepath.FromSlash("lib/rare.go"), 14},
		{simctx.Reachable, "the test's own package's", filepath.FromSlash("pkg/helper.go"), 5},
	}
	assert.Empty(t, cmp.Diff(want, got))
	assert.Equal(t, 9, b.Unentered()[0].Site.EndLine, "a call's extent is known")

	assert.Equal(t, 1, b.Catalogue(""), "any module")
	assert.Empty(t, b.Unentered(), "with no module known, no other directory is read")
}

// A Run's body that names a workload type, or a helper, declared apart in
// a _test.go file of its package, ties their functions to the Run: their
// calls that no seed reached are listed for Unentered, in a file no seed
// entered or beside the function read; not gaps, since another test may
// be the one that uses them. A function the Run does not name, another
// test's, is not listed.
func TestCatalogueListsTheUnenteredFunctionsTheRunNames(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		file := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(file, []byte(src), 0o666))
		return file
	}
	const head = "package p_test\n\nimport (\n\t\"github.com/moonpool-go/moonpool/assertions\"\n\t\"github.com/moonpool-go/moonpool/simtest\"\n)\n\n"
	body := write("p_test.go", head+`func TestA(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		assertions.Sometimes(s.Context(), true, "the body's")
		check(s.Context(), 1)
		s.Boot().Run(simtest.Phases{}, &wl{})
	})
}

func check(ctx context.Context, n int) {
	if n > 9 {
		assertions.Reachable(ctx, "the helper's branch")
	}
}

func other(ctx context.Context) {
	assertions.Sometimes(ctx, true, "another test's")
}
`)
	write("workload_test.go", head+`type wl struct{}

func (w *wl) Check(ctx context.Context, p providers.Providers) error {
	if w == nil {
		assertions.Sometimes(ctx, true, "a check found nothing")
	}
	return nil
}

type unused struct{}

func (unused) Check(ctx context.Context) { assertions.Sometimes(ctx, true, "unused's") }
`)
	b := New(nil)
	s := b.Begin(1, nil, Hooks{})
	e, err := b.Declare(simctx.Sometimes, "the body's", &Site{File: body, Line: 10})
	require.NoError(t, err)
	s.Check(e, true)
	s.End()
	b.Enter(body, 9, "example.com/p_test.TestA.func1")
	b.Catalogue(dir)
	var rows []string
	for _, r := range b.Rows() {
		rows = append(rows, r.Msg)
	}
	assert.Equal(t, []string{"the body's"}, rows, "no gap")
	var got []string
	for _, u := range b.Unentered() {
		got = append(got, fmt.Sprintf("%s:%d %s", filepath.Base(u.Site.File), u.Site.Line, u.Msg))
	}
	assert.Equal(t, []string{"p_test.go:18 the helper's branch", "workload_test.go:12 a check found nothing"}, got)
}

// TestFirstFailureNamesItsTimeline: a failure first seen in a timeline
// that branched from its seed's run is not the seed's, and the table
// names the timeline, whole when it is short.
func TestFirstFailureNamesItsTimeline(t *testing.T) {
	row := func(h Hit) string { return Row{Kind: simctx.Always, FirstFail: &h}.Progress() }
	assert.Equal(t, "first in seed 42", row(Hit{Seed: 42}))
	assert.Equal(t, "first in timeline 42/162:7/402:9", row(Hit{Seed: 42, Recipe: "42/162:7/402:9"}))
	deep := "42" + strings.Repeat("/1034:8312757572264196209", 5)
	assert.Equal(t, "first in a timeline branched from seed 42 (its recipe is on the replay line)", row(Hit{Seed: 42, Recipe: deep}))
}

// An Always's seeds true are those that reached it in which it never
// failed, as a Sometimes's are those in which it came true: one that held
// hundreds of times reads as held, not as never true.
func TestAnAlwaysIsTrueInTheSeedsItHeldIn(t *testing.T) {
	b := New(nil)
	var g signals
	for seed, oks := range [][]bool{{true, true}, {true, false, true}, {true}, nil} {
		s := b.Begin(uint64(seed+1), &clock{}, g.hooks())
		for _, ok := range oks {
			s.Assert(simctx.Assertion{Kind: simctx.Always, Msg: "a", OK: ok})
		}
		s.End()
	}
	rows := b.Rows()
	require.Len(t, rows, 1)
	assert.Equal(t, 3, rows[0].Seeds, "the seeds that reached it")
	assert.Equal(t, 2, rows[0].SeedsTrue, "those of them it never failed in")
}

// An unentered call whose source gives it a context that carries no
// simulation says so: its code may have run in every seed, and the call
// checked nothing.
func TestUnenteredTellsACallGivenNoSimulation(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "lib", "ctl.go")
	require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o777))
	require.NoError(t, os.WriteFile(file, []byte(`package lib

import (
	stdctx "context"

	"github.com/moonpool-go/moonpool/assertions"
)

func Elect(ctx stdctx.Context) {
	assertions.Sometimes(stdctx.Background(), true, "a new leader is elected")
	assertions.Reachable((stdctx.TODO()), "todo")
	assertions.Reachable(ctx, "given the task's")
	assertions.Reachable(other.Background(), "another package's Background")
}
`), 0o666))
	b := New(nil)
	b.ReadPackage(filepath.Dir(file))
	b.Catalogue(dir)
	got := map[string]string{}
	for _, u := range b.Unentered() {
		got[u.Msg] = u.Simless
	}
	assert.Empty(t, cmp.Diff(map[string]string{
		"a new leader is elected":      "stdctx.Background()",
		"todo":                         "stdctx.TODO()",
		"given the task's":             "",
		"another package's Background": "",
	}, got))
}
