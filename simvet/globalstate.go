package simvet

import (
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"
	"strconv"
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
	c.capturedWrites()
}

// capturedWrites reports, in each simulation body of the package, the
// writes to a variable the body captures from outside it (a local of the
// test, or a field of a value it holds: a testify suite's, set in
// SetupTest) that the body also reads: every seed of the Run shares the
// variable, as it shares a package-level one, so what one seed wrote,
// the next reads. A write the body never reads back (a count, a list of
// results kept for after the Run) carries nothing into the next seed.
func (c *checker) capturedWrites() {
	info := c.pass.TypesInfo
	for _, f := range c.pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.FuncLit)
			if !ok || seedParam(info, lit) == nil {
				return true
			}
			c.bodyWrites(lit)
			return false
		})
	}
}

// capturedWrite is a write, in a body, to a place rooted in a variable the
// body captures.
type capturedWrite struct {
	at    ast.Node // the statement
	place ast.Expr
	path  []types.Object // the root variable, then the fields selected
	read  bool           // the body reads the place elsewhere
}

func (c *checker) bodyWrites(lit *ast.FuncLit) {
	info := c.pass.TypesInfo
	captured := func(v *types.Var) bool {
		return !(lit.Pos() <= v.Pos() && v.Pos() < lit.End())
	}
	var writes []*capturedWrite
	write := func(at ast.Node, x ast.Expr) {
		if path := c.placePath(x); path != nil && captured(path[0].(*types.Var)) {
			writes = append(writes, &capturedWrite{at: at, place: x, path: path})
		}
	}
	ast.Inspect(lit.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if n.Tok != token.DEFINE {
				for _, lhs := range n.Lhs {
					write(n, lhs)
				}
			}
		case *ast.IncDecStmt:
			write(n, n.X)
		case *ast.CallExpr:
			if isBuiltin(info, n, "delete") || isBuiltin(info, n, "clear") {
				write(n, n.Args[0])
			}
		}
		return true
	})
	if len(writes) == 0 {
		return
	}
	// Every mention of a captured variable is a read of the place it
	// reaches (x, x.f, x.f.g; an index or a method reads x.f whole), but
	// for one inside a statement that writes that place: x++, x += d,
	// x = append(x, v) accumulate, and read nothing another seed left.
	c.mentions(lit.Body, captured, func(id *ast.Ident, path []types.Object) {
		for _, w := range writes {
			if w.read || !overlaps(w.path, path) {
				continue
			}
			if w.at.Pos() <= id.Pos() && id.Pos() < w.at.End() {
				continue // the write's own statement
			}
			w.read = true
		}
	})
	for _, w := range writes {
		if w.read {
			c.report(w.at, "writes "+c.text(w.place)+", which the simulation body captures from outside it and reads: every seed of the Run shares it, "+
				"so what one seed leaves there the next reads, and a failing seed passes when it runs alone; "+
				"make the state in the body, for each seed (a testify suite's fields, set in SetupTest, live across the seeds)")
			continue
		}
		if reader, at := c.suiteFieldReader(lit, w.path); reader != "" {
			c.report(w.at, "writes "+c.text(w.place)+", a field of the testify suite that the simulation body captures, which "+reader+
				" reads ("+at+"): every seed of the Run shares the field, so "+reader+" finds what the last seed left there, or all of them together, "+
				"not one seed's, and what it finds changes with the seeds run and their order; "+
				"make the state in the body, for each seed, and check it there (in the body, s.Cleanup or the workload's Check)")
		}
	}
}

// mentions calls fn for every mention, under root, of a local variable,
// parameter or receiver v for which keep(v) holds, with the place it
// reaches: v, then the fields selected from it (v.f.g). An index or a
// method call ends the path: it reads what it is applied to whole.
func (c *checker) mentions(root ast.Node, keep func(*types.Var) bool, fn func(id *ast.Ident, path []types.Object)) {
	info := c.pass.TypesInfo
	var stack []ast.Node
	ast.Inspect(root, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		stack = append(stack, n)
		id, ok := n.(*ast.Ident)
		if !ok {
			return true
		}
		v, ok := info.Uses[id].(*types.Var)
		if !ok || v.IsField() || v.Parent() == nil || v.Pkg() == nil || v.Parent() == v.Pkg().Scope() || !keep(v) {
			return true
		}
		path := []types.Object{v}
		for i := len(stack) - 2; i >= 0; i-- {
			sel, ok := stack[i].(*ast.SelectorExpr)
			if !ok || ast.Unparen(sel.X) != stack[i+1] && sel.X != stack[i+1] {
				if _, paren := stack[i].(*ast.ParenExpr); paren {
					continue
				}
				break
			}
			f, ok := info.Uses[sel.Sel].(*types.Var)
			if !ok {
				break
			}
			path = append(path, f)
		}
		fn(id, path)
		return true
	})
}

// suiteFieldReader returns, when path (written in the body lit) is a
// field of a testify suite declared in this package, the first method of
// the suite, outside lit, that reads the field, and where it reads it
// (suite_test.go:40), or "". A method reads it where it selects it but
// for a statement that writes it (cs.calls = 0 in SetupTest): SetupTest,
// TearDownTest, a helper, or the test method itself after the Run
// returns. Only the suite's own methods are looked at, not functions the
// suite is given to.
func (c *checker) suiteFieldReader(lit *ast.FuncLit, path []types.Object) (method, at string) {
	if len(path) < 2 {
		return "", ""
	}
	st := suiteNamed(path[0].Type())
	if st == nil || st.Obj().Pkg() != c.pass.Pkg {
		return "", ""
	}
	info := c.pass.TypesInfo
	ofSuite := func(v *types.Var) bool { return suiteNamed(v.Type()) == st }
	for _, f := range c.pass.Files {
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || fd.Body == nil {
				continue
			}
			fn, ok := info.Defs[fd.Name].(*types.Func)
			if !ok || suiteNamed(fn.Signature().Recv().Type()) != st {
				continue
			}
			// The statements of the method that write the field, whose
			// own mentions of it read nothing.
			var writes []ast.Node
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				var places []ast.Expr
				switch n := n.(type) {
				case *ast.AssignStmt:
					if n.Tok != token.DEFINE {
						places = n.Lhs
					}
				case *ast.IncDecStmt:
					places = []ast.Expr{n.X}
				case *ast.CallExpr:
					if isBuiltin(info, n, "delete") || isBuiltin(info, n, "clear") {
						places = n.Args[:1]
					}
				}
				for _, x := range places {
					if p := c.placePath(x); len(p) >= 2 && overlaps(p[1:], path[1:]) {
						writes = append(writes, n)
					}
				}
				return true
			})
			found := token.NoPos
			c.mentions(fd.Body, ofSuite, func(id *ast.Ident, p []types.Object) {
				if found.IsValid() || len(p) < 2 || !overlaps(p[1:], path[1:]) ||
					lit.Pos() <= id.Pos() && id.Pos() < lit.End() {
					return
				}
				for _, w := range writes {
					if w.Pos() <= id.Pos() && id.Pos() < w.End() {
						return
					}
				}
				found = id.Pos()
			})
			if found.IsValid() {
				pos := c.pass.Fset.Position(found)
				return fn.Name(), filepath.Base(pos.Filename) + ":" + strconv.Itoa(pos.Line)
			}
		}
	}
	return "", ""
}

// suiteNamed returns the named type of a testify suite that t is, or
// points to, or nil.
func suiteNamed(t types.Type) *types.Named {
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || !isSuite(n) {
		return nil
	}
	return n
}

// placePath returns the variable that x, a place written, is rooted in,
// then the fields selected from it, through indexes and dereferences: a
// local variable, a parameter or a receiver. A package-level variable is
// globalWrite's.
func (c *checker) placePath(x ast.Expr) []types.Object {
	var fields []types.Object
	for {
		switch e := ast.Unparen(x).(type) {
		case *ast.Ident:
			v, ok := c.pass.TypesInfo.Uses[e].(*types.Var)
			if !ok || v.IsField() || v.Pkg() == nil || v.Parent() == nil || v.Parent() == v.Pkg().Scope() {
				return nil
			}
			path := []types.Object{v}
			for i := len(fields) - 1; i >= 0; i-- {
				path = append(path, fields[i])
			}
			return path
		case *ast.SelectorExpr:
			f, ok := c.pass.TypesInfo.Uses[e.Sel].(*types.Var)
			if !ok || !f.IsField() {
				return nil
			}
			fields = append(fields, f)
			x = e.X
		case *ast.IndexExpr:
			fields = fields[:0] // an element: the write reaches the whole of what is indexed
			x = e.X
		case *ast.StarExpr:
			x = e.X
		default:
			return nil
		}
	}
}

// overlaps reports whether one of two paths of fields leads into the other.
func overlaps(a, b []types.Object) bool {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return false
		}
	}
	return true
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
