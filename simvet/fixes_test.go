package simvet_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	"github.com/moonpool-go/moonpool/simvet"
)

// fixPackages are the test packages whose findings carry suggested fixes.
var fixPackages = []string{"goroutine", "wallclock", "globalrand", "osnet", "maporder", "assertctx", "testingt"}

// A suggested fix must leave code that builds, whether an editor applies it
// alone (its edits exactly, nothing more) or a driver applies every fix of
// a file together (analysistest's golden files hold that result, with the
// imports the driver drops as unused removed). Each case is type-checked.
func TestFixesBuild(t *testing.T) {
	t.Parallel()
	// The fixed code is checked against the packages loaded, fixdeps's
	// imports among them, as a fix may import those.
	loaded := map[string]*types.Package{}
	var roots []*packages.Package
	for _, p := range loadFixtures(t).roots {
		if p.ID != p.PkgPath || strings.HasSuffix(p.ID, ".test") {
			continue // a test variant or a test main
		}
		packages.Visit([]*packages.Package{p}, nil, func(p *packages.Package) { loaded[p.PkgPath] = p.Types })
		if slices.Contains(fixPackages, p.PkgPath) {
			roots = append(roots, p)
		}
	}
	require.Len(t, roots, len(fixPackages))
	g, err := checker.Analyze(simvet.Analyzers, roots, nil)
	require.NoError(t, err)

	fixes := 0
	fixed := map[string]bool{} // the files some fix edits
	for _, act := range g.Roots {
		require.NoError(t, act.Err)
		for _, d := range act.Diagnostics {
			for _, sf := range d.SuggestedFixes {
				fixes++
				file := act.Package.Fset.File(sf.TextEdits[0].Pos).Name()
				fixed[file] = true
				src, err := os.ReadFile(file)
				require.NoError(t, err)
				fixed := applyEdits(t, act.Package.Fset, src, sf.TextEdits)
				if err := typeCheck(act.Package, loaded, file, fixed); err != nil {
					posn := act.Package.Fset.Position(d.Pos)
					t.Errorf("%s: the fix %q, applied alone, does not build: %v\n%s", posn, sf.Message, err, fixed)
				}
			}
		}
	}
	require.NotZero(t, fixes, "no suggested fixes to check")

	for _, p := range roots {
		for _, file := range p.CompiledGoFiles {
			golden, err := os.ReadFile(file + ".golden")
			if os.IsNotExist(err) {
				continue
			}
			require.NoError(t, err)
			// analysistest compares only the files that fixes edit: a
			// golden file that expects a fix where none is offered would
			// pass unread there.
			if src, err := os.ReadFile(file); err == nil && string(src) != string(golden) && !fixed[file] {
				t.Errorf("%s.golden expects fixes, and no fix edits %s", file, filepath.Base(file))
			}
			if err := typeCheck(p, loaded, file, golden); err != nil {
				t.Errorf("%s.golden, every fix applied, does not build: %v", file, err)
			}
		}
	}
}

// applyEdits applies a fix's edits to src, as an editor does.
func applyEdits(t *testing.T, fset *token.FileSet, src []byte, edits []analysis.TextEdit) []byte {
	t.Helper()
	edits = slices.Clone(edits)
	slices.SortFunc(edits, func(a, b analysis.TextEdit) int { return int(a.Pos - b.Pos) })
	tf := fset.File(edits[0].Pos)
	var out []byte
	at := 0
	for _, e := range edits {
		start, end := tf.Offset(e.Pos), tf.Offset(e.End)
		require.GreaterOrEqual(t, start, at, "a fix's edits overlap")
		out = append(append(out, src[at:start]...), e.NewText...)
		at = end
	}
	return append(out, src[at:]...)
}

// typeCheck type-checks p with file's source replaced by src.
func typeCheck(p *packages.Package, loaded map[string]*types.Package, file string, src []byte) error {
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range p.CompiledGoFiles {
		var text any
		if name == file {
			text = src
		}
		f, err := parser.ParseFile(fset, name, text, parser.ParseComments)
		if err != nil {
			return err
		}
		files = append(files, f)
	}
	var errs []string
	conf := types.Config{
		Importer: importerFunc(func(path string) (*types.Package, error) {
			if tp, ok := loaded[path]; ok {
				return tp, nil
			}
			return nil, fmt.Errorf("package %s was not loaded for the check", path)
		}),
		Error: func(err error) { errs = append(errs, err.Error()) },
	}
	conf.Check(p.PkgPath, fset, files, nil)
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }
