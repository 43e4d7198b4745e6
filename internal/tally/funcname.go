package tally

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
)

// FuncNames names the function a site is in as its source declares it,
// reading each file once. Where the compiler inlines a function that
// declares a closure into another, it makes a copy of the closure and
// names the copy after the function it was inlined into: a closure of
// hunt.Body inlined into TestHunt runs as hunt_test.TestHunt.Body.func2,
// not hunt.Body.func1, and a frame of it names the copy. The runtime
// keeps no tie from the copy to the original, so the source is read: the
// closure holding the site's line, its place among the closures of the
// function that declares it, and that file's package. It is not safe for
// concurrent use.
type FuncNames struct {
	root, module string // the module's directory and path
	files        map[string]*funcFile
}

// funcFile is what FuncNames reads of one file.
type funcFile struct {
	fset *token.FileSet
	file *ast.File // nil when the file could not be read
}

// NewFuncNames returns a FuncNames for the sites of the module at path
// module, whose root directory is root.
func NewFuncNames(root, module string) *FuncNames {
	return &FuncNames{root: root, module: module, files: make(map[string]*funcFile)}
}

// Of returns the name of the function s is in: s.Func, or when that names
// a copy of a closure that the compiler made in inlining (see FuncNames),
// the closure's name where the source declares it, such as
// example.com/m/hunt.Body.func1. A range-over-func loop's body and a go or
// defer statement's wrapper, functions the compiler makes (Body-range1,
// Body.func1.gowrap1, copied or not), are named for the function or
// closure the source declares around them: example.com/m/hunt.Body,
// example.com/m/hunt.Body.func1. A site outside the module, in a file
// that cannot be read, or whose function the source does not tell, keeps
// s.Func.
func (n *FuncNames) Of(s *Site) string {
	if s == nil {
		return ""
	}
	name := s.Func
	slash := strings.LastIndexByte(name, '/')
	dot := strings.IndexByte(name[slash+1:], '.')
	made := compilerMade(name)
	if s.File == "" || n == nil || n.module == "" || dot < 0 || !made && !closure(name) {
		return name // only a closure is copied
	}
	rest := name[slash+1+dot+1:]
	f := n.file(s.File)
	if f == nil {
		return name
	}
	decl, lits := funcAt(f, s.Line, s.Col)
	if decl == "" || len(lits) == 0 && !made {
		return name
	}
	// A copy's name is the function it was inlined into, then the
	// inlined function's, then its own number: TestHunt.Body.func2, or
	// TestHunt.func1.Body.2 within a closure of TestHunt. A loop body or
	// a go or defer statement's wrapper, copied or not, is named for the
	// function the source declares around it.
	if !made && (strings.HasPrefix(rest, decl+".") || !strings.Contains(rest, "."+decl+".")) {
		return name // the closure itself, or a name this does not know
	}
	pkg := n.pkgPath(s.File, f.file.Name.Name)
	if pkg == "" {
		return name
	}
	b := strings.Builder{}
	b.WriteString(pkg + "." + decl)
	for j, i := range lits {
		if j == 0 {
			b.WriteString(".func")
		} else {
			b.WriteString(".")
		}
		b.WriteString(strconv.Itoa(i))
	}
	return b.String()
}

// file returns the parsed file at path, or nil.
func (n *FuncNames) file(path string) *funcFile {
	f, ok := n.files[path]
	if ok {
		if f.file == nil {
			return nil
		}
		return f
	}
	f = &funcFile{fset: token.NewFileSet()}
	f.file, _ = parser.ParseFile(f.fset, path, nil, parser.SkipObjectResolution)
	n.files[path] = f
	if f.file == nil {
		return nil
	}
	return f
}

// pkgPath is the import path of the package of the file at path, whose
// package clause names pkg, as the runtime names its functions: main for
// a command, a _test suffix for an external test package; "" outside the
// module.
func (n *FuncNames) pkgPath(path, pkg string) string {
	if pkg == "main" {
		return pkg
	}
	rel, err := filepath.Rel(n.root, filepath.Dir(path))
	if n.root == "" || err != nil || !filepath.IsLocal(rel) && rel != "." {
		return ""
	}
	p := n.module
	if rel != "." {
		p += "/" + filepath.ToSlash(rel)
	}
	if strings.HasSuffix(pkg, "_test") && strings.HasSuffix(path, "_test.go") {
		p += "_test"
	}
	return p
}

// funcAt returns the declaration that holds line (at col, when col is not
// zero) of f as the runtime names a function (F, T.M, (*T).M, F[...]) and
// the places of the function literals around it, outermost first: each
// one's number among the literals of the function it is directly in, in
// source order, as the compiler numbers closures (F.func2.1).
func funcAt(f *funcFile, line, col int) (decl string, lits []int) {
	holds := func(n ast.Node) bool {
		pos, end := f.fset.Position(n.Pos()), f.fset.Position(n.End())
		return (pos.Line < line || pos.Line == line && (col == 0 || pos.Column <= col)) &&
			(line < end.Line || line == end.Line && (col == 0 || col < end.Column))
	}
	for _, d := range f.file.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil || !holds(fd) {
			continue
		}
		decl = funcDeclName(fd)
		var within ast.Node = fd.Body
		for {
			i, next := 0, ast.Node(nil)
			ast.Inspect(within, func(n ast.Node) bool {
				lit, ok := n.(*ast.FuncLit)
				if !ok || n == within || next != nil {
					return next == nil
				}
				i++
				if holds(lit) {
					next = lit
				}
				return false // its own literals are numbered under it
			})
			if next == nil {
				return decl, lits
			}
			lits = append(lits, i)
			within = next.(*ast.FuncLit).Body
		}
	}
	return "", nil
}

// funcDeclName names a declared function as the runtime does: F, F[...]
// for a generic one, T.M, (*T).M, (*T[...]).M.
func funcDeclName(fd *ast.FuncDecl) string {
	name := fd.Name.Name
	if fd.Type.TypeParams != nil {
		name += "[...]"
	}
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return name
	}
	t := fd.Recv.List[0].Type
	star := false
	if s, ok := t.(*ast.StarExpr); ok {
		star, t = true, s.X
	}
	recv := types(t)
	switch t.(type) {
	case *ast.IndexExpr, *ast.IndexListExpr:
		recv += "[...]"
	}
	if star {
		recv = "(*" + recv + ")"
	}
	return recv + "." + name
}

// compilerMade reports whether name is of a function the compiler made
// that the source declares none of: a range-over-func loop's body
// (F-range1, F.func1-range1-range2) or the wrapper of a go or defer
// statement's call (F.gowrap1, F.func1.deferwrap2). Its frames' sites are
// in the function the source declares around it.
func compilerMade(name string) bool {
	last := name[strings.LastIndexByte(name, '.')+1:]
	if _, r, ok := strings.Cut(last, "-range"); ok {
		return strings.Trim(strings.ReplaceAll(r, "-range", ""), "0123456789") == "" && r != ""
	}
	for _, w := range []string{"gowrap", "deferwrap"} {
		if n, ok := strings.CutPrefix(last, w); ok && n != "" && strings.Trim(n, "0123456789") == "" {
			return true
		}
	}
	return false
}

// closure reports whether name is a closure's as the compiler names it:
// its last element is funcN, or N for one declared in another closure.
func closure(name string) bool {
	last := name[strings.LastIndexByte(name, '.')+1:]
	last = strings.TrimPrefix(last, "func")
	return last != "" && strings.Trim(last, "0123456789") == ""
}
