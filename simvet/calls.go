package simvet

import (
	"go/ast"
	"go/types"
)

// pkgCall is a use of a package-level function or variable through its
// package's name: time.Now, rand.IntN, http.DefaultClient.
type pkgCall struct {
	sel  *ast.SelectorExpr
	obj  types.Object
	call *ast.CallExpr // the call of sel, or nil if sel is not called
	stmt bool          // the call is a statement of its own: its results are unused
}

// pkgUses calls fn for every use in the package of a package-level object
// of one of paths.
func pkgUses(c *checker, fn func(u pkgCall), paths ...string) {
	for _, f := range c.pass.Files {
		calls := map[*ast.SelectorExpr]*ast.CallExpr{}
		stmts := map[*ast.CallExpr]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ExprStmt:
				if call, ok := n.X.(*ast.CallExpr); ok {
					stmts[call] = true
				}
			case *ast.CallExpr:
				if sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr); ok {
					calls[sel] = n
				}
			case *ast.SelectorExpr:
				id, ok := n.X.(*ast.Ident)
				if !ok {
					return true
				}
				if _, ok := c.pass.TypesInfo.Uses[id].(*types.PkgName); !ok {
					return true
				}
				obj := c.pass.TypesInfo.Uses[n.Sel]
				if obj == nil || obj.Pkg() == nil {
					return true
				}
				for _, p := range paths {
					if obj.Pkg().Path() == p {
						call := calls[n]
						fn(pkgCall{sel: n, obj: obj, call: call, stmt: call != nil && stmts[call]})
					}
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
