package simvet

import (
	"go/ast"
	"go/token"
	"go/types"
)

func runGlobalstate(c *checker) {
	info := c.pass.TypesInfo
	for _, f := range c.pass.Files {
		var bodies []ast.Node
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Body != nil && !(d.Recv == nil && d.Name.Name == "init") {
					bodies = append(bodies, d.Body) // init runs once per binary, before any simulation
				}
			case *ast.GenDecl:
				// Function literals in package-level initializers.
				ast.Inspect(d, func(n ast.Node) bool {
					if fl, ok := n.(*ast.FuncLit); ok {
						bodies = append(bodies, fl.Body)
						return false
					}
					return true
				})
			}
		}
		for _, body := range bodies {
			ast.Inspect(body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.AssignStmt:
					if n.Tok == token.DEFINE {
						return true
					}
					for _, lhs := range n.Lhs {
						c.globalWrite(lhs, lhs)
					}
				case *ast.IncDecStmt:
					c.globalWrite(n, n.X)
				case *ast.CallExpr:
					if isBuiltin(info, n, "delete") || isBuiltin(info, n, "clear") {
						c.globalWrite(n, n.Args[0])
						return true
					}
					fn := callee(info, n)
					if path, name := pkgFunc(fn); path == "net/http" && (name == "Handle" || name == "HandleFunc") {
						c.report(n, "http."+name+" registers on http.DefaultServeMux, which every seed and every parallel Run in the test binary share: the next seed's registration of the same pattern panics; register on a mux the process owns (http.NewServeMux())")
						return true
					}
					if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != "sync/atomic" {
						return true
					}
					if fn.Signature().Recv() != nil {
						if sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr); ok && fn.Name() != "Load" {
							c.globalWrite(n, sel.X)
						}
					} else if len(n.Args) > 0 && !isLoad(fn.Name()) {
						if u, ok := ast.Unparen(n.Args[0]).(*ast.UnaryExpr); ok && u.Op == token.AND {
							c.globalWrite(n, u.X)
						}
					}
				}
				return true
			})
		}
	}
}

func isLoad(name string) bool { return len(name) >= 4 && name[:4] == "Load" }

// globalWrite reports at n when x, the place written, is a package-level
// variable or part of one.
func (c *checker) globalWrite(n ast.Node, x ast.Expr) {
	for {
		switch e := ast.Unparen(x).(type) {
		case *ast.Ident:
			c.reportGlobal(n, e)
			return
		case *ast.SelectorExpr:
			if id, ok := e.X.(*ast.Ident); ok {
				if _, ok := c.pass.TypesInfo.Uses[id].(*types.PkgName); ok {
					c.reportGlobal(n, e.Sel)
					return
				}
			}
			x = e.X
		case *ast.IndexExpr:
			x = e.X
		case *ast.StarExpr:
			x = e.X
		default:
			return
		}
	}
}

func (c *checker) reportGlobal(n ast.Node, id *ast.Ident) {
	v, ok := c.pass.TypesInfo.Uses[id].(*types.Var)
	if !ok || v.IsField() || v.Pkg() == nil || v.Parent() != v.Pkg().Scope() {
		return
	}
	name := v.Name()
	if v.Pkg() != c.pass.Pkg {
		name = v.Pkg().Name() + "." + name
	}
	c.report(n, "writes package-level variable "+name+", which every seed and every parallel Run in the test binary share, so one seed's run changes the next; keep the state in a value the process or the workload owns")
}
