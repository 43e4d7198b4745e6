package simvet

import (
	"bytes"
	"go/ast"
	"go/format"
	"go/token"
	"go/types"
	"strconv"

	"golang.org/x/tools/go/analysis"
)

// A suggested fix must compile: it names only values that are in scope
// where it applies, and packages that the file imports under their own
// name (or that the fix imports).

// isNamed reports whether t, or what it points to, is the named type
// path.name.
func isNamed(t types.Type, path, name string) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == path && n.Obj().Name() == name
}

// providersAt returns an expression for a providers.Providers value visible
// at pos, a variable ("p") or a field of one ("s.p"), or "" if there is
// none. The innermost variable wins; package-level variables are never
// suggested.
func (c *checker) providersAt(pos token.Pos) string {
	return c.valueAt(pos, providersPath, "Providers", true)
}

// contextAt returns a context.Context variable visible at pos, or "";
// never a field, since a fix also declares a parameter of that name.
func (c *checker) contextAt(pos token.Pos) string {
	return c.valueAt(pos, "context", "Context", false)
}

func (c *checker) valueAt(pos token.Pos, path, name string, fields bool) string {
	inner := c.pass.Pkg.Scope().Innermost(pos)
	var field string
	for s := inner; s != nil && s != c.pass.Pkg.Scope() && s != types.Universe; s = s.Parent() {
		for _, n := range s.Names() {
			v, ok := s.Lookup(n).(*types.Var)
			if !ok || v.Pos() >= pos || n == "_" {
				continue
			}
			if _, o := inner.LookupParent(n, pos); o != v {
				continue // shadowed where pos is
			}
			if isNamed(v.Type(), path, name) {
				return n
			}
			if field != "" || !fields {
				continue
			}
			t := v.Type()
			if p, ok := t.Underlying().(*types.Pointer); ok {
				t = p.Elem()
			}
			st, ok := t.Underlying().(*types.Struct)
			if !ok {
				continue
			}
			for i := range st.NumFields() {
				f := st.Field(i)
				if isNamed(f.Type(), path, name) && (f.Exported() || f.Pkg() == c.pass.Pkg) {
					field = n + "." + f.Name()
					break
				}
			}
		}
	}
	return field
}

// imported reports whether the package of path is known at pos by the
// name name, so that a fix can write "name.X".
func (c *checker) imported(pos token.Pos, path, name string) bool {
	_, o := c.pass.Pkg.Scope().Innermost(pos).LookupParent(name, pos)
	pn, ok := o.(*types.PkgName)
	return ok && pn.Imported().Path() == path
}

// free reports whether name means nothing at pos, so that a fix may
// import a package under it.
func (c *checker) free(pos token.Pos, name string) bool {
	_, o := c.pass.Pkg.Scope().Innermost(pos).LookupParent(name, pos)
	return o == nil
}

// addImport returns the edit that imports path into the file holding pos,
// or nil if it is imported already.
func (c *checker) addImport(pos token.Pos, path string) []analysis.TextEdit {
	f := fileOf(c.pass, pos)
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == path && imp.Name == nil {
			return nil
		}
	}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT && g.Lparen.IsValid() {
			return []analysis.TextEdit{{Pos: g.Lparen + 1, End: g.Lparen + 1, NewText: []byte("\n\t" + strconv.Quote(path))}}
		}
	}
	end := f.Name.End()
	return []analysis.TextEdit{{Pos: end, End: end, NewText: []byte("\n\nimport " + strconv.Quote(path))}}
}

// text returns the source of n.
func (c *checker) text(n ast.Node) string {
	var b bytes.Buffer
	format.Node(&b, c.pass.Fset, n)
	return b.String()
}

// fix is a suggested fix of one edit.
func fix(msg string, edits ...analysis.TextEdit) analysis.SuggestedFix {
	return analysis.SuggestedFix{Message: msg, TextEdits: edits}
}

func replace(n ast.Node, text string) analysis.TextEdit {
	return analysis.TextEdit{Pos: n.Pos(), End: n.End(), NewText: []byte(text)}
}

// callee returns the function or method a call calls, or nil.
func callee(info *types.Info, call *ast.CallExpr) *types.Func {
	var id *ast.Ident
	switch fn := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		id = fn
	case *ast.SelectorExpr:
		id = fn.Sel
	case *ast.IndexExpr:
		return nil
	default:
		return nil
	}
	f, _ := info.Uses[id].(*types.Func)
	return f
}

// pkgFunc returns the package path and name of the package-level function
// obj, or "" if obj is no such function.
func pkgFunc(obj *types.Func) (path, name string) {
	f := obj
	if f == nil || f.Pkg() == nil || f.Signature().Recv() != nil {
		return "", ""
	}
	return f.Pkg().Path(), f.Name()
}

// edit replaces the source from pos to end with text.
func edit(pos, end token.Pos, text string) analysis.TextEdit {
	return analysis.TextEdit{Pos: pos, End: end, NewText: []byte(text)}
}
