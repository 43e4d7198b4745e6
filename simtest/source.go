package simtest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/parser"
	"go/token"
	"hash"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/moonpool-go/moonpool/internal/tally"
)

// sourceHash identifies the source found in the test package's module
// when the binary ran, for a merge to warn of shards that ran different
// source: go test stamps no version control information into a test
// binary, so its build record cannot tell two commits apart. The files
// are read at run time, not at the build: a binary built with go test -c
// and run after a checkout of another commit, or in another checkout,
// hashes what it finds there. It is read once a process, when a results
// file is first written, and is "" when the package's directory cannot be
// found (a binary run outside its module).
var sourceHash = ofThisBinary(sourceHashOf)

// ofThisBinary is f of the running test binary, computed once: f is given
// the directory the binary started in, its package path ("example.com/m/kv.test")
// and its main module's; "" when the binary records no build information.
func ofThisBinary(f func(start, binPath, module string) string) func() string {
	return sync.OnceValue(func() string {
		bi, ok := debug.ReadBuildInfo()
		if !ok {
			return ""
		}
		return f(startDir, bi.Path, bi.Main.Path)
	})
}

// packageInModule is where the test binary of binPath, started in start,
// has its package: the root directory of module, the nearest above start
// that go.mod names so, and the package's directory relative to it, in
// slashes. Both are "" when either cannot be found (a binary built from a
// list of files, or run outside its module).
func packageInModule(start, binPath, module string) (root, rel string) {
	rel, ok := packageDirOf(binPath, module)
	if !ok || start == "" {
		return "", ""
	}
	if root, _ = tally.ModuleRoot(start, module); root == "" {
		return "", ""
	}
	return root, rel
}

// sourceHashOf is sourceHash for a test binary of binPath (such as
// "example.com/m/kv.test") in module, started in start: the first 16 hex
// digits of a SHA-256 of the module's go.mod and go.sum and of the .go
// files of the test's package and of each package of the module it
// imports, transitively (their tests left out), each named by its path in
// the module. Paths in the module, not on the disk: one checkout copied to
// another directory, or to another machine, hashes the same. A file a
// build tag leaves out is hashed all the same; one of another kind (an
// embedded file, assembly) is not.
func sourceHashOf(start, binPath, module string) string {
	root, rel := packageInModule(start, binPath, module)
	if root == "" {
		return ""
	}
	h := sha256.New()
	for _, name := range []string{"go.mod", "go.sum"} {
		if data, err := os.ReadFile(filepath.Join(root, name)); err == nil {
			hashFile(h, name, data)
		}
	}
	pkg := path.Clean(rel)
	seen := make(map[string]bool)
	for dirs := []string{pkg}; len(dirs) > 0; dirs = dirs[1:] {
		dir := dirs[0]
		if seen[dir] {
			continue
		}
		seen[dir] = true
		entries, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(dir)))
		if err != nil {
			continue // an import of the module's that is no directory of it
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") && dir != pkg {
				continue
			}
			data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(dir), name))
			if err != nil {
				continue
			}
			hashFile(h, path.Join(dir, name), data)
			f, err := parser.ParseFile(token.NewFileSet(), name, data, parser.ImportsOnly)
			if err != nil {
				continue
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if p == module {
					dirs = append(dirs, ".")
				} else if r, ok := strings.CutPrefix(p, module+"/"); ok {
					dirs = append(dirs, r)
				}
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// hashFile adds the file name, of data, to h.
func hashFile(h hash.Hash, name string, data []byte) {
	fmt.Fprintf(h, "%s %d\n", name, len(data))
	h.Write(data)
}
