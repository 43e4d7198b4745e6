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
	p, _ := c.valueAt(pos, providersPath, "Providers", true)
	return p
}

// providersValueAt is providersAt as a providers.Providers value, for a
// fix that passes it: "*p" where p is a pointer.
func (c *checker) providersValueAt(pos token.Pos) string {
	p, t := c.valueAt(pos, providersPath, "Providers", true)
	if _, ptr := t.(*types.Pointer); ptr && p != "" {
		return "*" + p
	}
	return p
}

// contextAt returns a context.Context variable visible at pos, or "";
// never a field, since a fix also declares a parameter of that name.
func (c *checker) contextAt(pos token.Pos) string {
	ctx, _ := c.valueAt(pos, "context", "Context", false)
	return ctx
}

// valueAt returns the expression for a value of type path.name (or a
// pointer to one) visible at pos, and the type of that expression.
func (c *checker) valueAt(pos token.Pos, path, name string, fields bool) (string, types.Type) {
	inner := c.pass.Pkg.Scope().Innermost(pos)
	var field string
	var fieldType types.Type
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
				return n, v.Type()
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
					field, fieldType = n+"."+f.Name(), f.Type()
					break
				}
			}
		}
	}
	return field, fieldType
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

// callFix is the fix that replaces the call of u with text. The call's
// arguments are kept as written; its callee is the one use of a package
// that goes. When it was the file's last use of an import, the import
// goes too, so that the file still compiles with the fix applied alone.
//
// Applied together, fixes can leave an import unused that each of them
// alone keeps; the drivers (simvet -fix, analysistest) remove such
// imports, but not dot imports. So a call through a dot import whose
// every use is a call that a fix may rewrite gets no fix.
func (c *checker) callFix(u pkgCall, text string) []analysis.SuggestedFix {
	return c.replaceFix(u.call, u.ref, text)
}

// replaceFix is the fix that replaces n with text, where ref, in n, is
// the one use of a package that goes with it; more are the edits the new
// text needs (an import). It drops the import as callFix does.
func (c *checker) replaceFix(n ast.Node, ref ast.Expr, text string, more ...analysis.TextEdit) []analysis.SuggestedFix {
	edits := append([]analysis.TextEdit{replace(n, text)}, more...)
	spec, uses, kept := c.importUses(ref)
	switch {
	case spec == nil:
		return nil // not a use through an import: nothing to rewrite safely
	case uses == 1:
		edits = append(edits, c.unimport(spec))
	case spec.Name != nil && spec.Name.Name == "." && !kept:
		return nil
	}
	return []analysis.SuggestedFix{fix("use "+text, edits...)}
}

// importUses finds the import that ref, a package-level name of another
// package, is reached through, and counts its uses in ref's file. kept
// reports whether one of them is something other than the callee of a
// function call (a type, a constant, a function value), which no fix
// rewrites.
func (c *checker) importUses(ref ast.Expr) (spec *ast.ImportSpec, uses int, kept bool) {
	info := c.pass.TypesInfo
	f := fileOf(c.pass, ref.Pos())
	if f == nil {
		return nil, 0, false
	}
	var match func(id *ast.Ident) bool
	switch ref := ref.(type) {
	case *ast.SelectorExpr:
		id, _ := ref.X.(*ast.Ident)
		if id == nil {
			return nil, 0, false
		}
		pn, ok := info.Uses[id].(*types.PkgName)
		if !ok {
			return nil, 0, false
		}
		for _, s := range f.Imports {
			if info.PkgNameOf(s) == pn {
				spec = s
			}
		}
		match = func(id *ast.Ident) bool { return info.Uses[id] == pn }
	case *ast.Ident:
		path := info.Uses[ref].Pkg().Path()
		for _, s := range f.Imports {
			if p, _ := strconv.Unquote(s.Path.Value); p == path && s.Name != nil && s.Name.Name == "." {
				spec = s
			}
		}
		match = func(id *ast.Ident) bool {
			o := info.Uses[id]
			return o != nil && o.Pkg() != nil && o.Pkg().Path() == path && o.Parent() == o.Pkg().Scope()
		}
	}
	if spec == nil {
		return nil, 0, false
	}
	sels := map[*ast.Ident]bool{}  // identifiers after a dot: never a dot import's use
	callees := map[ast.Expr]bool{} // what calls call
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ImportSpec:
			return false
		case *ast.CallExpr:
			callees[ast.Unparen(n.Fun)] = true
		case *ast.SelectorExpr:
			sels[n.Sel] = true
			if id, ok := n.X.(*ast.Ident); ok && match(id) {
				if _, ok := info.Uses[id].(*types.PkgName); ok { // pkg.Name
					uses++
					_, fn := info.Uses[n.Sel].(*types.Func)
					kept = kept || !fn || !callees[n]
				}
			}
		case *ast.Ident:
			if sels[n] || !match(n) {
				return true
			}
			if _, ok := info.Uses[n].(*types.PkgName); ok {
				return true // counted with its selector
			}
			uses++ // a name of a dot import
			_, fn := info.Uses[n].(*types.Func)
			kept = kept || !fn || !callees[n]
		}
		return true
	})
	return spec, uses, kept
}

// unimport returns the edit that deletes spec: its whole line when it
// stands alone on one, and its declaration when it is the only import in
// it and has no parentheses.
func (c *checker) unimport(spec *ast.ImportSpec) analysis.TextEdit {
	f := fileOf(c.pass, spec.Pos())
	pos, end := spec.Pos(), spec.End()
	if spec.Comment != nil {
		end = spec.Comment.End()
	}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT && !g.Lparen.IsValid() && g.Pos() <= pos && pos < g.End() {
			pos = g.Pos()
		}
	}
	tf := c.pass.Fset.File(pos)
	src, err := c.pass.ReadFile(tf.Name())
	if err != nil {
		return edit(pos, end, "")
	}
	start, stop := tf.Offset(pos), tf.Offset(end)
	ls := start
	for ls > 0 && (src[ls-1] == ' ' || src[ls-1] == '\t') {
		ls--
	}
	le := stop
	for le < len(src) && (src[le] == ' ' || src[le] == '\t') {
		le++
	}
	if (ls == 0 || src[ls-1] == '\n') && le < len(src) && src[le] == '\n' {
		return edit(tf.Pos(ls), tf.Pos(le+1), "")
	}
	return edit(pos, end, "")
}
