package tally

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/tools/cover"
)

// Profile returns the Run's assertion coverage profile, in the model of
// golang.org/x/tools/cover: one block per assertion call, spanning the
// call expression. A block's count is how many times its assertion held:
// passed, came true, was reached. An assertion that failed, that never
// came true, or that had to be reached and was not, and a misused call,
// count zero, so that go tool cover -html shows them red; an Unreachable
// or AlwaysOrUnreachable that was never reached counts one. Call Catalogue first, so that the
// profile has the calls no seed reached and the extent of every call;
// sites whose source could not be read are left out.
//
// Files are named by import path, as go test -coverprofile names them,
// when they sit in a module; by absolute path otherwise.
func (b *Book) Profile() []*cover.Profile {
	type key struct {
		file      string
		line, col int
	}
	blocks := make(map[key]*cover.ProfileBlock)
	bad := make(map[key]bool)
	add := func(s *Site, count int, failed bool) {
		if s == nil || s.EndLine == 0 {
			return
		}
		k := key{s.File, s.Line, s.Col}
		blk := blocks[k]
		if blk == nil {
			blk = &cover.ProfileBlock{StartLine: s.Line, StartCol: s.Col, EndLine: s.EndLine, EndCol: s.EndCol, NumStmt: 1}
			blocks[k] = blk
		}
		// Several assertions at one site (a message made at run time):
		// the site is red if any of them is.
		bad[k] = bad[k] || failed
		blk.Count += count
	}
	for _, e := range b.all() {
		count, failed := e.coverCount()
		add(e.site, count, failed)
		for _, s := range e.more {
			add(s, count, failed)
		}
	}
	// A misused call may have no entry (an empty message, a message of
	// another kind): it is a problem all the same.
	for m := range b.misused {
		add(m.site, 0, true)
	}
	names := make(map[string]string) // file → profile name
	byName := make(map[string]*cover.Profile)
	for k, blk := range blocks {
		if bad[k] {
			blk.Count = 0
		}
		name, ok := names[k.file]
		if !ok {
			name = importPath(k.file)
			names[k.file] = name
		}
		p := byName[name]
		if p == nil {
			p = &cover.Profile{FileName: name, Mode: "count"}
			byName[name] = p
		}
		p.Blocks = append(p.Blocks, *blk)
	}
	out := make([]*cover.Profile, 0, len(byName))
	for _, p := range byName {
		slices.SortFunc(p.Blocks, func(a, b cover.ProfileBlock) int {
			return cmp.Or(cmp.Compare(a.StartLine, b.StartLine), cmp.Compare(a.StartCol, b.StartCol))
		})
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *cover.Profile) int { return strings.Compare(a.FileName, b.FileName) })
	return out
}

// all returns every entry, reached or from the source.
func (b *Book) all() []*Entry {
	out := make([]*Entry, 0, len(b.entries)+len(b.static))
	for _, e := range b.entries {
		out = append(out, e)
	}
	return append(out, b.static...)
}

// coverCount is an entry's count in the profile, and whether it is a
// problem (counted zero).
func (e *Entry) coverCount() (int, bool) {
	switch {
	case e.status() != OK:
		return 0, true
	case e.passes == 0:
		return 1, false // an Unreachable or AlwaysOrUnreachable, rightly unreached
	}
	return int(min(e.passes, math.MaxInt32)), false
}

// WriteProfile writes profiles in the text format of go test
// -coverprofile, which cover.ParseProfiles reads back.
func WriteProfile(w io.Writer, profiles []*cover.Profile) error {
	bw := bufio.NewWriter(w)
	mode := "count"
	if len(profiles) > 0 && profiles[0].Mode != "" {
		mode = profiles[0].Mode
	}
	fmt.Fprintf(bw, "mode: %s\n", mode)
	for _, p := range profiles {
		for _, b := range p.Blocks {
			fmt.Fprintf(bw, "%s:%d.%d,%d.%d %d %d\n", p.FileName, b.StartLine, b.StartCol, b.EndLine, b.EndCol, b.NumStmt, b.Count)
		}
	}
	return bw.Flush()
}

// importPath names a source file by its package's import path: the module
// path from the nearest go.mod above it, and the file's path below that.
func importPath(file string) string {
	root, module := ModuleRoot(filepath.Dir(file), "")
	if module == "" {
		return file
	}
	rel, err := filepath.Rel(root, file)
	if err != nil {
		return file
	}
	return path.Join(module, filepath.ToSlash(rel))
}

// ModuleRoot is the nearest directory at or above dir whose go.mod names
// module, and the module path that go.mod gives; with module "", the
// nearest go.mod's, whatever it names. A go.mod of another module (one
// nested in module) is passed over. Both are "" when there is none.
func ModuleRoot(dir, module string) (root, modulePath string) {
	for {
		if mod, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil {
			if p := modfile.ModulePath(mod); module == "" || p == module {
				return dir, p
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ""
		}
		dir = parent
	}
}
