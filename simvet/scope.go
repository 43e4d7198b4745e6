package simvet

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
)

// Scope reports what simvet could not look at, so that no package passes
// by not being seen: files left out by build constraints, the C side of
// cgo files, and malformed or misplaced //simvet: directives.
var Scope = newRule("scope", scopeDoc, runScope)

func runScope(c *checker) {
	reportMalformed(c.pass, parseDirectives(c.pass))
	for _, f := range c.pass.Files {
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); path == "C" {
				c.report(imp, "cgo: the C code this file calls is not analyzed, and C reaches the clock, threads, files and sockets outside the simulation; keep it out of code under test, or allow it with //simvet:allow scope reason")
			}
		}
	}
	if len(c.pass.Files) == 0 {
		return
	}
	at := c.pass.Files[0].Name
	for _, f := range c.pass.Files {
		if !ast.IsGenerated(f) {
			at = f.Name
			break
		}
	}
	for _, name := range c.pass.IgnoredFiles {
		if !strings.HasSuffix(name, ".go") {
			continue
		}
		src, err := c.pass.ReadFile(name)
		if err != nil {
			c.report(at, "could not read "+filepath.Base(name)+", which build constraints leave out: "+err.Error())
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil || allowsScope(f) {
			continue
		}
		constraint := ""
		for _, cg := range f.Comments {
			for _, cm := range cg.List {
				if s, ok := strings.CutPrefix(cm.Text, "//go:build "); ok {
					constraint = " (//go:build " + s + ")"
				}
			}
		}
		if constraint == "" && strings.HasSuffix(name, "_test.go") {
			continue // a test file of another package, left out for no constraint of its own
		}
		c.report(at, filepath.Base(name)+" is left out by build constraints"+constraint+" and was not analyzed; run simvet again with the GOOS, GOARCH or -tags that select it, or put //simvet:allow scope reason above its package clause")
	}
}

// allowsScope reports whether an ignored file's header carries a
// well-formed //simvet:allow scope or //simvet:production directive.
func allowsScope(f *ast.File) bool {
	for _, cg := range f.Comments {
		for _, cm := range cg.List {
			if cm.Pos() > f.Package {
				return false
			}
			text, ok := strings.CutPrefix(cm.Text, "//simvet:")
			if !ok {
				continue
			}
			fields := strings.Fields(text)
			if len(fields) >= 3 && fields[0] == "allow" && fields[1] == "scope" ||
				len(fields) >= 2 && fields[0] == "production" {
				return true
			}
		}
	}
	return false
}
