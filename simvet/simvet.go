package simvet

import (
	"go/ast"
	"go/token"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/tools/go/analysis"
)

// Analyzers are every rule of simvet, plus [Scope], in the order of the
// checklist. cmd/simvet runs them all.
var Analyzers = []*analysis.Analyzer{
	Goroutine,
	Chan,
	Sync,
	Wallclock,
	Globalrand,
	Osnet,
	Maporder,
	Globalstate,
	Assertctx,
	Testingt,
	Scope,
}

// The rules, one analyzer each. Their texts are in doc.go.
var (
	Goroutine   = newRule("goroutine", goroutineDoc, runGoroutine)
	Chan        = newRule("chan", chanDoc, runChan)
	Sync        = newRule("sync", syncDoc, runSync)
	Wallclock   = newRule("wallclock", wallclockDoc, runWallclock)
	Globalrand  = newRule("globalrand", globalrandDoc, runGlobalrand)
	Osnet       = newRule("osnet", osnetDoc, runOsnet)
	Maporder    = newRule("maporder", maporderDoc, runMaporder)
	Globalstate = newRule("globalstate", globalstateDoc, runGlobalstate)
	Assertctx   = newRule("assertctx", assertctxDoc, runAssertctx)
	Testingt    = newRule("testingt", testingtDoc, runTestingt)
)

// module is this module's path; providersPath is the seam's.
const (
	module        = "github.com/moonpool-go/moonpool"
	providersPath = module + "/providers"
	synctestPath  = "testing/synctest"
)

// exemptPackage reports whether simvet leaves the package at path alone
// by rule. Test mains that go test generates (path.test) call os.Exit and
// are no one's code. This module's own packages, except examples/, are
// the simulation's side of the seam, where goroutines, locks, channels,
// the wall clock and the operating system are meant to be used: providers
// holds the real implementations (providers.Real, OpenOSStorage) and the
// primitives' fallbacks to the runtime; internal/ is the engine and its
// devices, which run the scheduler on goroutines and watch it with a
// real-time watchdog; simtest drives the engine from the test goroutine;
// assertions and chaos find their simulation through the context and do
// nothing outside one; simvet and cmd never run in a simulation. They are
// kept deterministic by their own tests (the same seed, the same trace).
// examples/ are written as a user writes code under test, and checked.
func exemptPackage(path string) bool {
	if strings.HasSuffix(path, ".test") {
		return true
	}
	path = strings.TrimSuffix(path, "_test")
	return (path == module || strings.HasPrefix(path, module+"/")) &&
		path != module+"/examples" && !strings.HasPrefix(path, module+"/examples/")
}

// newRule makes the analyzer of one rule: run sees only what the rule may
// report on, and what it reports passes through the //simvet:allow
// directives of the package.
func newRule(name, doc string, run func(*checker)) *analysis.Analyzer {
	return &analysis.Analyzer{
		Name: name,
		Doc:  doc,
		URL:  "https://pkg.go.dev/" + module + "/simvet#hdr-" + name,
		Run: func(pass *analysis.Pass) (any, error) {
			c := newChecker(pass, name)
			if c.optedOut {
				return nil, nil
			}
			run(c)
			c.reportUnused()
			return nil, nil
		},
	}
}

// checker is one rule's view of one package.
type checker struct {
	pass     *analysis.Pass
	rule     string
	optedOut bool
	allows   []*directive // this rule's allow directives
	outside  []string     // files that opt out with //simvet:outside
	test     []span       // bodies that run on the test goroutine
	tasks    []span       // function literals inside them, which may be tasks
	// hinted: a finding in a main package has said how a program opts
	// out; the rule's later findings there need not.
	hinted bool
}

type span struct{ pos, end token.Pos }

func (s span) contains(p token.Pos) bool { return s.pos <= p && p < s.end }

func newChecker(pass *analysis.Pass, rule string) *checker {
	c := &checker{pass: pass, rule: rule}
	if exemptPackage(pass.Pkg.Path()) {
		c.optedOut = true
		return c
	}
	if optedOutBeside(pass) {
		c.optedOut = true
		return c
	}
	ds := parseDirectives(pass)
	for _, d := range ds {
		if d.kind == production && d.err == "" {
			c.optedOut = true
			return c
		}
		if d.kind == outside && d.err == "" {
			c.outside = append(c.outside, d.file)
		}
	}
	for _, d := range ds {
		if d.kind == allow && d.err == "" && d.rule == rule && !slices.Contains(c.outside, d.file) {
			c.allows = append(c.allows, d)
		}
	}
	for _, f := range pass.Files {
		if !strings.HasSuffix(pass.Fset.File(f.Pos()).Name(), "_test.go") {
			continue
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || fd.Body == nil || !testFunc(fd.Name.Name) {
				continue
			}
			c.test = append(c.test, span{fd.Body.Pos(), fd.Body.End()})
			// Subtests, sub-benchmarks, fuzz targets and synctest's
			// bubbles run on the test's side too; any other function
			// literal may be a task.
			sub := map[*ast.FuncLit]bool{}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					if fn := callee(pass.TypesInfo, n); fn != nil && fn.Pkg() != nil && (fn.Pkg().Path() == "testing" || fn.Pkg().Path() == synctestPath) {
						for _, a := range n.Args {
							if fl, ok := a.(*ast.FuncLit); ok {
								sub[fl] = true
							}
						}
					}
				case *ast.FuncLit:
					if !sub[n] {
						c.tasks = append(c.tasks, span{n.Pos(), n.End()})
						return false
					}
				}
				return true
			})
		}
	}
	return c
}

// testFunc reports whether a top-level function of a _test.go file is run
// by go test on its own goroutine, outside any simulation. As for go test,
// the prefix is followed by nothing or by a rune that is not lower case:
// Testbed is a helper, which may run in a simulation.
func testFunc(name string) bool {
	if name == "TestMain" {
		return true
	}
	for _, p := range []string{"Test", "Benchmark", "Fuzz", "Example"} {
		if rest, ok := strings.CutPrefix(name, p); ok {
			r, _ := utf8.DecodeRuneInString(rest)
			return rest == "" || !unicode.IsLower(r)
		}
	}
	return false
}

// onTestGoroutine reports whether pos is in the body of a test function
// and outside the function literals in it (a simtest.Run body, a task).
func (c *checker) onTestGoroutine(pos token.Pos) bool {
	for _, s := range c.test {
		if s.contains(pos) {
			for _, t := range c.tasks {
				if t.contains(pos) {
					return false
				}
			}
			return true
		}
	}
	return false
}

// report reports a finding of the rule at node unless a directive allows
// it or it runs on the test goroutine.
func (c *checker) report(n ast.Node, msg string, fixes ...analysis.SuggestedFix) {
	c.reportRange(n.Pos(), n.End(), msg, fixes...)
}

func (c *checker) reportRange(pos, end token.Pos, msg string, fixes ...analysis.SuggestedFix) {
	if c.onTestGoroutine(pos) {
		return
	}
	tf := c.pass.Fset.File(pos)
	if slices.Contains(c.outside, tf.Name()) {
		return
	}
	line := tf.Line(pos)
	for _, d := range c.allows {
		if d.file == tf.Name() && d.line == line {
			d.used = true
			return
		}
	}
	if f := fileOf(c.pass, pos); f != nil {
		switch cgo := cgoKind(f); {
		case cgo == cgoOwn:
			return // cgo's own stubs, not the user's code
		case cgo == notCgo && ast.IsGenerated(f):
			msg += " (in a generated file: fix its generator, or opt the package out with //simvet:production)"
			fixes = nil
		}
	}
	if c.pass.Pkg.Name() == "main" && !c.hinted && c.rule != "scope" {
		// A main package most often wires providers.Real() and never runs
		// in a simulation, or is a program, which runs in one as it is
		// (package program): its code is the standard library's on
		// purpose. None of these fixes are for either.
		c.hinted = true
		msg += " (if this main package wires providers.Real() for production and never runs in a simulation, or runs as a program through package program, written against the standard library on purpose: mark one of its files //simvet:production, docs/simvet.md)"
	}
	c.pass.Report(analysis.Diagnostic{
		Pos:            pos,
		End:            end,
		Category:       c.rule,
		Message:        c.rule + ": " + msg,
		SuggestedFixes: fixes,
	})
}

func (c *checker) reportUnused() {
	for _, d := range c.allows {
		if !d.used {
			c.pass.Report(analysis.Diagnostic{
				Pos:      d.pos,
				End:      d.end,
				Category: c.rule,
				Message:  c.rule + ": //simvet:allow " + c.rule + " allows nothing on the line it applies to; remove it",
			})
		}
	}
}
