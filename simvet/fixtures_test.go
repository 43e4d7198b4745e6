package simvet_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/analysistest"
	"golang.org/x/tools/go/packages"

	"github.com/moonpool-go/moonpool/simvet"
)

// fixtureRules maps each rule's test package under testdata/src to the
// rule that checks it. The fixes of those in fixPackages are checked
// against .golden files; the others' fixes are not looked at.
var fixtureRules = map[string]*analysis.Analyzer{
	"goroutine":   simvet.Goroutine,
	"chanrule":    simvet.Chan,
	"syncrule":    simvet.Sync,
	"wallclock":   simvet.Wallclock,
	"globalrand":  simvet.Globalrand,
	"osnet":       simvet.Osnet,
	"maporder":    simvet.Maporder,
	"globalstate": simvet.Globalstate,
	"assertctx":   simvet.Assertctx,
	"testingt":    simvet.Testingt,
	"directives":  simvet.Wallclock,
	"malformed":   simvet.Scope,
	"scope":       simvet.Scope,
	"outside":     simvet.Wallclock,
	"mainprog":    simvet.Wallclock,
	"cgo":         simvet.Scope, // loaded only where cgo is on
}

// otherPackages are the test packages that runAll runs every rule over,
// and fixdeps, which imports what a fix may import, for TestFixesBuild.
var otherPackages = []string{
	"production",
	"productionabove",
	"slips",
	"github.com/moonpool-go/moonpool/providers",
	"github.com/moonpool-go/moonpool/internal/engine",
	"github.com/moonpool-go/moonpool/examples/ex",
	"fixdeps",
}

// byFixture runs, on each package of fixtureRules (and its tests), the
// rule that the package tests, as analysistest would run that rule alone.
var byFixture = &analysis.Analyzer{
	Name: "byfixture",
	Doc:  "runs on each test package the rule it tests",
	Run: func(pass *analysis.Pass) (any, error) {
		name := fixtureName(pass.Pkg.Path())
		rule := fixtureRules[name]
		if rule == nil {
			return nil, nil
		}
		p := *pass
		p.Analyzer = rule
		if !slices.Contains(fixPackages, name) {
			p.Report = func(d analysis.Diagnostic) {
				d.SuggestedFixes = nil
				pass.Report(d)
			}
		}
		return rule.Run(&p)
	},
}

// fixtureName is the test package under testdata/src that the package at
// path is, or is a test of.
func fixtureName(path string) string {
	return strings.TrimSuffix(strings.TrimSuffix(path, ".test"), "_test")
}

// fixtures is one analysistest run over every test package. Loading them
// type-checks their imports from source, net/http and crypto/tls among
// them, which costs far more than analyzing them, so this package's tests
// share one load: each rule's test reports the errors in its own files.
type fixtures struct {
	dir   string
	roots []*packages.Package // the packages loaded, with their tests
	errs  []string            // what analysistest found wrong
}

var sharedFixtures = sync.OnceValue(func() *fixtures {
	f := &fixtures{dir: analysistest.TestData()}
	var patterns []string
	for name := range fixtureRules {
		if name != "cgo" || cgoEnabled() {
			patterns = append(patterns, name)
		}
	}
	slices.Sort(patterns)
	patterns = append(patterns, otherPackages...)
	for _, r := range analysistest.RunWithSuggestedFixes((*errorLog)(&f.errs), f.dir, byFixture, patterns...) {
		f.roots = append(f.roots, r.Action.Package)
	}
	return f
})

// loadFixtures returns the shared run, which must have loaded.
func loadFixtures(t *testing.T) *fixtures {
	t.Helper()
	f := sharedFixtures()
	require.NotEmpty(t, f.roots, "the test packages do not load:\n%s", strings.Join(f.errs, "\n"))
	return f
}

// checkFixtures fails t with what the shared run found wrong in the named
// test packages, and with what it found wrong that is no package's.
func checkFixtures(t *testing.T, names ...string) {
	t.Helper()
	f := loadFixtures(t)
	for _, name := range names {
		require.Contains(t, fixtureRules, name)
		require.True(t, slices.ContainsFunc(f.roots, func(p *packages.Package) bool { return p.PkgPath == name }),
			"%s was not analyzed", name)
	}
	// analysistest names a file by its path, or by its path from
	// testdata/src.
	in := func(e, name string) bool {
		dir := name + string(filepath.Separator)
		return strings.HasPrefix(e, dir) || strings.Contains(e, string(filepath.Separator)+filepath.Join("src", dir))
	}
	for _, e := range f.errs {
		mine := slices.ContainsFunc(names, func(name string) bool { return in(e, name) })
		owned := false
		for name := range fixtureRules {
			owned = owned || in(e, name)
		}
		if mine || !owned {
			t.Error(e)
		}
	}
}

// errorLog collects what analysistest reports.
type errorLog []string

func (l *errorLog) Errorf(format string, args ...any) { *l = append(*l, fmt.Sprintf(format, args...)) }

var cgoEnabled = sync.OnceValue(func() bool {
	out, err := exec.Command("go", "env", "CGO_ENABLED").Output()
	return err == nil && strings.TrimSpace(string(out)) == "1"
})
