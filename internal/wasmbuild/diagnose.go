package wasmbuild

import (
	"bufio"
	"fmt"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
)

// diagnose explains why the packages go list found cannot make a wasip1
// program, or returns nil. It names the first package, in go list's order
// (dependencies first), that stops the build, and the chain of imports
// from the main package to it.
func diagnose(pkgPath string, pkgs []pkg) error {
	for _, p := range pkgs {
		if p.Error == nil {
			continue
		}
		return stopped(pkgs[len(pkgs)-1].ImportPath, p, chain(p.Error.ImportStack, p.ImportPath), p.Error.Err, false)
	}
	main := pkgs[len(pkgs)-1]
	if main.Name != "main" {
		return fmt.Errorf("wasmbuild: %s is package %s, not a main package; name the package that holds func main", pkgPath, main.Name)
	}
	return nil
}

// recipes are the modules that do not build for wasip1 as they are and
// whose copy docs/programs.md tells how to make: in the paragraph that
// opens with lead, under the heading.
var recipes = []struct{ module, lead, heading string }{
	{"go.etcd.io/bbolt", "bbolt.", "What the program sees"},
	{"github.com/hashicorp/go-sockaddr", "memberlist, Serf, Consul's libraries (go-sockaddr).", "What the program sees"},
	{"github.com/syndtr/goleveldb", "File locks.", "What stays out"},
	{"github.com/cockroachdb/pebble", "Pebble.", "What the program sees"}, // and pebble/v2
	{"github.com/coreos/go-systemd/v22", "etcd.", "What the program sees"},
	{"go.etcd.io/etcd/client/pkg/v3", "etcd.", "What the program sees"},
}

// stopped is the error for package p, which stops the build of the main
// package mainPath for reason: go list's words, or the compiler's when
// compiled is true. A package of a module that docs/programs.md has a
// recipe for, whose code does not build for wasip1, says where the
// recipe is, in place of the advice to keep the package out, which cannot
// apply to a module that a library the program needs imports.
func stopped(mainPath string, p pkg, via, reason string, compiled bool) error {
	for _, r := range recipes {
		if p.ImportPath == r.module || strings.HasPrefix(p.ImportPath, r.module+"/") {
			if !compiled && !strings.HasPrefix(reason, "build constraints exclude all Go files") || len(cgoFiles(p)) > 0 {
				break // not a matter of the system: a missing module, say
			}
			return fmt.Errorf("wasmbuild: %s%s does not build for wasip1: %s; build a copy of %s that does and point the program's go.mod at it with a replace directive, as docs/programs.md tells in the paragraph **%s**, under %q", p.ImportPath, via, reason, r.module, r.lead, r.heading)
		}
	}
	return stoppedBy(mainPath, p, via, reason, compiled)
}

func stoppedBy(mainPath string, p pkg, via, reason string, compiled bool) error {
	if cgo := cgoFiles(p); len(cgo) > 0 {
		return fmt.Errorf("wasmbuild: cgo is not available under WebAssembly, and %s%s needs it (%s); use a pure-Go replacement, or keep the code that imports it out of the program with a //go:build !wasip1 file", p.ImportPath, via, strings.Join(cgo, ", "))
	}
	if strings.HasPrefix(reason, "build constraints exclude all Go files") {
		return fmt.Errorf("wasmbuild: %s%s has no files for GOOS=wasip1, so %s cannot be built for WebAssembly; keep the code that imports it out of the program with a //go:build !wasip1 file, or replace the dependency", p.ImportPath, via, mainPath)
	}
	if p.ImportPath == mainPath && compiled {
		// The package was found, and its code is what fails.
		return fmt.Errorf("wasmbuild: the main package %s does not build for wasip1: %s; if it builds for other systems, keep the code that does not build for wasip1 out of the program with a //go:build !wasip1 file", mainPath, reason)
	}
	if p.ImportPath == mainPath {
		return fmt.Errorf("wasmbuild: the main package %s does not build for wasip1: %s; check Config.Package (a path relative to Config.Dir starts with ./)", mainPath, reason)
	}
	return fmt.Errorf("wasmbuild: %s%s does not build for wasip1: %s; if it builds for other systems, keep the code that imports it out of the program with a //go:build !wasip1 file, or replace the dependency", p.ImportPath, via, reason)
}

// chain writes an import stack as " (imported by a → b → c)", or "" for
// the main package itself.
func chain(stack []string, self string) string {
	if len(stack) > 0 && stack[len(stack)-1] == self {
		stack = stack[:len(stack)-1]
	}
	if len(stack) == 0 {
		return ""
	}
	return " (imported by " + strings.Join(stack, " → ") + ")"
}

// cgoFiles returns the files of p that import "C", which go list leaves
// out (as ignored) when cgo is off.
func cgoFiles(p pkg) []string {
	var out []string
	fset := token.NewFileSet()
	for _, name := range append(append([]string{}, p.CgoFiles...), p.IgnoredGoFiles...) {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.ImportsOnly)
		if err != nil {
			continue
		}
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); path == "C" {
				out = append(out, name)
				break
			}
		}
	}
	return out
}

// compileError explains a failed go build: the compiler heads its errors
// for each package with "# import/path". It names the first such package
// and its import chain, found in pkgs.
func compileError(pkgPath string, pkgs []pkg, stderr string) error {
	byPath := make(map[string]pkg, len(pkgs))
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	sc := bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		line := sc.Text()
		name, ok := strings.CutPrefix(line, "# ")
		if !ok {
			continue
		}
		p, ok := byPath[name]
		if !ok {
			continue
		}
		var first string
		if sc.Scan() {
			first = strings.TrimSpace(sc.Text())
		}
		err := stopped(pkgs[len(pkgs)-1].ImportPath, p, chain(importChain(pkgs, name), name), first, true)
		if len(cgoFiles(p)) > 0 {
			return err
		}
		return fmt.Errorf("%w\n%s", err, stderr)
	}
	return fmt.Errorf("wasmbuild: building %s for wasip1 failed:\n%s", pkgPath, stderr)
}

// importChain returns a shortest chain of imports from the main package
// (the last in pkgs) to target, both included.
func importChain(pkgs []pkg, target string) []string {
	byPath := make(map[string]pkg, len(pkgs))
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	root := pkgs[len(pkgs)-1].ImportPath
	prev := map[string]string{root: ""}
	queue := []string{root}
	for len(queue) > 0 {
		at := queue[0]
		queue = queue[1:]
		if at == target {
			var out []string
			for ; at != ""; at = prev[at] {
				out = append([]string{at}, out...)
			}
			return out
		}
		for _, imp := range byPath[at].Imports {
			if _, seen := prev[imp]; !seen {
				prev[imp] = at
				queue = append(queue, imp)
			}
		}
	}
	return nil
}
