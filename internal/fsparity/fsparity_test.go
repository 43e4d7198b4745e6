package fsparity_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/internal/fsparity"
	"github.com/moonpool-go/moonpool/providers"
)

// The operations under a directory have the outcomes they have at the
// root: Run names them without the directory, and lists that directory.
func TestRunUnderADirectoryReadsAsAtTheRoot(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		ops := fsparity.Draw(rt)
		o := fsparity.Options{ForgetClosed: rapid.Bool().Draw(rt, "forget")}
		want := fsparity.OnOS(rt, ops, o)

		st, err := providers.OpenOSStorage(t.TempDir())
		require.NoError(rt, err)
		defer st.Close()
		require.NoError(rt, st.Mkdir("sub", 0o755))
		o.Dir = "sub"
		fsparity.Compare(rt, "sub", want, fsparity.Run(st, ops, o))
	})
}

// Every kind of operation is run and described: a sequence that opens a
// file, then does each other thing once, and reads the closed file, has a
// line for each.
func TestRunDescribesEachKind(t *testing.T) {
	st, err := providers.OpenOSStorage(t.TempDir())
	require.NoError(t, err)
	defer st.Close()
	ops := []fsparity.Op{{Kind: 0, Flag: 1}}
	for k := 2; k < 14; k++ {
		ops = append(ops, fsparity.Op{Kind: k, Name: 2, N: 3, B: 'x'})
	}
	ops = append(ops, fsparity.Op{Kind: 4, N: 3})
	lines := fsparity.Run(st, ops, fsparity.Options{})
	require.Len(t, lines, len(ops))
	for i, want := range map[int]string{
		0:  "open a 0x42: ok",
		1:  "write: 3 ok",
		3:  `read: 0 "" EOF`,
		7:  "close: ok",
		8:  "mkdir d: ok",
		10: "remove d: ok",
		13: `read: 0 "" closed`,
	} {
		require.Equal(t, want, lines[i], "line %d", i)
	}
}
