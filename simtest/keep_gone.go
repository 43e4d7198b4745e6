package simtest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/moonpool-go/moonpool/internal/plural"
)

// goneKeptTold makes the first Run of the process that reads its kept
// seeds the one that names the kept directories of tests the package no
// longer has (goneKept): the directories are the package's, not a test's,
// and every Run naming them would repeat the line in every test.
//
// It is the process's state, as outputMu and written are: a record of what
// the process told of the file system. No simulation reads it, and no
// seed, trace or outcome depends on it; only which test's log carries the
// line does.
var goneKeptTold sync.Once

// tellGoneKept logs, once a process, the kept directories of tests the
// package no longer has (goneKept), on the first real test whose Run reads
// its kept seeds: a helper's testing.TB of its own may log nowhere.
func (r *runner) tellGoneKept() {
	r.t.Helper()
	if _, ok := r.t.(*testing.T); !ok {
		return
	}
	note := ""
	goneKeptTold.Do(func() {
		top, _, _ := strings.Cut(r.t.Name(), "/")
		note = goneKept(keepBase(), top)
	})
	if note != "" {
		r.t.Log(note) // here, not in Do's function: a helper's line is passed over
	}
}

// maxGoneListed bounds how many kept files goneKept lists for a directory.
const maxGoneListed = 5

// goneKept names the directories below base's keepDir whose test the
// package in base no longer has, and the kept files in each, which never
// run: a test renamed or deleted leaves its directory behind. A kept
// directory is a test's when its name is the test's name, escaped
// (keepPath) or as it is (oldKeepPath), in any case, as a file system that
// ignores case takes it; the tests are the Test and Fuzz functions of
// every _test.go file in base, whatever its build constraints. self is the
// running test's top-level name: unless those files declare it, they are
// not the running binary's (a binary run outside its package's directory),
// and goneKept says nothing, as it does when a file cannot be read or
// parsed. "" when every directory is a test's.
func goneKept(base, self string) string {
	dir := filepath.Join(base, keepDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) == 0 {
		return ""
	}
	tests, ok := testFuncs(base)
	if !ok || !tests[self] {
		return ""
	}
	var lines []string
	for _, d := range dirs {
		if keptDirOf(d, tests) {
			continue
		}
		files := keptFilesIn(filepath.Join(dir, d))
		if len(files) == 0 {
			continue
		}
		listed := strings.Join(files[:min(len(files), maxGoneListed)], ", ")
		if more := len(files) - maxGoneListed; more > 0 {
			listed += fmt.Sprintf(" and %d more", more)
		}
		name := unescapeName(d)
		lines = append(lines, fmt.Sprintf("simtest: %s keeps %s (%s) of %s, a test this package no longer has (its _test.go files have no function %s), so %s never %s: "+
			"if the test was renamed, rename the directory to its new name; if it was deleted, or the bugs are fixed, delete the directory",
			filepath.Join(dir, d), plural.Count(len(files), "file"), listed, name, name,
			pluralWord(len(files), "it", "they"), pluralWord(len(files), "runs", "run")))
	}
	return strings.Join(lines, "\n")
}

// keptDirOf reports whether the kept directory named d is one of tests'.
func keptDirOf(d string, tests map[string]bool) bool {
	for test := range tests {
		if strings.EqualFold(d, escapeName(test)) || strings.EqualFold(d, test) {
			return true
		}
	}
	return false
}

// keptFilesIn lists the files below the kept directory dir, by their
// paths relative to it, in slashes: seeds, timelines, fuzz inputs, and
// those of subtests in the directories below. Hidden files (.gitkeep) are
// no kept files.
func keptFilesIn(dir string) []string {
	var out []string
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil
		case strings.HasPrefix(d.Name(), ".") && path != dir:
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		case d.IsDir():
			return nil
		}
		if rel, err := filepath.Rel(dir, path); err == nil {
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

// testFuncs returns the names of the Test and Fuzz functions that the
// _test.go files in dir declare, and whether every one of them was read
// and parsed.
func testFuncs(dir string) (map[string]bool, bool) {
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil || len(files) == 0 {
		return nil, false
	}
	out := map[string]bool{}
	fset := token.NewFileSet()
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, false
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if ok && fn.Recv == nil && (strings.HasPrefix(fn.Name.Name, "Test") || strings.HasPrefix(fn.Name.Name, "Fuzz")) {
				out[fn.Name.Name] = true
			}
		}
	}
	return out, true
}

// unescapeName is the name escapeName made d from, for a name it did not
// cut; d as it is otherwise.
func unescapeName(d string) string {
	if d == "%" {
		return ""
	}
	if strings.Contains(d, "~") || !strings.Contains(d, "%") {
		return d
	}
	var b strings.Builder
	for i := 0; i < len(d); i++ {
		if d[i] == '%' && i+2 < len(d) {
			if c, err := strconv.ParseUint(d[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(c))
				i += 2
				continue
			}
		}
		b.WriteByte(d[i])
	}
	return b.String()
}
