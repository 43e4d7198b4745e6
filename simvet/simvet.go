package simvet

import (
	"go/ast"
	"go/token"
	"go/types"
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
	simtestPath   = module + "/simtest"
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
	var helpers []*ast.FuncDecl
	for _, f := range pass.Files {
		if !strings.HasSuffix(pass.Fset.File(f.Pos()).Name(), "_test.go") {
			continue
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			switch {
			case fd.Recv == nil && testFunc(fd.Name.Name), fd.Recv != nil && suiteTestMethod(pass.TypesInfo, fd):
				c.addTestBody(fd.Body)
			case fd.Recv == nil && (!ast.IsExported(fd.Name.Name) || strings.HasSuffix(pass.Pkg.Name(), "_test")):
				// No other package's code can call it.
				helpers = append(helpers, fd)
			}
		}
	}
	c.addTestHelpers(helpers)
	return c
}

// addTestBody adds body, which runs on the test goroutine, outside any
// simulation. Subtests, sub-benchmarks, fuzz targets, a testify suite's
// subtests and synctest's bubbles run on the test's side too, and so do
// the goroutines a bubble starts with go statements of function literals,
// and the function a sync.Once's Do runs; any other function literal in
// it may be a task.
func (c *checker) addTestBody(body *ast.BlockStmt) {
	c.test = append(c.test, span{body.Pos(), body.End()})
	sub := map[*ast.FuncLit]bool{}
	var bubbles []span // synctest.Test's functions
	inBubble := func(pos token.Pos) bool {
		return slices.ContainsFunc(bubbles, func(b span) bool { return b.contains(pos) })
	}
	c.namedGoLits(body, sub)
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			if fl, ok := ast.Unparen(n.Call.Fun).(*ast.FuncLit); ok && inBubble(n.Pos()) {
				sub[fl] = true
			}
		case *ast.CallExpr:
			if fn := callee(c.pass.TypesInfo, n); onceDo(fn) {
				// sync.Once.Do runs its function before it returns, on
				// the caller's goroutine: a build-once helper's.
				if fl, ok := ast.Unparen(n.Args[0]).(*ast.FuncLit); ok {
					sub[fl] = true
				}
			} else if fn != nil && fn.Pkg() != nil && slices.Contains([]string{"testing", synctestPath, suitePath}, fn.Pkg().Path()) {
				for _, a := range n.Args {
					if fl, ok := a.(*ast.FuncLit); ok {
						sub[fl] = true
						if fn.Pkg().Path() == synctestPath {
							bubbles = append(bubbles, span{fl.Pos(), fl.End()})
						}
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

// onceDo reports whether fn is sync.Once's Do.
func onceDo(fn *types.Func) bool {
	if fn == nil || fn.Name() != "Do" {
		return false
	}
	recv := fn.Signature().Recv()
	return recv != nil && isNamed(recv.Type(), "sync", "Once")
}

// namedGoLits marks in sub the function literals of body that a bubble
// binds to a local variable, once, and starts with a go statement of the
// variable (worker := func() {...}; go worker()): the bubble's goroutines,
// as a go statement's literal is.
func (c *checker) namedGoLits(body *ast.BlockStmt, sub map[*ast.FuncLit]bool) {
	info := c.pass.TypesInfo
	var bubbles []span
	ast.Inspect(body, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if fn := callee(info, call); fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == synctestPath {
				for _, a := range call.Args {
					if fl, ok := a.(*ast.FuncLit); ok {
						bubbles = append(bubbles, span{fl.Pos(), fl.End()})
					}
				}
			}
		}
		return true
	})
	if len(bubbles) == 0 {
		return
	}
	inBubble := func(pos token.Pos) bool {
		return slices.ContainsFunc(bubbles, func(b span) bool { return b.contains(pos) })
	}
	started := map[types.Object]bool{} // variables a bubble's go statement calls
	bound := map[types.Object][]*ast.FuncLit{}
	assigned := map[types.Object]int{} // how many times each is assigned
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			if id, ok := ast.Unparen(n.Call.Fun).(*ast.Ident); ok && inBubble(n.Pos()) {
				if v, ok := info.Uses[id].(*types.Var); ok {
					started[v] = true
				}
			}
		case *ast.AssignStmt:
			for i, lhs := range n.Lhs {
				id, ok := lhs.(*ast.Ident)
				if !ok {
					continue
				}
				obj := info.Defs[id]
				if obj == nil {
					obj = info.Uses[id]
				}
				if obj == nil {
					continue
				}
				assigned[obj]++
				if len(n.Rhs) == len(n.Lhs) {
					if fl, ok := ast.Unparen(n.Rhs[i]).(*ast.FuncLit); ok && inBubble(fl.Pos()) {
						bound[obj] = append(bound[obj], fl)
					}
				}
			}
		case *ast.UnaryExpr: // &worker: it may be assigned elsewhere
			if id, ok := n.X.(*ast.Ident); ok && n.Op == token.AND {
				if obj := info.Uses[id]; obj != nil {
					assigned[obj] += 2
				}
			}
		}
		return true
	})
	for obj, lits := range bound {
		if started[obj] && assigned[obj] == 1 && len(lits) == 1 {
			sub[lits[0]] = true
		}
	}
}

// addTestHelpers adds the bodies of the helpers (functions of _test.go
// files that no other package can call) that run only on the test
// goroutine: each is called, and only called, from test functions outside
// their function literals, or from helpers that are. A helper called from
// a simulation body or a task, or used other than by a call, may run in a
// simulation, and stays checked; so does one never called.
func (c *checker) addTestHelpers(helpers []*ast.FuncDecl) {
	if len(helpers) == 0 {
		return
	}
	info := c.pass.TypesInfo
	byFunc := map[*types.Func]*ast.FuncDecl{}
	for _, fd := range helpers {
		if fn, ok := info.Defs[fd.Name].(*types.Func); ok {
			byFunc[fn] = fd
		}
	}
	called := map[*ast.Ident]bool{} // identifiers that name the function a call calls
	uses := map[*types.Func][]*ast.Ident{}
	for _, f := range c.pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				fun := ast.Unparen(n.Fun)
				if ix, ok := fun.(*ast.IndexExpr); ok {
					fun = ast.Unparen(ix.X)
				} else if ix, ok := fun.(*ast.IndexListExpr); ok {
					fun = ast.Unparen(ix.X)
				}
				if id, ok := fun.(*ast.Ident); ok {
					called[id] = true
				}
			case *ast.Ident:
				if fn, ok := info.Uses[n].(*types.Func); ok && byFunc[fn.Origin()] != nil {
					uses[fn.Origin()] = append(uses[fn.Origin()], n)
				}
			}
			return true
		})
	}
	onTest := map[*types.Func]bool{}
	for changed := true; changed; {
		changed = false
		for fn, fd := range byFunc {
			if onTest[fn] || len(uses[fn]) == 0 {
				continue
			}
			all := true
			for _, id := range uses[fn] {
				all = all && called[id] && c.onTestGoroutine(id.Pos())
			}
			if all {
				onTest[fn] = true
				changed = true
				c.addTestBody(fd.Body)
			}
		}
	}
}

// suiteTestMethod reports whether fd is a method that testify's suite.Run
// calls on the test goroutine: a Test method or a setup or teardown hook
// of a type that embeds suite.Suite.
func suiteTestMethod(info *types.Info, fd *ast.FuncDecl) bool {
	fn, ok := info.Defs[fd.Name].(*types.Func)
	if !ok {
		return false
	}
	switch name := fn.Name(); name {
	case "SetupSuite", "TearDownSuite", "SetupTest", "TearDownTest", "BeforeTest", "AfterTest",
		"SetupSubTest", "TearDownSubTest", "HandleStats":
	default:
		if !strings.HasPrefix(name, "Test") {
			return false
		}
	}
	obj, _, _ := types.LookupFieldOrMethod(fn.Signature().Recv().Type(), true, nil, "T")
	t, ok := obj.(*types.Func)
	return ok && t.Pkg() != nil && t.Pkg().Path() == suitePath
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
