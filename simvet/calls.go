package simvet

import (
	"go/ast"
	"go/types"
	"slices"
)

// pkgCall is a use of a package-level function or variable of another
// package: time.Now, rand.IntN, http.DefaultClient, or Now where time is
// dot-imported.
type pkgCall struct {
	ref  ast.Expr // the *ast.SelectorExpr, or the *ast.Ident of a dot import
	obj  types.Object
	call *ast.CallExpr // the call of ref, or nil if ref is not called
	stmt bool          // the call is a statement of its own: its results are unused
}

// at is where a report of u goes: the call, or the reference if it is not
// called (a function value, a variable).
func (u pkgCall) at() ast.Node {
	if u.call != nil {
		return u.call
	}
	return u.ref
}

// pkgUses calls fn for every use in the package of a package-level object
// of one of paths, whether through the package's name (under any alias)
// or a dot import.
func pkgUses(c *checker, fn func(u pkgCall), paths ...string) {
	for _, f := range c.pass.Files {
		calls := map[ast.Expr]*ast.CallExpr{}
		stmts := map[*ast.CallExpr]bool{}
		sels := map[*ast.Ident]bool{} // identifiers after a dot, seen with their selector
		use := func(ref ast.Expr, obj types.Object) {
			if obj == nil || obj.Pkg() == nil || !slices.Contains(paths, obj.Pkg().Path()) {
				return
			}
			call := calls[ref]
			fn(pkgCall{ref: ref, obj: obj, call: call, stmt: call != nil && stmts[call]})
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ExprStmt:
				if call, ok := n.X.(*ast.CallExpr); ok {
					stmts[call] = true
				}
			case *ast.CallExpr:
				switch fun := ast.Unparen(n.Fun).(type) {
				case *ast.SelectorExpr, *ast.Ident:
					calls[fun] = n
				}
			case *ast.SelectorExpr:
				sels[n.Sel] = true
				id, ok := n.X.(*ast.Ident)
				if !ok {
					return true
				}
				if _, ok := c.pass.TypesInfo.Uses[id].(*types.PkgName); !ok {
					return true
				}
				use(n, c.pass.TypesInfo.Uses[n.Sel])
			case *ast.Ident:
				// Only a dot import makes a bare identifier name another
				// package's package-level object.
				if obj := c.pass.TypesInfo.Uses[n]; !sels[n] && obj != nil && obj.Pkg() != nil &&
					obj.Pkg() != c.pass.Pkg && obj.Parent() == obj.Pkg().Scope() {
					use(n, obj)
				}
			}
			return true
		})
	}
}

// args returns the source of a call's arguments, as written.
func (c *checker) args(call *ast.CallExpr) string {
	tf := c.pass.Fset.File(call.Pos())
	src, err := c.pass.ReadFile(tf.Name())
	if err != nil {
		return ""
	}
	return string(src[tf.Offset(call.Lparen)+1 : tf.Offset(call.Rparen)])
}

// operand returns the source of e, in parentheses unless it is a primary
// expression that a method call can follow.
func (c *checker) operand(e ast.Expr) string {
	switch ast.Unparen(e).(type) {
	case *ast.Ident, *ast.SelectorExpr, *ast.CallExpr, *ast.IndexExpr, *ast.CompositeLit:
		return c.text(e)
	}
	return "(" + c.text(e) + ")"
}

// methodUse is a use of a method through a selector, called or taken as a
// value: d.DialContext(...), wg.Go, rng.Intn.
type methodUse struct {
	sel  *ast.SelectorExpr
	fn   *types.Func
	call *ast.CallExpr // the call of sel, or nil
}

// at is where a report of u goes: the call, or the method value.
func (u methodUse) at() ast.Node {
	if u.call != nil {
		return u.call
	}
	return u.sel
}

// recvIs reports whether u's method is declared on the named type
// path.name (or a pointer to it), so also when it is reached through an
// embedding struct.
func (u methodUse) recvIs(path, name string) bool {
	return isNamed(u.fn.Signature().Recv().Type(), path, name)
}

// methodUses calls fn for every use in the package of a method of a type
// declared in one of paths.
func methodUses(c *checker, fn func(u methodUse), paths ...string) {
	for _, f := range c.pass.Files {
		calls := map[*ast.SelectorExpr]*ast.CallExpr{}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr); ok {
					calls[sel] = n
				}
			case *ast.SelectorExpr:
				m, ok := c.pass.TypesInfo.Uses[n.Sel].(*types.Func)
				if !ok || m.Pkg() == nil || m.Signature().Recv() == nil || !slices.Contains(paths, m.Pkg().Path()) {
					return true
				}
				fn(methodUse{sel: n, fn: m, call: calls[n]})
			}
			return true
		})
	}
}
