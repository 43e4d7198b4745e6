package tally

import (
	"bytes"
	"cmp"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/moonpool-go/moonpool/internal/simctx"
)

// assertionsPath is the import path of package assertions.
const assertionsPath = module + "assertions"

// simtestPath is the import path of package simtest, whose S a Run's body
// takes.
const simtestPath = module + "simtest"

// call is an assertion call found in a source file.
type call struct {
	kind simctx.AssertKind
	msg  string // "" when the message is not a string literal
	span span
	decl string // the enclosing top-level declaration
	// simless is the call's context when the source shows it carries no
	// simulation ("context.Background()", "context.TODO()"): the call
	// checks nothing, reached or not.
	simless string
}

// span is the extent of a call expression.
type span struct{ line, col, endLine, endCol int }

// source is what one file says: its assertion calls, and the extent of
// every call expression, for sites that are not assertions (invariants).
type source struct {
	calls []call
	spans []span // every call expression, outermost first on each line
	decls []declSpan
	lits  []span // every function literal, outermost first on each line
	// runs are the function literals of a *simtest.S alone, the bodies
	// given to Run (or Simulate, Fuzz), outermost first.
	runs []span
}

type declSpan struct {
	name          string
	line, endLine int
	// names are the identifiers it uses: a _test.go file's function that
	// a Run's body names is tied to the Run (Book.named).
	names map[string]bool
}

// messageArg is the position of the message among each function's
// arguments.
var messageArg = func() map[string]int {
	m := make(map[string]int)
	for _, k := range simctx.Kinds() {
		switch {
		case k == simctx.Reachable || k == simctx.Unreachable || k == simctx.SometimesAll || k == simctx.SometimesEach:
			m[k.String()] = 1
		case k.Numeric():
			m[k.String()] = 3
		default:
			m[k.String()] = 2
		}
	}
	return m
}()

func kindNamed(name string) simctx.AssertKind {
	for _, k := range simctx.Kinds() {
		if k.String() == name {
			return k
		}
	}
	return 0
}

// readSource parses a Go file and finds its assertion calls.
func readSource(path string) (*source, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	src, _, err := parsed.of(path, text)
	return src, err
}

// parsed is what the files of this process's Runs say, by name and text:
// every Run's table reads the files its seeds reached and the other files
// of their packages, the same files Run after Run, and parsing them was
// most of a short Run's report. A file is parsed again when its text is
// not what was parsed; what a Run reads depends on the text alone, so no
// Run sees another's.
var parsed = &sourceMemo{files: make(map[string]parsedFile)}

type sourceMemo struct {
	mu    sync.Mutex
	files map[string]parsedFile
}

type parsedFile struct {
	text      []byte
	src       *source // nil when the text does not parse
	generated bool
	err       error
}

// of returns the source of the file named path whose text is text, and
// whether it is generated code. The source is shared: read it, do not
// change it.
func (m *sourceMemo) of(path string, text []byte) (*source, bool, error) {
	m.mu.Lock()
	p, ok := m.files[path]
	m.mu.Unlock()
	if ok && bytes.Equal(p.text, text) {
		return p.src, p.generated, p.err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, text, parser.SkipObjectResolution|parser.ParseComments)
	p = parsedFile{text: text, err: err}
	if err == nil {
		p.src, p.generated = sourceOf(fset, f), ast.IsGenerated(f)
	}
	m.mu.Lock()
	m.files[path] = p
	m.mu.Unlock()
	return p.src, p.generated, p.err
}

// sourceOf finds the assertion calls of f, parsed in fset.
func sourceOf(fset *token.FileSet, f *ast.File) *source {
	local, sim, stdctx := "", "", ""
	if f.Name.Name == "simtest" {
		sim = "." // simtest's own tests name S alone
	}
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue
		}
		switch p {
		case "context":
			stdctx = "context"
			if imp.Name != nil {
				stdctx = imp.Name.Name
			}
		case assertionsPath:
			local = "assertions"
			if imp.Name != nil {
				local = imp.Name.Name
			}
		case simtestPath:
			sim = "simtest"
			if imp.Name != nil {
				sim = imp.Name.Name
			}
		}
	}
	src := &source{}
	for _, d := range f.Decls {
		name := ""
		switch d := d.(type) {
		case *ast.FuncDecl:
			name = d.Name.Name
			if d.Recv != nil && len(d.Recv.List) > 0 {
				name = types(d.Recv.List[0].Type) + "." + name
			}
		case *ast.GenDecl:
			name = d.Tok.String()
		}
		pos, end := fset.Position(d.Pos()), fset.Position(d.End())
		names := make(map[string]bool)
		src.decls = append(src.decls, declSpan{name: name, line: pos.Line, endLine: end.Line, names: names})
		ast.Inspect(d, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				names[id.Name] = true
				return true
			}
			if l, ok := n.(*ast.FuncLit); ok {
				pos, end := fset.Position(l.Pos()), fset.Position(l.End())
				sp := span{pos.Line, pos.Column, end.Line, end.Column}
				src.lits = append(src.lits, sp)
				if takesS(l.Type, sim) {
					src.runs = append(src.runs, sp)
				}
				return true
			}
			c, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			pos, end := fset.Position(c.Pos()), fset.Position(c.End())
			sp := span{pos.Line, pos.Column, end.Line, end.Column}
			src.spans = append(src.spans, sp)
			if local == "" || local == "_" || local == "." {
				return true
			}
			fn := c.Fun
			switch x := fn.(type) { // an explicit instantiation: AlwaysLessThan[int](...)
			case *ast.IndexExpr:
				fn = x.X
			case *ast.IndexListExpr:
				fn = x.X
			}
			sel, ok := fn.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); !ok || id.Name != local {
				return true
			}
			k := kindNamed(sel.Sel.Name)
			if k == 0 {
				return true
			}
			cl := call{kind: k, span: sp, decl: name}
			if i := messageArg[sel.Sel.Name]; i < len(c.Args) {
				if lit, ok := c.Args[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					cl.msg, _ = strconv.Unquote(lit.Value)
				}
			}
			if len(c.Args) > 0 {
				cl.simless = simlessContext(c.Args[0], stdctx)
			}
			src.calls = append(src.calls, cl)
			return true
		})
	}
	return src
}

// simlessContext returns x, a call's context argument, as the source
// reads when it is package context's Background() or TODO(), which carry
// no simulation (pkg is context's name in the file), or "".
func simlessContext(x ast.Expr, pkg string) string {
	c, ok := ast.Unparen(x).(*ast.CallExpr)
	if !ok || len(c.Args) != 0 || pkg == "" || pkg == "_" || pkg == "." {
		return ""
	}
	sel, ok := c.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Background" && sel.Sel.Name != "TODO" {
		return ""
	}
	if id, ok := sel.X.(*ast.Ident); !ok || id.Name != pkg {
		return ""
	}
	return pkg + "." + sel.Sel.Name + "()"
}

// takesS reports whether a function's only parameter is a *simtest.S, as
// a Run's body's is; sim is simtest's name in the file ("." when S is
// named alone).
func takesS(ft *ast.FuncType, sim string) bool {
	if sim == "" || sim == "_" || ft.Params == nil || len(ft.Params.List) != 1 || len(ft.Params.List[0].Names) > 1 {
		return false
	}
	star, ok := ft.Params.List[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	switch x := star.X.(type) {
	case *ast.Ident:
		return sim == "." && x.Name == "S"
	case *ast.SelectorExpr:
		id, ok := x.X.(*ast.Ident)
		return ok && id.Name == sim && x.Sel.Name == "S"
	}
	return false
}

// types names a receiver type, without its pointer or type parameters.
func types(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return types(x.X)
	case *ast.IndexExpr:
		return types(x.X)
	case *ast.IndexListExpr:
		return types(x.X)
	case *ast.Ident:
		return x.Name
	}
	return "?"
}

// declAt names the top-level declaration holding line.
func (s *source) declAt(line int) string {
	for _, d := range s.decls {
		if d.line <= line && line <= d.endLine {
			return d.name
		}
	}
	return ""
}

// holdsLine reports whether line is one of outer's.
func (outer span) holdsLine(line int) bool { return outer.line <= line && line <= outer.endLine }

// runAt returns the innermost function literal of a *simtest.S that holds
// sp, or ok false when none does.
func (s *source) runAt(sp span) (run span, ok bool) {
	for _, r := range s.runs {
		if r.holds(sp) && (!ok || run.holds(r)) {
			run, ok = r, true
		}
	}
	return run, ok
}

// holds reports whether sp lies within outer.
func (outer span) holds(sp span) bool {
	return (outer.line < sp.line || outer.line == sp.line && outer.col <= sp.col) &&
		(sp.endLine < outer.endLine || sp.endLine == outer.endLine && sp.endCol <= outer.endCol)
}

// spanAt returns the extent of the outermost call expression that begins
// on line, if there is one.
func (s *source) spanAt(line int) (span, bool) { return firstAt(s.spans, line) }

// litAt returns the extent of the outermost function literal that begins
// on line, if there is one.
func (s *source) litAt(line int) (span, bool) { return firstAt(s.lits, line) }

// firstAt returns the first of spans, kept outermost first on each line,
// that begins on line.
func firstAt(spans []span, line int) (span, bool) {
	for _, sp := range spans {
		if sp.line == line {
			return sp, true
		}
	}
	return span{}, false
}

// Catalogue reads the source of every file below dir (the test's module;
// "" for any) in which a seed reached an assertion, and adds the
// assertion calls there that no seed reached: in
// a file of production code, every other call in the file; in a _test.go
// file, every other call in the same top-level function, since the other
// tests of the file belong to other Runs. In either, the calls in a
// function literal of a *simtest.S that is not this Run's body (nor within
// it) and in which no seed reached an assertion are left: that is another
// Run's body, written beside this one's. It also gives every reached site
// the extent of its call, for the coverage profile. Files that cannot be
// read (a binary built with -trimpath, a file since deleted) are passed
// over, and so is a file that no longer holds what the binary ran (edited
// since the binary was built: see moved): Stale lists it. It returns the
// number of calls it added.
//
// The other files of the packages it reads, and of those ReadPackage
// names, are read too, for Unentered: their calls are not the table's.
func (b *Book) Catalogue(dir string) int {
	b.static, b.stale, b.unentered, b.named = nil, nil, nil, make(map[string]bool)
	byFile := make(map[string][]*Entry)
	for _, e := range b.entries {
		if e.site != nil && e.site.File != "" && Within(e.site, dir) {
			byFile[e.site.File] = append(byFile[e.site.File], e)
		}
	}
	for _, f := range b.entered {
		if _, ok := byFile[f.file]; !ok && Within(&Site{File: f.file}, dir) {
			byFile[f.file] = nil
		}
	}
	files := make([]string, 0, len(byFile))
	for f := range byFile {
		files = append(files, f)
	}
	slices.Sort(files)
	added := 0
	for _, file := range files {
		src, err := readSource(file)
		if err != nil {
			continue
		}
		reached := byFile[file]
		if moved(src.calls, reached) {
			b.stale = append(b.stale, file) // its lines are not the binary's
			continue
		}
		decls := make(map[string]bool)
		for _, e := range reached {
			decls[src.declAt(e.site.Line)] = true
		}
		// The entered functions' own calls: a declared function's, or a
		// function literal's, not those of the function around it, which
		// may hold the bodies of other Runs (subtests, a table of cases).
		var bodies []span
		for _, f := range b.entered {
			// A declaration of another name at the line is a file edited
			// since the build: its calls are not the function's.
			d := src.declAt(f.line)
			switch {
			case f.file != file || d == "":
			case f.name == d:
				decls[d] = true
			case strings.HasPrefix(f.name, d+"."):
				if sp, ok := src.litAt(f.line); ok {
					bodies = append(bodies, sp)
				}
			}
		}
		claimed := make([]bool, len(src.calls))
		for m := range b.misused {
			// A call misused (an empty message, a message of another
			// kind) was reached, though it has no entry.
			if m.site != nil && m.site.File == file {
				if i := match(src.calls, m.site.Line, m.kind); i >= 0 {
					claimed[i] = true
					setSpan(m.site, src.calls[i].span)
				}
			}
		}
		sites := make(map[*Site]bool)
		// The Run bodies in which a seed reached an assertion, and the
		// lines of reached sites no call matched (their line alone is
		// known).
		var reachedRuns []span
		var reachedLines []int
		for _, e := range reached {
			if sites[e.site] {
				continue
			}
			sites[e.site] = true
			i := match(src.calls, e.site.Line, e.kind)
			if i >= 0 {
				claimed[i] = true
				setSpan(e.site, src.calls[i].span)
			} else if sp, ok := src.spanAt(e.site.Line); ok {
				setSpan(e.site, sp)
			}
			if e.site.EndLine == 0 {
				reachedLines = append(reachedLines, e.site.Line)
			} else if r, ok := src.runAt(span{e.site.Line, e.site.Col, e.site.EndLine, e.site.EndCol}); ok {
				reachedRuns = append(reachedRuns, r)
			}
		}
		// The body of another Run written beside this one's (two Runs
		// in one test function) is that Run's: a function literal of a
		// *simtest.S that is not within this Run's body, and in which no
		// seed of this Run reached an assertion, holds calls that this
		// Run's body cannot reach.
		ours := func(run span) bool {
			return slices.ContainsFunc(bodies, func(b span) bool { return b.holds(run) }) ||
				slices.Contains(reachedRuns, run) || slices.ContainsFunc(reachedLines, run.holdsLine)
		}
		// In a file where only an entered function is known, that
		// function alone is read, as in a _test.go file.
		testFile := strings.HasSuffix(file, "_test.go") || len(reached) == 0
		if strings.HasSuffix(file, "_test.go") {
			// What the functions read here name ties the file's other
			// functions to the Run, for Unentered: a workload's type
			// whose methods are declared apart, a helper.
			for _, d := range src.decls {
				if decls[d.name] || slices.ContainsFunc(bodies, func(b span) bool { return d.line <= b.line && b.line <= d.endLine }) {
					for n := range d.names {
						b.named[n] = true
					}
				}
			}
		}
		for i, c := range src.calls {
			if claimed[i] || testFile && !decls[c.decl] && !slices.ContainsFunc(bodies, func(b span) bool { return b.holds(c.span) }) {
				continue
			}
			if run, ok := src.runAt(c.span); ok && !ours(run) {
				continue
			}
			site := &Site{File: file, Line: c.span.line}
			setSpan(site, c.span)
			if e := b.entries[c.msg]; c.msg != "" && e != nil && e.kind == c.kind {
				// The same message called from a second place: one
				// assertion, and the profile shows both places.
				if !slices.ContainsFunc(e.more, func(s *Site) bool { return s.File == file && s.Line == site.Line }) {
					e.more = append(e.more, site)
				}
				continue
			}
			e := &Entry{kind: c.kind, msg: c.msg, site: site, simless: c.simless}
			b.static = append(b.static, e)
			added++
		}
	}
	b.readUnentered(dir, byFile)
	return added
}

// An Unentered is an assertion call that no seed reached, in a file that
// Catalogue did not read for the table, since no seed entered it: no
// assertion of it reached, and not the Run's body. It lies beside a
// file that was read, in a directory of the same package, as a Reachable
// in a branch no seed took lies in a library's file whose other code ran
// every seed. It may belong to another test's code, so it is no gap: the
// report lists it apart, so that the table does not look complete when it
// is not.
type Unentered struct {
	Kind simctx.AssertKind
	Msg  string // "" when the message is not a string literal
	Site *Site
	// Simless is the call's context argument as its source reads, when
	// that shows it carries no simulation ("context.Background()"): the
	// call checks nothing, and its code may well have run in every seed.
	Simless string
}

// ReadPackage has Catalogue read the package in dir for Unentered, as it
// reads the packages of the files it catalogues: the test's own package,
// whose directory go test runs the test binary in.
func (b *Book) ReadPackage(dir string) {
	if dir != "" && !slices.Contains(b.packages, dir) {
		b.packages = append(b.packages, dir)
	}
}

// Unentered returns the assertion calls that Catalogue found no seed
// reached in the files of its packages that no seed entered, in the order
// of their files and lines.
func (b *Book) Unentered() []Unentered { return b.unentered }

// readUnentered reads, for Unentered, the files of the packages of read
// (the files Catalogue read, or passed over) and of those ReadPackage
// named that Catalogue did not read. Only the module below dir is read
// (nothing when dir is "": the module is not known, and the directories
// of other modules' files are theirs), each directory once, and in it
// only what go build would compile into the package: not its _test.go
// files (other tests), not files that build constraints leave out, not
// generated code, nor the directories testdata and vendor. A file that
// does not mention package assertions is not parsed. Of their _test.go
// files, read or not, it lists the calls of the functions that the
// functions Catalogue read there name (Book.named), and of the methods of
// the types they name, that Catalogue left out: a method of a workload
// declared in its own file, or a helper, which the Run may call, or
// another test, so no gap.
func (b *Book) readUnentered(dir string, read map[string][]*Entry) {
	if dir == "" {
		return
	}
	dirs := slices.Clone(b.packages)
	for f := range read {
		dirs = append(dirs, filepath.Dir(f))
	}
	slices.Sort(dirs)
	dirs = slices.Compact(dirs)
	ctx := buildContext()
	for _, d := range dirs {
		rel, err := filepath.Rel(dir, d)
		if err != nil || !filepath.IsLocal(rel) || slices.ContainsFunc(strings.Split(filepath.ToSlash(rel), "/"), func(p string) bool {
			return p == "testdata" || p == "vendor"
		}) {
			continue
		}
		names, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, n := range names {
			file := filepath.Join(d, n.Name())
			if !n.Type().IsRegular() || !strings.HasSuffix(n.Name(), ".go") {
				continue
			}
			if strings.HasSuffix(n.Name(), "_test.go") {
				b.unentered = append(b.unentered, b.unenteredIn(ctx, file, b.tied)...)
				continue
			}
			if _, ok := read[file]; !ok {
				b.unentered = append(b.unentered, b.unenteredIn(ctx, file, nil)...)
			}
		}
	}
	slices.SortFunc(b.unentered, func(x, y Unentered) int {
		return cmp.Or(compareSites(x.Site, y.Site), cmp.Compare(x.Kind, y.Kind))
	})
}

// unenteredIn returns the assertion calls of file that count for
// Unentered: not those of a Run's body (another test's, since this Run's
// was read), those a seed reached and misused, those of an assertion
// reached or listed elsewhere under the same message, nor an Unreachable
// or an AlwaysOrUnreachable, which may rightly go unreached. keep, when
// not nil, picks the calls of the file that count.
func (b *Book) unenteredIn(ctx build.Context, file string, keep func(file string, c call) bool) []Unentered {
	text, err := os.ReadFile(file)
	if err != nil || !bytes.Contains(text, []byte(assertionsPath)) {
		return nil
	}
	ctx.OpenFile = func(string) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(text)), nil }
	if ok, err := ctx.MatchFile(filepath.Dir(file), filepath.Base(file)); err != nil || !ok {
		return nil
	}
	src, generated, err := parsed.of(file, text)
	if err != nil || generated {
		return nil
	}
	var out []Unentered
	for _, c := range src.calls {
		if mayGoUnreached(c.kind) || slices.ContainsFunc(src.runs, func(r span) bool { return r.holds(c.span) }) || keep != nil && !keep(file, c) {
			continue
		}
		site := &Site{File: file, Line: c.span.line}
		same := func(e *Entry) bool { return e != nil && e.kind == c.kind && e.msg == c.msg }
		if b.misusedAt(KeyOf(site, c.kind)) || c.msg != "" && (same(b.entries[c.msg]) || slices.ContainsFunc(b.static, same)) {
			continue
		}
		setSpan(site, c.span)
		out = append(out, Unentered{Kind: c.kind, Msg: c.msg, Site: site, Simless: c.simless})
	}
	return out
}

// tied reports whether c, a call of a _test.go file, is in a function that
// the functions Catalogue read in _test.go files name, or a method of a
// type they name, and is not already the table's.
func (b *Book) tied(file string, c call) bool {
	recv, _, _ := strings.Cut(c.decl, ".")
	if !b.named[recv] {
		return false
	}
	at := func(s *Site) bool { return s != nil && s.File == file && s.Line == c.span.line }
	for _, e := range b.entries {
		if at(e.site) || slices.ContainsFunc(e.more, at) {
			return false
		}
	}
	return !slices.ContainsFunc(b.static, func(e *Entry) bool { return at(e.site) || slices.ContainsFunc(e.more, at) })
}

// misusedAt reports whether a seed reached and misused the call at k.
func (b *Book) misusedAt(k CallKey) bool {
	for m := range b.misused {
		if m.site != nil && KeyOf(m.site, m.kind) == k {
			return true
		}
	}
	return false
}

// buildContext is the build context of the running binary, as far as it
// says: its platform, and the build tags and cgo setting it was built with.
func buildContext() build.Context {
	ctx := build.Default
	ctx.GOOS, ctx.GOARCH = runtime.GOOS, runtime.GOARCH
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "-tags":
				ctx.BuildTags = strings.Split(s.Value, ",")
			case "CGO_ENABLED":
				ctx.CgoEnabled = s.Value == "1"
			}
		}
	}
	return ctx
}

// enteredFunc is a function that Catalogue reads as if a seed had
// reached an assertion in it: name is its name as the runtime gives it,
// without its package path ("TestKV.func1", "T.m"), and line the line of
// file it begins on.
type enteredFunc struct {
	file string
	line int
	name string
}

// Enter has Catalogue read the assertion calls of the function name
// (the runtime's name, such as example.com/pkg_test.TestKV.func1), which
// begins at line of file, though no seed reached one of them: the body of
// a Run, whose only assertions may be ones that no seed reached. Only the
// function itself is read, in a _test.go file or another: a function
// literal's calls, not those of the function around it, which may hold
// the bodies of other Runs.
func (b *Book) Enter(file string, line int, name string) {
	if file == "" || name == "" {
		return
	}
	name = name[strings.LastIndexByte(name, '/')+1:]
	if _, rest, ok := strings.Cut(name, "."); ok {
		name = rest // past the package's name
	}
	// A method's receiver as a declaration names it: (*T).m is T.m.
	name = strings.NewReplacer("(*", "", ")", "", "[...]", "").Replace(name)
	name = strings.TrimSuffix(name, "-fm") // a method value
	b.entered = append(b.entered, enteredFunc{file: file, line: line, name: name})
}

// moved reports whether the source's calls say that some assertion reached
// is not where the binary ran it: its line holds an assertion of another
// kind, or its message is an assertion's of its kind on another line. An
// entry whose line holds no assertion call (an invariant's, an
// Eventually's) says nothing.
func moved(calls []call, reached []*Entry) bool {
	for _, e := range reached {
		here, elsewhere := false, false
		for _, c := range calls {
			switch {
			case c.span.line == e.site.Line && c.kind == e.kind:
				here = true
			case c.span.line == e.site.Line:
				elsewhere = true // another kind at its line
			case c.kind == e.kind && c.msg != "" && c.msg == e.msg:
				elsewhere = true
			}
		}
		if elsewhere && !here {
			return true
		}
	}
	return false
}

// Stale lists the files that Catalogue passed over for no longer holding
// what the binary ran.
func (b *Book) Stale() []string { return b.stale }

// match finds the call of kind k that begins on line; the runtime gives a
// call the line on which its expression begins.
func match(calls []call, line int, k simctx.AssertKind) int {
	for i, c := range calls {
		if c.span.line == line && c.kind == k {
			return i
		}
	}
	return -1
}

func setSpan(s *Site, sp span) {
	s.Col, s.EndLine, s.EndCol = sp.col, sp.endLine, sp.endCol
}

// Within reports whether s is in a file below dir; every site is below "".
func Within(s *Site, dir string) bool {
	if dir == "" {
		return true
	}
	if s == nil {
		return false
	}
	rel, err := filepath.Rel(dir, s.File)
	return err == nil && filepath.IsLocal(rel)
}
