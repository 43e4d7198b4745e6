package simvet

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/tools/go/analysis"
)

type directiveKind int

const (
	allow      directiveKind = iota // //simvet:allow RULE reason
	production                      // //simvet:production reason
	outside                         // //simvet:outside reason
)

// directive is one //simvet: comment of a package.
type directive struct {
	kind     directiveKind
	rule     string // allow's rule
	file     string
	line     int // the line it applies to
	pos, end token.Pos
	err      string // why it is malformed or misplaced, "" if it is not
	used     bool
}

// ruleNames are the names an allow directive may give: the names of
// [Analyzers], in their order (a test holds them equal).
func ruleNames() []string {
	return []string{"goroutine", "chan", "sync", "wallclock", "globalrand", "osnet", "maporder", "globalstate", "assertctx", "testingt", "scope"}
}

// parseDirectives finds the //simvet: comments of the package's files. An
// allow directive applies to its own line when code comes before it on
// that line, and to the next line when it stands alone. A production
// directive must come before the package clause of one of the files.
func parseDirectives(pass *analysis.Pass) []*directive {
	var ds []*directive
	for _, f := range pass.Files {
		tf := pass.Fset.File(f.Pos())
		var src []byte
		for _, cg := range f.Comments {
			for _, cm := range cg.List {
				text, ok := strings.CutPrefix(cm.Text, "//simvet:")
				if !ok {
					continue
				}
				if src == nil {
					src, _ = pass.ReadFile(tf.Name())
				}
				d := parseDirective(text, cm.Pos(), cm.End(), tf, src)
				if (d.kind == production || d.kind == outside) && cm.Pos() > f.Package && d.err == "" {
					d.err = "//simvet:" + verbOf(text) + " must come before the package clause"
				}
				ds = append(ds, d)
			}
		}
	}
	return ds
}

func parseDirective(text string, pos, end token.Pos, tf *token.File, src []byte) *directive {
	d := &directive{file: tf.Name(), pos: pos, end: end}
	if i := strings.Index(text, "//"); i >= 0 {
		text = text[:i] // a comment on the directive
	}
	verb, rest, _ := strings.Cut(text, " ")
	rest = strings.TrimSpace(rest)
	switch verb {
	case "allow":
		d.kind = allow
		rule, reason, _ := strings.Cut(rest, " ")
		d.rule = rule
		switch {
		case rule == "":
			d.err = "//simvet:allow needs a rule and a reason: //simvet:allow RULE reason, RULE one of " + strings.Join(ruleNames(), ", ")
		case !slices.Contains(ruleNames(), rule):
			d.err = "//simvet:allow names no rule " + quote(rule) + "; the rules are " + strings.Join(ruleNames(), ", ")
		case strings.TrimSpace(reason) == "":
			d.err = "//simvet:allow " + rule + " needs a reason after the rule: say why the line is safe in a simulation"
		}
	case "production":
		d.kind = production
		if rest == "" {
			d.err = "//simvet:production needs a reason: say why the package never runs in a simulation"
		}
	case "outside":
		d.kind = outside
		if rest == "" {
			d.err = "//simvet:outside needs a reason: say why the file's code never runs in a simulation"
		}
	default:
		d.kind = -1
		d.err = "//simvet:" + verb + " is not a directive; simvet knows //simvet:allow RULE reason, //simvet:production reason and //simvet:outside reason"
	}
	d.line = tf.Line(pos)
	if !trailing(tf, src, pos) {
		d.line++
	}
	return d
}

// trailing reports whether code comes before pos on its line.
func trailing(tf *token.File, src []byte, pos token.Pos) bool {
	start := tf.Offset(tf.LineStart(tf.Line(pos)))
	off := tf.Offset(pos)
	if src == nil || off > len(src) {
		return false
	}
	return len(bytes.TrimSpace(src[start:off])) > 0
}

func verbOf(text string) string { v, _, _ := strings.Cut(text, " "); return v }

func quote(s string) string { return `"` + s + `"` }

// reportMalformed reports the directives that are malformed or misplaced.
func reportMalformed(pass *analysis.Pass, ds []*directive) {
	for _, d := range ds {
		if d.err != "" {
			pass.Report(analysis.Diagnostic{Pos: d.pos, End: d.end, Category: "scope", Message: "scope: " + d.err})
		}
	}
}

// fileOf returns the file of pass that holds pos.
func fileOf(pass *analysis.Pass, pos token.Pos) *ast.File {
	for _, f := range pass.Files {
		if f.FileStart <= pos && pos < f.FileEnd {
			return f
		}
	}
	return nil
}

// optedOutBeside reports whether pass is an external test package (package
// p_test) of a package that opts out: the opt-out covers the tests written
// beside the package too, so that one line opts a program out.
func optedOutBeside(pass *analysis.Pass) bool {
	if !strings.HasSuffix(pass.Pkg.Name(), "_test") || len(pass.Files) == 0 {
		return false
	}
	dir := filepath.Dir(pass.Fset.File(pass.Files[0].Pos()).Name())
	names, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.PackageClauseOnly|parser.ParseComments)
		if err == nil && productionDirective(f) {
			return true
		}
	}
	return false
}

// productionDirective reports whether f's header opts its package out.
func productionDirective(f *ast.File) bool {
	for _, cg := range f.Comments {
		for _, cm := range cg.List {
			if cm.Pos() > f.Package {
				return false
			}
			if fields := strings.Fields(strings.TrimPrefix(cm.Text, "//simvet:")); strings.HasPrefix(cm.Text, "//simvet:production") && len(fields) >= 2 {
				return true
			}
		}
	}
	return false
}
