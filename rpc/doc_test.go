package rpc

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIndexIsComplete checks that the index in doc.go links every
// exported name of the package.
func TestIndexIsComplete(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments)
	require.NoError(t, err)
	src, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	index := string(src)
	p := doc.New(pkgs["rpc"], "github.com/moonpool-go/moonpool/rpc", 0)
	var names []string
	add := func(n string) {
		if ast.IsExported(n[strings.LastIndex(n, ".")+1:]) {
			names = append(names, n)
		}
	}
	for _, f := range p.Funcs {
		add(f.Name)
	}
	for _, ty := range p.Types {
		add(ty.Name)
		for _, f := range ty.Funcs {
			add(f.Name)
		}
		for _, m := range ty.Methods {
			if m.Name != "Error" && m.Name != "String" && m.Name != "Is" && m.Name != "Append" && m.Name != "Decode" {
				add(ty.Name + "." + m.Name)
			}
		}
	}
	for _, v := range p.Vars {
		for _, n := range v.Names {
			add(n)
		}
	}
	var missing []string
	for _, n := range names {
		if !strings.Contains(index, "["+n+"]") {
			missing = append(missing, n)
		}
	}
	assert.Empty(t, missing, "doc.go's index does not link these; add them")
}

// TestRemoteErrorExampleIsWholeFile: ExampleRemoteError's point is the
// types beside it (a reply with HeldBy, a shared ErrNotLeader), so godoc
// must show its whole file, not its body alone: the file holds no other
// example and no test.
func TestRemoteErrorExampleIsWholeFile(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "example_remoteerror_test.go", nil, parser.ParseComments)
	require.NoError(t, err)
	examples := doc.Examples(f)
	require.Len(t, examples, 1)
	assert.Equal(t, "RemoteError", examples[0].Name)
	_, whole := examples[0].Code.(*ast.File)
	assert.True(t, whole, "godoc shows only the example's body")
}
