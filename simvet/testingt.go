package simvet

import (
	"go/ast"
	"go/types"
	"path/filepath"
	"strconv"

	"golang.org/x/tools/go/analysis"
)

// testingtFail is what goes wrong when a body fails, skips or hands the
// test's T to code that may.
const testingtFail = "reports to the test, not the seed: the seed's report cannot name its task, simulated time and line"

// testingtConsequence says what goes wrong when a simulation body calls
// method on the test's T rather than on its S.
func testingtConsequence(method string) string {
	switch method {
	case "Error", "Errorf", "Fatal", "Fatalf", "Fail", "FailNow", "Skip", "Skipf", "SkipNow":
		return testingtFail
	case "Log", "Logf":
		return "logs to the test, not the seed's log: the line carries no simulated time or task, and shows whether the seed fails or not"
	case "Cleanup":
		return "registers on the test, so the function runs once, after every seed, on worlds that have ended"
	case "TempDir":
		return "is the test's, one directory every seed shares"
	case "Context":
		return "is the test's, which carries no simulation and ends after every seed"
	case "Setenv", "Chdir":
		return "lasts for every seed after this one"
	case "Run":
		return "starts a subtest, which a seed cannot hold"
	}
	return "is the whole test's, not the seed's"
}

func runTestingt(c *checker) {
	for _, f := range c.pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.FuncLit)
			if !ok {
				return true
			}
			if s := seedParam(c.pass.TypesInfo, lit); s != nil {
				c.testingtBody(lit, s)
				return false
			}
			return true
		})
	}
}

// seedParam returns the parameter of lit that is a *simtest.S, which makes
// lit a simulation body, or nil.
func seedParam(info *types.Info, lit *ast.FuncLit) *types.Var {
	for _, field := range lit.Type.Params.List {
		for _, name := range field.Names {
			if v, ok := info.Defs[name].(*types.Var); ok && isSeed(v.Type()) {
				return v
			}
		}
		if len(field.Names) == 0 && isSeed(info.TypeOf(field.Type)) {
			return types.NewVar(field.Pos(), nil, "_", info.TypeOf(field.Type))
		}
	}
	return nil
}

// isSeed reports whether t is *simtest.S.
func isSeed(t types.Type) bool {
	_, ptr := t.(*types.Pointer)
	return ptr && isNamed(t, module+"/simtest", "S")
}

// testingVar returns the variable e names when it is a *testing.T, B or F
// declared outside lit: the test's, which the body closes over.
func (c *checker) testingVar(e ast.Expr, lit *ast.FuncLit) *types.Var {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok {
		return nil
	}
	v, ok := c.pass.TypesInfo.Uses[id].(*types.Var)
	if !ok || lit.Pos() <= v.Pos() && v.Pos() < lit.End() {
		return nil
	}
	if _, ptr := v.Type().(*types.Pointer); !ptr {
		return nil
	}
	for _, name := range []string{"T", "B", "F"} {
		if isNamed(v.Type(), "testing", name) {
			return v
		}
	}
	return nil
}

// testT is a use of the test's own T in a body: a variable the body
// closes over, or a testify suite's T().
type testT struct {
	name string     // as written: t, cs.T()
	typ  types.Type // *testing.T, B or F
}

// testT returns the test's T that e is, in the body lit, or nil.
func (c *checker) testT(e ast.Expr, lit *ast.FuncLit) *testT {
	if v := c.testingVar(e, lit); v != nil {
		return &testT{v.Name(), v.Type()}
	}
	if call, ok := ast.Unparen(e).(*ast.CallExpr); ok && len(call.Args) == 0 {
		if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok && c.suiteMethod(sel) == "T" {
			return &testT{c.text(e), c.pass.TypesInfo.TypeOf(e)}
		}
	}
	return nil
}

// suitePath is testify's suite package: a suite's T() is the test's, and
// so are its Require(), Assert() and the assertions it embeds.
const suitePath = "github.com/stretchr/testify/suite"

// suiteMethod returns the name of the method of testify's suite.Suite that
// sel selects, or "".
func (c *checker) suiteMethod(sel *ast.SelectorExpr) string {
	m, ok := c.pass.TypesInfo.Uses[sel.Sel].(*types.Func)
	if !ok || m.Pkg() == nil || m.Pkg().Path() != suitePath || m.Signature().Recv() == nil {
		return ""
	}
	return m.Name()
}

// suiteAssertion returns the package (assert or require) of the assertion
// method sel selects when its receiver is a testify suite, which embeds
// the assertions of its T: cs.Equal, cs.NoError.
func (c *checker) suiteAssertion(sel *ast.SelectorExpr) string {
	m, ok := c.pass.TypesInfo.Uses[sel.Sel].(*types.Func)
	if !ok || m.Pkg() == nil || m.Signature().Recv() == nil {
		return ""
	}
	path := m.Pkg().Path()
	if path != "github.com/stretchr/testify/assert" && path != "github.com/stretchr/testify/require" {
		return ""
	}
	t := c.pass.TypesInfo.TypeOf(sel.X)
	if t == nil {
		return ""
	}
	obj, _, _ := types.LookupFieldOrMethod(t, true, nil, "T")
	if f, ok := obj.(*types.Func); !ok || f.Pkg() == nil || f.Pkg().Path() != suitePath {
		return ""
	}
	return m.Pkg().Name()
}

// testingtBody reports each use, in the simulation body lit whose S is s,
// of the test's own T: a variable it closes over, or a testify suite's
// T(), Require(), Assert() and assertions.
func (c *checker) testingtBody(lit *ast.FuncLit, s *types.Var) {
	info := c.pass.TypesInfo
	done := map[ast.Expr]bool{}
	sName := s.Name()
	if !named(s) {
		sName = "s"
	}
	ast.Inspect(lit.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if c.suiteWait(n) {
				return false // wallclock's
			}
			if c.suiteSelector(n, sName) {
				return false
			}
			t := c.testT(n.X, lit)
			if t == nil {
				return true
			}
			done[n.X] = true
			method := n.Sel.Name
			if method == "Name" {
				return false // the same as the S's
			}
			what := testingtConsequence(method)
			obj, _, _ := types.LookupFieldOrMethod(s.Type(), true, c.pass.Pkg, method)
			fix := "use " + s.Name() + "." + method + ", the seed's"
			if !named(s) {
				fix = "use the " + method + " of the body's *simtest.S, the seed's"
			}
			switch {
			case method == "Run":
				fix = "run the simulation inside the subtest instead: t.Run(name, func(t *testing.T) { simtest.Run(t, body) })"
			case obj == nil:
				fix = "do it before the Run, outside the body"
			}
			c.report(n, t.name+"."+method+" in a simulation body "+what+"; "+fix, c.seedFix(n.X, s, obj != nil)...)
			return false
		case *ast.CallExpr:
			c.suiteHelperCall(n, s)
			if t := c.testT(n, lit); t != nil {
				if !done[n] {
					c.report(n, t.name+", the test's *testing."+namedOf(t.typ)+", used in a simulation body is the whole test's, not the seed's; use the body's *simtest.S")
				}
				return false
			}
			sig, ok := types.Unalias(info.TypeOf(n.Fun)).Underlying().(*types.Signature)
			if !ok {
				return true
			}
			for i, arg := range n.Args {
				t := c.testT(arg, lit)
				if t == nil {
					continue
				}
				done[arg] = true
				param := paramType(sig, i)
				fits := param != nil && types.AssignableTo(s.Type(), param)
				if fn := callee(info, n); fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == synctestPath {
					// It takes only a *testing.T: no S can stand in.
					c.report(arg, t.name+", the test's, given to "+c.text(n.Fun)+" in a simulation body opens a synctest bubble inside the simulation, "+
						"whose fake clock and goroutines the simulation does not run; run synctest.Test outside simtest.Run, or call the code from the body")
					continue
				}
				msg := t.name + ", the test's, given to " + c.text(n.Fun) + " in a simulation body " + testingtFail + "; "
				if fits && named(s) {
					msg += "pass " + s.Name() + ", the seed's"
				} else if fits {
					msg += "pass the body's *simtest.S, the seed's"
				} else {
					msg += "have it take a testing.TB and pass the body's *simtest.S"
				}
				c.report(arg, msg, c.seedFix(arg, s, fits)...)
			}
		case *ast.Ident:
			if t := c.testT(n, lit); t != nil && !done[n] {
				c.report(n, t.name+", the test's *testing."+namedOf(t.typ)+", used in a simulation body is the whole test's, not the seed's; use the body's *simtest.S")
			}
		}
		return true
	})
}

// suiteSelector reports, and says so, sel when it selects a testify
// suite's Require, Assert, Run or an assertion the suite embeds: each
// reaches the suite's T, the test's. sName is the body's S as the fix
// names it. The suite's T is left to the caller.
func (c *checker) suiteSelector(sel *ast.SelectorExpr, sName string) bool {
	recv := c.text(sel.X)
	switch m := c.suiteMethod(sel); m {
	case "", "T":
	case "Require", "Assert":
		pkg, example := "require", "require.NoError("+sName+", err)"
		if m == "Assert" {
			pkg, example = "assert", "assert.Equal("+sName+", want, got)"
		}
		c.report(sel, recv+"."+m+"() in a simulation body is the suite's "+pkg+" on the test's t, so it "+testingtFail+
			"; use "+example+" and the rest of package "+pkg+" given "+sName+", or "+pkg[:1]+" := "+pkg+".New("+sName+") in the body")
		return true
	case "Run":
		c.report(sel, recv+".Run in a simulation body "+testingtConsequence("Run")+
			"; run the simulation inside the subtest instead: "+recv+".Run(name, func() { simtest.Run("+recv+".T(), body) })")
		return true
	default:
		c.report(sel, recv+"."+m+" in a simulation body is the suite's, on the test's t, not the seed's; do it before the Run, outside the body")
		return true
	}
	if pkg := c.suiteAssertion(sel); pkg != "" {
		if testifyWaits[sel.Sel.Name] {
			// cs.Eventually polls on the wall clock whatever T it is
			// given: assert.Eventually(s, ...) would fail the seed and
			// still not wait in simulated time. wallclock reports it,
			// with s.Eventually, which mends both.
			return true
		}
		c.report(sel, recv+"."+sel.Sel.Name+" in a simulation body is the suite's assertion on the test's t, so it "+testingtFail+
			"; use "+pkg+"."+sel.Sel.Name+"("+sName+", ...), the seed's")
		return true
	}
	return false
}

// paramType is the type of the i-th argument of a call of sig.
func paramType(sig *types.Signature, i int) types.Type {
	params := sig.Params()
	switch {
	case sig.Variadic() && i >= params.Len()-1:
		return params.At(params.Len() - 1).Type().(*types.Slice).Elem()
	case i < params.Len():
		return params.At(i).Type()
	}
	return nil
}

func namedOf(t types.Type) string {
	return types.Unalias(t.(*types.Pointer).Elem()).(*types.Named).Obj().Name()
}

// named reports whether the body's S has a name to pass.
func named(s *types.Var) bool { return s.Name() != "_" && s.Name() != "" }

// seedFix replaces e, the test's T, with the body's S when fits says S
// serves there and the S's name means the S at e.
func (c *checker) seedFix(e ast.Expr, s *types.Var, fits bool) []analysis.SuggestedFix {
	if !fits || !named(s) {
		return nil
	}
	if _, o := c.pass.Pkg.Scope().Innermost(e.Pos()).LookupParent(s.Name(), e.Pos()); o != s {
		return nil
	}
	return []analysis.SuggestedFix{fix("use "+s.Name(), replace(e, s.Name()))}
}

// suiteWait reports whether sel selects testify's Eventually or Never
// (or their kin) through a suite's Require() or Assert(). As for the
// suite's own cs.Eventually, the finding is wallclock's: it polls on the
// wall clock whatever T it is given, and s.Eventually mends both.
func (c *checker) suiteWait(sel *ast.SelectorExpr) bool {
	if !testifyWaits[sel.Sel.Name] {
		return false
	}
	call, ok := ast.Unparen(sel.X).(*ast.CallExpr)
	if !ok {
		return false
	}
	inner, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return false
	}
	m := c.suiteMethod(inner)
	return m == "Require" || m == "Assert"
}

// suiteHelperCall reports call when it calls a method of a
// testify suite declared in this package whose body uses the suite's T
// (cs.T(), cs.Require(), cs.Assert(), the suite's assertions): the body
// that calls it reaches the test's t through it. Only the method's own
// body is looked at, not the methods it calls in turn.
func (c *checker) suiteHelperCall(call *ast.CallExpr, s *types.Var) {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return
	}
	fn, ok := c.pass.TypesInfo.Uses[sel.Sel].(*types.Func)
	if !ok || fn.Pkg() != c.pass.Pkg || fn.Signature().Recv() == nil || !isSuite(fn.Signature().Recv().Type()) {
		return
	}
	fd := c.funcDecl(fn.Origin())
	if fd == nil || fd.Body == nil || fd.Recv == nil || len(fd.Recv.List[0].Names) == 0 {
		return
	}
	use := c.suiteTUse(fd)
	if use == "" {
		return
	}
	pass := "pass the body's *simtest.S in"
	if named(s) {
		pass = "pass " + s.Name() + " in"
	}
	c.report(call, c.text(call.Fun)+" in a simulation body calls the suite's method "+fn.Name()+", which uses "+use+
		", the test's t, so it "+testingtFail+"; "+pass+": have "+fn.Name()+" take a testing.TB and use it in place of the suite's T, Require, Assert and assertions")
}

// isSuite reports whether t, or what it points to, is a testify suite:
// a type whose T method embedding suite.Suite gives it.
func isSuite(t types.Type) bool {
	obj, _, _ := types.LookupFieldOrMethod(t, true, nil, "T")
	f, ok := obj.(*types.Func)
	return ok && f.Pkg() != nil && f.Pkg().Path() == suitePath
}

// funcDecl returns the declaration of fn in the package, or nil.
func (c *checker) funcDecl(fn *types.Func) *ast.FuncDecl {
	for _, f := range c.pass.Files {
		if f.Pos() > fn.Pos() || fn.Pos() >= f.End() {
			continue
		}
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && c.pass.TypesInfo.Defs[fd.Name] == fn {
				return fd
			}
		}
	}
	return nil
}

// suiteTUse returns the first use, in the method fd of a suite, of its
// receiver's T, Require, Assert or assertions, as written and with its
// line (cs.T() at suite_test.go:40), or "". The T's Name is the S's too,
// and Eventually and Never are wallclock's.
func (c *checker) suiteTUse(fd *ast.FuncDecl) string {
	recv, ok := c.pass.TypesInfo.Defs[fd.Recv.List[0].Names[0]].(*types.Var)
	if !ok {
		return ""
	}
	use := ""
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if use != "" || !ok {
			return use == ""
		}
		if id, ok := ast.Unparen(sel.X).(*ast.Ident); !ok || c.pass.TypesInfo.Uses[id] != recv {
			if sel.Sel.Name == "Name" || c.suiteWait(sel) {
				return false // cs.T().Name(), cs.Require().Eventually
			}
			return true
		}
		written := c.text(sel)
		switch m := c.suiteMethod(sel); m {
		case "T", "Require", "Assert":
			written += "()"
		case "":
			if c.suiteAssertion(sel) == "" || testifyWaits[sel.Sel.Name] {
				return true
			}
		}
		pos := c.pass.Fset.Position(sel.Pos())
		use = written + " at " + filepath.Base(pos.Filename) + ":" + strconv.Itoa(pos.Line)
		return false
	})
	return use
}
