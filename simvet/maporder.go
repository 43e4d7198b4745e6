package simvet

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// Ranging over a map visits its keys in an order the runtime draws at
// random, outside the seed: the same seed then gives another execution.
// The loop is harmless while its order stays inside it (a sum, a lookup,
// a delete); it is reported when the order reaches the outside.

func runMaporder(c *checker) {
	for _, f := range c.pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			rng, ok := n.(*ast.RangeStmt)
			if !ok || !c.mapOrdered(rng.X) {
				return true
			}
			if why := c.orderLeak(f, rng); why != "" {
				c.reportRange(rng.For, rng.X.End(), "ranging over a map visits keys in an order no seed replays, and "+why+" carries that order out of the loop; range over slices.Sorted(maps.Keys(m)), or sort what the loop builds", c.maporderFix(rng)...)
			}
			return true
		})
		// A slice collected from a map: slices.Collect(maps.Keys(m)).
		ast.Inspect(f, func(n ast.Node) bool {
			var x ast.Expr
			switch n := n.(type) {
			case *ast.AssignStmt:
				if len(n.Lhs) == 1 && len(n.Rhs) == 1 && c.collected(n.Rhs[0]) {
					x = n.Rhs[0]
					if why := c.orderedInto(f, n.End(), n.Lhs[0], ""); why != "" {
						c.report(x, "slices.Collect lists a map's entries in an order no seed replays, and "+why+" carries that order out; collect with slices.Sorted(maps.Keys(m)), or sort the slice first")
					}
				}
			case *ast.ReturnStmt:
				for _, r := range n.Results {
					if c.collected(r) {
						c.report(r, "slices.Collect lists a map's entries in an order no seed replays, and the return carries that order out; return slices.Sorted(maps.Keys(m)), or sort the slice first")
					}
				}
			}
			return true
		})
	}
}

// collected reports whether x is slices.Collect of maps.Keys or Values:
// a slice in the map's order.
func (c *checker) collected(x ast.Expr) bool {
	call, ok := ast.Unparen(x).(*ast.CallExpr)
	if !ok || len(call.Args) != 1 {
		return false
	}
	if path, name := pkgFunc(callee(c.pass.TypesInfo, call)); path != "slices" || name != "Collect" {
		return false
	}
	inner, ok := ast.Unparen(call.Args[0]).(*ast.CallExpr)
	if !ok {
		return false
	}
	path, name := pkgFunc(callee(c.pass.TypesInfo, inner))
	return path == "maps" && (name == "Keys" || name == "Values")
}

// mapOrdered reports whether ranging over x visits a map's entries in the
// map's order: x is a map, maps.Keys, maps.Values or maps.All of one, or
// a slice collected from the first two.
func (c *checker) mapOrdered(x ast.Expr) bool {
	if _, ok := c.pass.TypesInfo.TypeOf(x).Underlying().(*types.Map); ok {
		return true
	}
	if c.collected(x) {
		return true
	}
	if call, ok := ast.Unparen(x).(*ast.CallExpr); ok {
		path, name := pkgFunc(callee(c.pass.TypesInfo, call))
		return path == "maps" && (name == "Keys" || name == "Values" || name == "All")
	}
	return false
}

// orderLeak says how the order of rng's iterations leaves the loop, or ""
// if it does not.
func (c *checker) orderLeak(f *ast.File, rng *ast.RangeStmt) string {
	info := c.pass.TypesInfo
	why := ""
	ast.Inspect(rng.Body, func(n ast.Node) bool {
		if why != "" {
			return false
		}
		switch n := n.(type) {
		case *ast.SendStmt:
			why = "a channel send"
		case *ast.GoStmt:
			why = "a go statement"
		case *ast.AssignStmt:
			for i, rhs := range n.Rhs {
				call, ok := rhs.(*ast.CallExpr)
				if !ok || len(n.Lhs) != len(n.Rhs) || !isBuiltin(info, call, "append") {
					continue
				}
				if w := c.appendLeak(f, rng, n.Lhs[i]); w != "" {
					why = w
				}
			}
		case *ast.CallExpr:
			fn := callee(info, n)
			if fn == nil {
				return true
			}
			name := fn.Name()
			if recv := fn.Signature().Recv(); recv != nil {
				switch {
				case name == "Go":
					why = "a task started (" + name + ")"
				case isNamed(recv.Type(), providersPath, "Chan") && (name == "Send" || name == "TrySend"):
					why = "a send"
				case strings.HasPrefix(name, "Write") || name == "Printf" || name == "Println" || name == "Print":
					why = "a write (" + name + ")"
				case isNamed(recv.Type(), "log/slog", "Logger"):
					why = "a log line"
				case fn.Pkg() != nil && fn.Pkg().Path() == providersPath:
					// Cancel, Unlock, Close...: each may wake a task, and
					// the order of the ready set is the seed's to decide.
					why = "a provider call (" + name + ")"
				}
				return true
			}
			if fn.Pkg() == nil {
				return true
			}
			path := fn.Pkg().Path()
			if (path == "fmt" && (strings.HasPrefix(name, "Print") || strings.HasPrefix(name, "Fprint"))) ||
				path == "log" || path == "log/slog" && name != "String" && name != "Int" && name != "Any" {
				why = "a write (" + path + "." + name + ")"
			}
		}
		return true
	})
	return why
}

func isBuiltin(info *types.Info, call *ast.CallExpr, name string) bool {
	id, ok := ast.Unparen(call.Fun).(*ast.Ident)
	if !ok {
		return false
	}
	b, ok := info.Uses[id].(*types.Builtin)
	return ok && b.Name() == name
}

// appendLeak says how an append to lhs inside rng carries the map's order
// out: lhs outlives the function (a field, an element, a package-level
// variable), or it is a local variable used after the loop without being
// sorted first.
func (c *checker) appendLeak(f *ast.File, rng *ast.RangeStmt, lhs ast.Expr) string {
	info := c.pass.TypesInfo
	id, ok := ast.Unparen(lhs).(*ast.Ident)
	if !ok {
		// A field or an element outlives the loop; it is fine if the
		// function sorts it after the loop.
		want := c.text(lhs)
		sorted := false
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || call.Pos() < rng.End() || sorted {
				return !sorted
			}
			path, name := pkgFunc(callee(info, call))
			if (path == "sort" || path == "slices" && strings.Contains(name, "Sort")) && len(call.Args) > 0 && c.text(call.Args[0]) == want {
				sorted = true
			}
			return true
		})
		if sorted {
			return ""
		}
		return "an append to " + want
	}
	v, ok := info.ObjectOf(id).(*types.Var)
	if !ok || v.Pos() > rng.Pos() && v.Pos() < rng.End() {
		return "" // declared in the loop: the order stays in it
	}
	if why := c.orderedInto(f, rng.End(), lhs, " after the loop"); why != "" {
		return "an append to " + why
	}
	return ""
}

// orderedInto says how a slice in map order, stored in lhs by end, leaves:
// lhs is package-level ("package-level v"), or a local variable used
// after end before it is sorted ("v, used" + after + " unsorted,"); ""
// if it does not, or lhs is not an identifier.
func (c *checker) orderedInto(f *ast.File, end token.Pos, lhs ast.Expr, after string) string {
	info := c.pass.TypesInfo
	id, ok := ast.Unparen(lhs).(*ast.Ident)
	if !ok {
		return ""
	}
	v, ok := info.ObjectOf(id).(*types.Var)
	if !ok {
		return ""
	}
	if v.Parent() == v.Pkg().Scope() {
		return "package-level " + id.Name
	}
	// Is the variable sorted after the loop before it is used?
	var sortedAt, usedAt token.Pos
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if n.Pos() < end || (sortedAt.IsValid() && sortedAt < n.Pos()) {
				return true
			}
			path, name := pkgFunc(callee(info, n))
			if (path == "sort" || path == "slices" && strings.Contains(name, "Sort")) && mentions(info, n, v) {
				sortedAt = n.Pos()
				return false
			}
			if isBuiltin(info, n, "len") || isBuiltin(info, n, "cap") {
				return false
			}
		case *ast.Ident:
			if n.Pos() > end && info.Uses[n] == v && (!usedAt.IsValid() || n.Pos() < usedAt) {
				usedAt = n.Pos()
			}
		}
		return true
	})
	if usedAt.IsValid() && (!sortedAt.IsValid() || usedAt < sortedAt) {
		return id.Name + ", used" + after + " unsorted,"
	}
	return ""
}

// mentions reports whether n refers to v.
func mentions(info *types.Info, n ast.Node, v types.Object) bool {
	found := false
	ast.Inspect(n, func(m ast.Node) bool {
		if id, ok := m.(*ast.Ident); ok && info.Uses[id] == v {
			found = true
		}
		return !found
	})
	return found
}

// maporderFix ranges over the sorted keys instead, when the keys are of an
// ordered type and the map is named by a plain expression (evaluated twice
// once the value is looked up in the body).
func (c *checker) maporderFix(rng *ast.RangeStmt) []analysis.SuggestedFix {
	m, ok := c.pass.TypesInfo.TypeOf(rng.X).Underlying().(*types.Map)
	if !ok || rng.Tok != token.DEFINE || rng.Key == nil {
		return nil
	}
	if b, ok := m.Key().Underlying().(*types.Basic); !ok || b.Info()&types.IsOrdered == 0 {
		return nil
	}
	key, ok := rng.Key.(*ast.Ident)
	if !ok || key.Name == "_" {
		return nil
	}
	switch x := ast.Unparen(rng.X).(type) {
	case *ast.Ident:
	case *ast.SelectorExpr:
		if _, ok := x.X.(*ast.Ident); !ok {
			return nil
		}
	default:
		return nil
	}
	pos := rng.Pos()
	var edits []analysis.TextEdit
	for _, pkg := range []string{"slices", "maps"} {
		if !c.imported(pos, pkg, pkg) {
			if !c.free(pos, pkg) {
				return nil
			}
			edits = append(edits, c.addImport(pos, pkg)...)
		}
	}
	mx := c.text(rng.X)
	edits = append(edits, edit(rng.Key.Pos(), rng.X.End(), "_, "+key.Name+" := range slices.Sorted(maps.Keys("+mx+"))"))
	if v, ok := rng.Value.(*ast.Ident); ok && v.Name != "_" {
		// The value, looked up at the top of the body.
		at, text := rng.Body.Lbrace+1, "\n"+v.Name+" := "+mx+"["+key.Name+"]"
		if len(rng.Body.List) > 0 {
			at, text = rng.Body.List[0].Pos(), v.Name+" := "+mx+"["+key.Name+"]\n"
		}
		edits = append(edits, edit(at, at, text))
	}
	return []analysis.SuggestedFix{fix("range over the sorted keys", edits...)}
}
