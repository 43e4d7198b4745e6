package wasmbuild

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tree writes files (path → contents) under a new directory: a main
// module in m/ that requires example.com/dep from dep/, and returns m/.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	all := map[string]string{
		"m/go.mod":       "module example.com/m\n\ngo 1.25\n\nrequire example.com/dep v0.0.0\n\nreplace example.com/dep => ../dep\n",
		"dep/go.mod":     "module example.com/dep\n\ngo 1.25\n",
		"m/main.go":      "package main\n\nimport _ \"example.com/dep/mid\"\n\nfunc main() {}\n",
		"dep/mid/mid.go": "package mid\n\nimport _ \"example.com/dep\"\n",
	}
	for k, v := range files {
		all[k] = v
	}
	for name, body := range all {
		p := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return filepath.Join(root, "m")
}

// oneSentence checks that the first line of an error is one sentence.
func oneSentence(t *testing.T, err error) {
	t.Helper()
	first, _, _ := strings.Cut(err.Error(), "\n")
	assert.NotContains(t, strings.TrimSuffix(first, "."), ". ", "more than one sentence: %s", first)
}

func TestBuildCgoDependency(t *testing.T) {
	dir := tree(t, map[string]string{
		"dep/dep.go": "package dep\n\n// #include <stdio.h>\nimport \"C\"\n\nfunc F() { C.puts(nil) }\n",
	})
	_, err := Build(context.Background(), Config{Dir: dir, Package: "."})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cgo is not available under WebAssembly")
	assert.Contains(t, err.Error(), "example.com/dep (imported by example.com/m → example.com/dep/mid)")
	assert.Contains(t, err.Error(), "dep.go")
	oneSentence(t, err)
}

func TestBuildCgoMixedDependency(t *testing.T) {
	// A package with cgo and plain files builds its plain files and fails
	// to compile; the error still names cgo.
	dir := tree(t, map[string]string{
		"dep/dep.go":   "package dep\n\n// int two(void) { return 2; }\nimport \"C\"\n\nfunc two() int { return int(C.two()) }\n",
		"dep/plain.go": "package dep\n\nvar Two = two()\n",
	})
	_, err := Build(context.Background(), Config{Dir: dir, Package: "."})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cgo is not available under WebAssembly, and example.com/dep (imported by example.com/m → example.com/dep/mid) needs it (dep.go)")
	oneSentence(t, err)
}

func TestBuildNoFilesForWasip1(t *testing.T) {
	dir := tree(t, map[string]string{
		"dep/dep_linux.go": "package dep\n",
	})
	_, err := Build(context.Background(), Config{Dir: dir, Package: "."})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "example.com/dep (imported by example.com/m → example.com/dep/mid) has no files for GOOS=wasip1")
	assert.Contains(t, err.Error(), "//go:build !wasip1")
	oneSentence(t, err)
}

func TestBuildSyscallMissingOnWasip1(t *testing.T) {
	dir := tree(t, map[string]string{
		"dep/dep.go": "package dep\n\nimport \"syscall\"\n\nvar _ = syscall.Mmap\n",
	})
	_, err := Build(context.Background(), Config{Dir: dir, Package: "."})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "example.com/dep (imported by example.com/m → example.com/dep/mid) does not build for wasip1")
	assert.Contains(t, err.Error(), "syscall.Mmap")
	oneSentence(t, err)
}

// A main package that is found but does not compile for wasip1 gets the
// compiler's words and a fix for its code, not for Config.Package.
func TestBuildMainPackageMissingOnWasip1(t *testing.T) {
	dir := tree(t, map[string]string{
		"m/main.go": "package main\n\nimport \"syscall\"\n\nvar _ = syscall.Mmap\n\nfunc main() {}\n",
	})
	_, err := Build(context.Background(), Config{Dir: dir, Package: "."})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the main package example.com/m does not build for wasip1: ./main.go:5:17: undefined: syscall.Mmap")
	assert.Contains(t, err.Error(), "//go:build !wasip1")
	assert.NotContains(t, err.Error(), "Config.Package")
	oneSentence(t, err)
}

// A pattern names several packages, and a build makes one program.
func TestBuildPattern(t *testing.T) {
	dir := tree(t, map[string]string{
		"m/cmd/a/main.go": "package main\n\nfunc main() {}\n",
		"m/cmd/b/main.go": "package main\n\nfunc main() {}\n",
	})
	_, err := Build(context.Background(), Config{Dir: dir, Package: "./cmd/..."})
	require.EqualError(t, err, `wasmbuild: Config.Package "./cmd/..." is a pattern, and a build makes one program; name one main package`)
}

func TestBuildNoSuchDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "absent")
	_, err := Build(context.Background(), Config{Dir: dir, Package: "."})
	require.EqualError(t, err, `wasmbuild: Config.Dir "`+dir+`" is not a directory; give a directory inside the module that holds the program, or "" for the current one`)
}

func TestBuildNotMain(t *testing.T) {
	dir := tree(t, map[string]string{"m/lib/lib.go": "package lib\n"})
	_, err := Build(context.Background(), Config{Dir: dir, Package: "./lib"})
	require.EqualError(t, err, "wasmbuild: ./lib is package lib, not a main package; name the package that holds func main")
}

func TestBuildNoSuchPackage(t *testing.T) {
	dir := tree(t, nil)
	_, err := Build(context.Background(), Config{Dir: dir, Package: "./nope"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the main package ./nope does not build for wasip1")
	assert.Contains(t, err.Error(), "check Config.Package")
	oneSentence(t, err)
}

func TestBuildRace(t *testing.T) {
	t.Setenv("GOFLAGS", "-race")
	_, err := Build(context.Background(), Config{Package: "./testdata/hello"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "race detector is not available under WebAssembly")
	oneSentence(t, err)
}

// Build tags that GOFLAGS sets reach the build, beside Config.Tags: a
// build's own -tags flag would otherwise override them.
func TestBuildKeepsGOFLAGSTags(t *testing.T) {
	dir := tree(t, map[string]string{
		"dep/dep.go": "package dep\n",
		"m/foo.go":   "//go:build foo && bar\n\npackage main\n\nvar _ int = \"tagged\"\n",
	})
	t.Setenv("GOFLAGS", "-trimpath -tags=foo")
	_, err := Build(context.Background(), Config{Dir: dir, Package: ".", Tags: []string{"bar"}})
	require.Error(t, err, "foo.go was left out of the build")
	assert.Contains(t, err.Error(), "foo.go")
}

func TestGOFLAGSTags(t *testing.T) {
	tc := toolchain{env: []string{"GOEXPERIMENT=", "GOFLAGS=-trimpath --tags=a,b -tags=c -mod=mod"}}
	assert.Equal(t, []string{"a", "b", "c"}, tc.goflagsTags())
	assert.Empty(t, toolchain{env: []string{"GOFLAGS="}}.goflagsTags())
}

func TestImportChain(t *testing.T) {
	pkgs := []pkg{
		{ImportPath: "c"},
		{ImportPath: "b", Imports: []string{"c"}},
		{ImportPath: "a", Imports: []string{"c"}},
		{ImportPath: "main", Imports: []string{"b", "a"}},
	}
	assert.Equal(t, []string{"main", "b", "c"}, importChain(pkgs, "c"))
	assert.Equal(t, []string{"main"}, importChain(pkgs, "main"))
	assert.Nil(t, importChain(pkgs, "z"))
}

// A module whose copy docs/programs.md tells how to make gets the place
// of the recipe with its error.
func TestBuildErrorOfAModuleWithARecipeNamesIt(t *testing.T) {
	err := stopped("example.com/kvd", pkg{ImportPath: "go.etcd.io/bbolt/internal/common"}, " (imported by example.com/kvd → go.etcd.io/bbolt)",
		"common/unsafe.go:10:24: undefined array length MaxAllocSize", true)
	assert.Contains(t, err.Error(), "go.etcd.io/bbolt/internal/common (imported by example.com/kvd → go.etcd.io/bbolt) does not build for wasip1")
	assert.Contains(t, err.Error(), `build a copy of go.etcd.io/bbolt that does and point the program's go.mod at it with a replace directive, as docs/programs.md tells in the paragraph **bbolt.**, under "What the program sees"`)
	oneSentence(t, err)

	err = stopped("example.com/kvd", pkg{ImportPath: "go.etcd.io/bboltish"}, "", "undefined: x", true)
	assert.NotContains(t, err.Error(), "docs/programs.md", "a module path that only begins alike has no recipe")
}

// memberlist imports go-sockaddr whatever the system, so the advice to
// keep the code that imports it out cannot apply: the error names the
// recipe instead.
func TestBuildErrorOfGoSockaddrNamesItsRecipe(t *testing.T) {
	err := stopped("example.com/gossip/cmd/gossipd", pkg{ImportPath: "github.com/hashicorp/go-sockaddr"},
		" (imported by example.com/gossip/cmd/gossipd → github.com/hashicorp/memberlist)",
		"/go/pkg/mod/github.com/hashicorp/go-sockaddr@v1.0.7/ifaddrs.go:118:13: undefined: NewRouteInfo", true)
	assert.Equal(t, "wasmbuild: github.com/hashicorp/go-sockaddr (imported by example.com/gossip/cmd/gossipd → github.com/hashicorp/memberlist) does not build for wasip1: "+
		"/go/pkg/mod/github.com/hashicorp/go-sockaddr@v1.0.7/ifaddrs.go:118:13: undefined: NewRouteInfo; "+
		"build a copy of github.com/hashicorp/go-sockaddr that does and point the program's go.mod at it with a replace directive, "+
		`as docs/programs.md tells in the paragraph **memberlist, Serf, Consul's libraries (go-sockaddr).**, under "What the program sees"`, err.Error())
	assert.NotContains(t, err.Error(), "keep the code that imports it out")
	oneSentence(t, err)
}

// Pebble, v1 or v2, fails in its rawalloc first; the error names the
// recipe, where its advice to keep the code out cannot apply to the store.
func TestBuildErrorOfPebbleNamesItsRecipe(t *testing.T) {
	for _, p := range []string{"github.com/cockroachdb/pebble/v2/internal/rawalloc", "github.com/cockroachdb/pebble/internal/rawalloc"} {
		err := stopped("example.com/lsmsvc/cmd/kvd", pkg{ImportPath: p}, " (imported by example.com/lsmsvc/cmd/kvd → github.com/cockroachdb/pebble/v2)",
			"rawalloc.go:23:12: undefined array length maxArrayLen or missing type constraint", true)
		assert.Contains(t, err.Error(), `as docs/programs.md tells in the paragraph **Pebble.**, under "What the program sees"`, p)
		assert.NotContains(t, err.Error(), "keep the code that imports it out")
	}
}

// Every recipe's paragraph is where its error says: a paragraph or list
// item opening with its bold lead, under its heading in docs/programs.md.
func TestRecipesAreWhereTheErrorsSay(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "programs.md"))
	require.NoError(t, err)
	sections := map[string]string{}
	var heading string
	for _, line := range strings.Split(string(b), "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			heading = h
			continue
		}
		sections[heading] += line + "\n"
	}
	for _, r := range recipes {
		section, ok := sections[r.heading]
		require.True(t, ok, "docs/programs.md has no heading %q, which the error for %s names", r.heading, r.module)
		lead := "**" + r.lead + "**"
		assert.True(t, strings.Contains(section, "\n"+lead) || strings.Contains(section, "\n- "+lead),
			"no paragraph under %q opens with %s, which the error for %s names", r.heading, lead, r.module)
		assert.Contains(t, section, path.Base(r.module), "the paragraph for %s is under %q", r.module, r.heading)
	}
}

// A recipe is for code that does not build for wasip1, not for a module
// that cannot be found.
func TestBuildErrorOfAModuleWithARecipeThatIsMissingNamesNoRecipe(t *testing.T) {
	err := stopped("example.com/gossip/cmd/gossipd", pkg{ImportPath: "github.com/hashicorp/go-sockaddr"}, "",
		"missing go.sum entry for module providing package github.com/hashicorp/go-sockaddr", false)
	assert.NotContains(t, err.Error(), "docs/programs.md")
}
