package simvet

import (
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// simPackages are the packages whose functions find the simulation a call
// belongs to through their context argument, and do nothing when it
// carries none: what each then fails to do.
var simPackages = map[string]string{
	module + "/assertions": "it does nothing in a simulation",
	module + "/chaos":      "it never fires in a simulation",
}

// derivedContexts are the functions of package context whose first result
// carries what their first argument carries, and no simulation of its own.
var derivedContexts = []string{
	"WithCancel", "WithCancelCause", "WithValue", "WithoutCancel",
	"WithTimeout", "WithTimeoutCause", "WithDeadline", "WithDeadlineCause",
}

func runAssertctx(c *checker) {
	info := c.pass.TypesInfo
	for _, f := range c.pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			targets := c.simFuncs(call.Fun, nil)
			if len(targets) == 0 {
				return true
			}
			sig, ok := types.Unalias(info.TypeOf(call.Fun)).Underlying().(*types.Signature)
			if !ok {
				return true
			}
			if len(call.Args) == 1 {
				if _, tuple := info.TypeOf(call.Args[0]).(*types.Tuple); tuple {
					return true // f(g()), g returning the arguments
				}
			}
			for i := range sig.Params().Len() {
				if sig.Variadic() && i == sig.Params().Len()-1 || i >= len(call.Args) {
					break
				}
				if !isContext(sig.Params().At(i).Type()) {
					continue
				}
				arg := call.Args[i]
				root := c.noSim(arg, nil)
				if root == "" {
					continue
				}
				given := root
				if !c.isRoot(arg) && c.text(arg) != root {
					given = c.text(arg) + ", made from " + root + ","
				}
				msg := c.calleeName(call.Fun, targets) + " finds its simulation through its context, so given " + given + " " +
					simPackages[targets[0].Pkg().Path()] + "; pass the context of the code under test (the task's, the handler's, the request's)"
				c.report(arg, msg, c.assertctxFix(arg)...)
			}
			return true
		})
	}
}

// isContext reports whether t is context.Context itself.
func isContext(t types.Type) bool {
	_, ptr := t.(*types.Pointer)
	return !ptr && isNamed(t, "context", "Context")
}

// simFuncs returns the functions of simPackages that a call of fn calls:
// the function fn names (instantiated or not), or every function that a
// local variable fn is ever assigned; nil if fn may call anything else.
func (c *checker) simFuncs(fn ast.Expr, seen []*types.Var) []*types.Func {
	id := calledName(fn)
	if id == nil {
		return nil
	}
	switch obj := c.pass.TypesInfo.Uses[id].(type) {
	case *types.Func:
		if obj.Pkg() != nil && simPackages[obj.Pkg().Path()] != "" {
			return []*types.Func{obj}
		}
	case *types.Var:
		vals, ok := c.assigned(obj, seen)
		if !ok || len(vals) == 0 {
			return nil
		}
		var fs []*types.Func
		for _, v := range vals {
			if v.index != 0 {
				return nil
			}
			got := c.simFuncs(v.expr, append(seen, obj))
			if got == nil {
				return nil
			}
			for _, f := range got {
				if !slices.Contains(fs, f) {
					fs = append(fs, f)
				}
			}
		}
		return fs
	}
	return nil
}

// calleeName names what a call of fn calls: assertions.Always, or
// check (assertions.Always) for a variable.
func (c *checker) calleeName(fn ast.Expr, targets []*types.Func) string {
	var names []string
	for _, f := range targets {
		names = append(names, f.Pkg().Name()+"."+f.Name())
	}
	name := strings.Join(names, " or ")
	if v, ok := c.pass.TypesInfo.Uses[calledName(fn)].(*types.Var); ok {
		return v.Name() + " (" + name + ")"
	}
	return name
}

// calledName is the name a call of fn calls by, f in f(...), pkg.f[T](...)
// or (f)(...), or nil when fn is no name.
func calledName(fn ast.Expr) *ast.Ident {
	fn = ast.Unparen(fn)
	switch e := fn.(type) {
	case *ast.IndexExpr:
		fn = ast.Unparen(e.X)
	case *ast.IndexListExpr:
		fn = ast.Unparen(e.X)
	}
	switch e := fn.(type) {
	case *ast.Ident:
		return e
	case *ast.SelectorExpr:
		return e.Sel
	}
	return nil
}

// noSim returns the call that e is made from, context.Background() or
// context.TODO(), when e is sure to carry no simulation: that call, a
// context derived from one (context.WithCancel, WithValue, ...), or a
// local variable only ever assigned one of those. It returns "" when e
// may carry a simulation.
func (c *checker) noSim(e ast.Expr, seen []*types.Var) string {
	e = ast.Unparen(e)
	switch e := e.(type) {
	case *ast.CallExpr:
		fn := callee(c.pass.TypesInfo, e)
		if isTestingContext(fn) {
			return c.text(e) // t.Context(): the test's, which no simulation runs
		}
		path, name := pkgFunc(fn)
		switch {
		case path != "context":
		case isRootName(name):
			return "context." + name + "()"
		case slices.Contains(derivedContexts, name) && len(e.Args) > 0:
			return c.noSim(e.Args[0], seen)
		}
	case *ast.Ident:
		v, ok := c.pass.TypesInfo.Uses[e].(*types.Var)
		if !ok {
			return ""
		}
		vals, ok := c.assigned(v, seen)
		if !ok || len(vals) == 0 {
			return ""
		}
		root := ""
		for _, val := range vals {
			if val.index != 0 {
				// Not a context: a derived context is the first result
				// (ctx, cancel := context.WithCancel(parent)).
				return ""
			}
			r := c.noSim(val.expr, append(seen, v))
			if r == "" {
				return ""
			}
			if root == "" {
				root = r
			}
		}
		return root
	}
	return ""
}

// isRoot reports whether e is the call context.Background() or
// context.TODO() itself.
func (c *checker) isRoot(e ast.Expr) bool {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok {
		return false
	}
	path, name := pkgFunc(callee(c.pass.TypesInfo, call))
	return path == "context" && isRootName(name)
}

// isTestingContext reports whether fn is the Context method of package
// testing's T, B or F: a context of the test's, not of the simulation a
// Run body or its tasks run in. TB's is left alone: a *simtest.S is a
// testing.TB, and its Context carries the simulation.
func isTestingContext(fn *types.Func) bool {
	if fn == nil || fn.Name() != "Context" || fn.Pkg() == nil || fn.Pkg().Path() != "testing" {
		return false
	}
	recv := fn.Signature().Recv()
	return recv != nil && !types.IsInterface(recv.Type())
}

// isRootName reports whether context.name makes a context of no parent.
func isRootName(name string) bool { return name == "Background" || name == "TODO" }

// assignedValue is one value assigned to a variable: the index-th result
// of expr.
type assignedValue struct {
	expr  ast.Expr
	index int
}

// assigned returns every value that the local variable v is given, in its
// declaration and in assignments anywhere in the function that declares
// it (its function literals included), and false if v may change in a way
// that this does not see: its address taken, a range, an operator
// assignment. A declaration without a value gives none: a nil context
// carries no simulation either, and a nil function is no other callee. A
// variable in seen (one being followed already) gives false, as does any
// variable but a local one.
func (c *checker) assigned(v *types.Var, seen []*types.Var) ([]assignedValue, bool) {
	if v.Kind() != types.LocalVar || slices.Contains(seen, v) {
		return nil, false
	}
	return c.assignments(v)
}

// assignments returns the values that v, a local variable or a parameter,
// is assigned in the function that declares it, with false if v may also
// change in a way that this does not see.
func (c *checker) assignments(v *types.Var) ([]assignedValue, bool) {
	f := fileOf(c.pass, v.Pos())
	if f == nil {
		return nil, false
	}
	var decl ast.Decl
	for _, d := range f.Decls {
		if d.Pos() <= v.Pos() && v.Pos() < d.End() {
			decl = d
		}
	}
	if decl == nil {
		return nil, false
	}
	info := c.pass.TypesInfo
	is := func(e ast.Expr) bool {
		id, ok := ast.Unparen(e).(*ast.Ident)
		return ok && (info.Defs[id] == v || info.Uses[id] == v)
	}
	// pair gives the value the i-th of n names is assigned from vals.
	pair := func(i, n int, vals []ast.Expr) (assignedValue, bool) {
		switch {
		case len(vals) == n:
			return assignedValue{vals[i], 0}, true
		case len(vals) == 1:
			return assignedValue{vals[0], i}, true
		}
		return assignedValue{}, false
	}
	var vals []assignedValue
	ok := true
	ast.Inspect(decl, func(n ast.Node) bool {
		if !ok {
			return false
		}
		switch n := n.(type) {
		case *ast.ValueSpec:
			for i, name := range n.Names {
				if info.Defs[name] == v && len(n.Values) > 0 {
					val, found := pair(i, len(n.Names), n.Values)
					vals, ok = append(vals, val), found
				}
			}
		case *ast.AssignStmt:
			for i, lhs := range n.Lhs {
				if !is(lhs) {
					continue
				}
				if n.Tok != token.ASSIGN && n.Tok != token.DEFINE {
					ok = false
					break
				}
				val, found := pair(i, len(n.Lhs), n.Rhs)
				vals, ok = append(vals, val), found
			}
		case *ast.UnaryExpr:
			if n.Op == token.AND && is(n.X) {
				ok = false
			}
		case *ast.RangeStmt:
			if n.Key != nil && is(n.Key) || n.Value != nil && is(n.Value) {
				ok = false
			}
		}
		return ok
	})
	return vals, ok
}

// assertctxFix passes ctx in place of context.Background() or
// context.TODO() written at the call, when ctx is a parameter of type
// context.Context of an enclosing function that it never assigns.
func (c *checker) assertctxFix(arg ast.Expr) []analysis.SuggestedFix {
	if !c.isRoot(arg) {
		return nil // a variable: passing ctx instead may leave it unused
	}
	_, o := c.pass.Pkg.Scope().Innermost(arg.Pos()).LookupParent("ctx", arg.Pos())
	v, ok := o.(*types.Var)
	if !ok || v.Kind() != types.ParamVar || !isContext(v.Type()) {
		return nil
	}
	if vals, ok := c.assignments(v); !ok || len(vals) > 0 {
		return nil
	}
	call := ast.Unparen(arg).(*ast.CallExpr)
	return c.replaceFix(arg, ast.Unparen(call.Fun), "ctx")
}
