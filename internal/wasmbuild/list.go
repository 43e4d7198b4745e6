package wasmbuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// pkg is what Build reads from go list about each package in the build.
type pkg struct {
	ImportPath string
	Name       string
	Dir        string
	Standard   bool
	Module     *struct {
		Path    string
		Version string
		Dir     string
	}
	GoFiles, SFiles, EmbedFiles []string
	CgoFiles                    []string
	IgnoredGoFiles              []string
	Imports                     []string
	Incomplete                  bool
	Error                       *struct {
		Err         string
		ImportStack []string
	}
}

// listArgs are the go list flags Build uses; the fields named are the
// ones pkg holds.
var listFields = "-json=ImportPath,Name,Dir,Standard,Module,GoFiles,SFiles,EmbedFiles,CgoFiles,IgnoredGoFiles,Imports,Incomplete,Error"

// list runs go list -e -deps on the package with the build's flags and
// returns its packages in go list's order: dependencies first, the main
// package last.
func list(ctx context.Context, dir string, flags []string, pkgPath string) ([]pkg, error) {
	args := append([]string{"list", "-e", "-deps", listFields}, flags...)
	args = append(args, "--", pkgPath)
	out, err := runGo(ctx, dir, args...)
	if err != nil {
		return nil, fmt.Errorf("wasmbuild: listing the packages of %s: %w", pkgPath, err)
	}
	var pkgs []pkg
	d := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := d.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("wasmbuild: reading go list's output: %w", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("wasmbuild: go list found no package %s", pkgPath)
	}
	return pkgs, nil
}

// coldStd reports whether go build, with flags, would compile standard
// packages of pkgPath for wasip1: Go's build cache does not hold them.
// go list tells it with the build's own flags (-trimpath among them,
// which changes what is cached); it takes a fraction of a second, so
// Build asks only when it is about to build. An error is no answer:
// false.
func coldStd(ctx context.Context, dir string, flags []string, pkgPath string) bool {
	args := append([]string{"list", "-e", "-deps", "-trimpath", "-json=ImportPath,Standard,Stale"}, flags...)
	out, err := runGo(ctx, dir, append(args, "--", pkgPath)...)
	if err != nil {
		return false
	}
	d := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct{ Standard, Stale bool }
		if err := d.Decode(&p); err != nil {
			return false
		}
		if p.Standard && p.Stale {
			return true
		}
	}
}

// key returns the cache key of a build: the hash of everything that can
// change the module. Standard packages are named by the Go release and
// GOROOT, and a package from the module cache by its module's version, since
// neither changes on disk; every other package's files are read and hashed.
func key(tc toolchain, overlay map[string][]byte, flags []string, pkgs []pkg) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "wasmbuild 1\n%s\n%s\n", tc.version, tc.goroot)
	for _, e := range tc.env {
		fmt.Fprintf(h, "env %s\n", e)
	}
	for _, f := range flags {
		fmt.Fprintf(h, "flag %s\n", f)
	}
	names := make([]string, 0, len(overlay))
	for name := range overlay {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		sum := sha256.Sum256(overlay[name])
		fmt.Fprintf(h, "overlay %s %x\n", name, sum)
	}
	for _, p := range pkgs {
		fmt.Fprintf(h, "package %s %s\n", p.ImportPath, p.Dir)
		switch {
		case p.Standard:
			continue
		case p.Module != nil && p.Module.Version != "" && inside(tc.modcache, p.Dir):
			fmt.Fprintf(h, "module %s@%s\n", p.Module.Path, p.Module.Version)
			continue
		}
		for _, list := range [][]string{p.GoFiles, p.SFiles, p.EmbedFiles} {
			for _, f := range list {
				b, err := os.ReadFile(filepath.Join(p.Dir, f))
				if err != nil {
					return "", fmt.Errorf("wasmbuild: reading %s: %w", f, err)
				}
				sum := sha256.Sum256(b)
				fmt.Fprintf(h, "file %s %x\n", f, sum)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

// inside reports whether path is dir or inside it.
func inside(dir, path string) bool {
	if dir == "" {
		return false
	}
	rel, err := filepath.Rel(dir, path)
	return err == nil && filepath.IsLocal(rel)
}
