package simvet_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	"github.com/moonpool-go/moonpool/simvet"
)

// Each rule has a package under testdata/src with the findings it must
// report (// want), the code it must leave alone, and, where it suggests
// fixes, the fixed file (.golden). Each test checks its fixtures' share of
// one analysistest run over them all (see fixtures).

func TestGoroutine(t *testing.T) {
	t.Parallel()
	checkFixtures(t, "goroutine")
}

func TestChan(t *testing.T) {
	t.Parallel()
	checkFixtures(t, "chanrule")
}

func TestSync(t *testing.T) {
	t.Parallel()
	checkFixtures(t, "syncrule")
}

func TestWallclock(t *testing.T) {
	t.Parallel()
	checkFixtures(t, "wallclock")
}

func TestGlobalrand(t *testing.T) {
	t.Parallel()
	checkFixtures(t, "globalrand")
}

func TestOsnet(t *testing.T) {
	t.Parallel()
	checkFixtures(t, "osnet")
}

func TestMaporder(t *testing.T) {
	t.Parallel()
	checkFixtures(t, "maporder")
}

func TestGlobalstate(t *testing.T) {
	t.Parallel()
	checkFixtures(t, "globalstate")
}

func TestAssertctx(t *testing.T) {
	t.Parallel()
	checkFixtures(t, "assertctx")
}

func TestTestingt(t *testing.T) {
	t.Parallel()
	checkFixtures(t, "testingt")
}

// Directives: an allow silences its line, an unused one is reported by its
// rule, a malformed one by Scope.
func TestDirectives(t *testing.T) {
	t.Parallel()
	checkFixtures(t, "directives", "malformed")
}

// A package that opts out (with the directive at the end of its doc
// comment, or above it), and this module's own packages but for
// examples/, are not looked at by any rule.
func TestOptedOutAndExempt(t *testing.T) {
	t.Parallel()
	for _, d := range runAll(t, "production", "productionabove", "github.com/moonpool-go/moonpool/providers", "github.com/moonpool-go/moonpool/internal/engine") {
		t.Errorf("unexpected diagnostic: %s", d)
	}
	got := runAll(t, "github.com/moonpool-go/moonpool/examples/ex")
	require.Len(t, got, 1, "examples/ are checked")
	assert.Contains(t, got[0], "wallclock: time.Now")
}

// Files left out by build constraints are reported, unless allowed, and
// so are cgo imports. (Findings in generated files say so: see
// testdata/src/wallclock/generated.go.)
func TestScope(t *testing.T) {
	t.Parallel()
	checkFixtures(t, "scope")
}

// One mistake per rule, as docs/simvet.md shows them: the report is
// testdata/slips.golden (go test -run TestSlips -update rewrites it).
func TestSlips(t *testing.T) {
	t.Parallel()
	got := strings.Join(runAll(t, "slips"), "\n") + "\n"
	const golden = "testdata/slips.golden"
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("simvet's findings on testdata/src/slips changed (-golden +now); go test -run TestSlips -update:\n%s", diff)
	}
}

// runAll runs every analyzer over the packages of testdata/src that
// patterns name, with their tests, and returns the diagnostics.
func runAll(t *testing.T, patterns ...string) []string {
	t.Helper()
	var roots []*packages.Package
	for _, p := range loadFixtures(t).roots {
		for _, pat := range patterns {
			// The IDs packages.Load gives a pattern's package, its test
			// variants and its test main.
			if p.ID == pat || strings.HasPrefix(p.ID, pat+" [") || strings.HasPrefix(p.ID, pat+"_test [") || p.ID == pat+".test" {
				roots = append(roots, p)
			}
		}
	}
	require.NotEmpty(t, roots, "no test package matches %v", patterns)
	g, err := checker.Analyze(simvet.Analyzers, roots, nil)
	require.NoError(t, err)
	dir := loadFixtures(t).dir
	var out []string
	for _, act := range g.Roots {
		require.NoError(t, act.Err)
		for _, d := range act.Diagnostics {
			posn := act.Package.Fset.Position(d.Pos)
			posn.Filename, _ = filepath.Rel(dir, posn.Filename)
			out = append(out, fmt.Sprintf("%s: %s", posn, d.Message))
		}
	}
	// A package's files are analyzed again in its test variant; the
	// driver prints each finding once.
	slices.Sort(out)
	return slices.Compact(out)
}

// The C side of cgo is reported as not analyzed.
func TestScopeCgo(t *testing.T) {
	t.Parallel()
	if !cgoEnabled() {
		t.Skip("cgo is disabled here")
	}
	checkFixtures(t, "cgo")
}

// //simvet:outside opts one file out; the package's other files are
// checked.
func TestOutsideFile(t *testing.T) {
	t.Parallel()
	checkFixtures(t, "outside")
}

// A main package may be a program, which simvet should be told to pass
// over: a rule's first finding there says so.
func TestAMainPackageHearsOfProgramsOnce(t *testing.T) {
	t.Parallel()
	checkFixtures(t, "mainprog")
}

// The wallclock rule's text lists every library call the rule knows, under
// the library's import path, so that docs/simvet.md lists them too.
func TestWallclockLibrariesListed(t *testing.T) {
	t.Parallel()
	// Each library is a line "\tpath[, path]" followed by lines of names
	// indented further.
	listed := map[string]string{}
	var paths []string
	for _, line := range strings.Split(simvet.Wallclock.Doc, "\n") {
		switch {
		case strings.HasPrefix(line, "\t    "):
			for _, p := range paths {
				listed[p] += " " + line
			}
		case strings.HasPrefix(line, "\t"):
			paths = strings.Split(strings.TrimSpace(line), ", ")
		default:
			paths = nil
		}
	}
	words := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	}
	calls := simvet.TimeLibCalls()
	require.NotEmpty(t, calls)
	for _, c := range calls {
		path, recv, name := c[0], c[1], c[2]
		names, ok := listed[path]
		if !assert.True(t, ok, "wallclock's text does not list %s", path) {
			continue
		}
		assert.Contains(t, words(names), name, "wallclock's text does not list %s's %s", path, name)
		if recv != "" {
			assert.Contains(t, words(names), recv, "wallclock's text does not name %s's %s", path, recv)
		}
	}
}
