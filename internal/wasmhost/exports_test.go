package wasmhost

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
)

// tinyModule is a module with two functions exported under the names
// given, a mutable i32 global holding 5 and an immutable i64 one.
func tinyModule(exports ...string) []byte {
	var b bytes.Buffer
	b.Write([]byte("\x00asm\x01\x00\x00\x00"))
	writeSection(&b, 1, []byte{1, 0x60, 0, 0})
	writeSection(&b, 3, []byte{2, 0, 0})
	writeSection(&b, 6, []byte{2, 0x7f, 1, 0x41, 5, 0x0b, 0x7e, 0, 0x42, 7, 0x0b})
	ex := appendULEB(nil, uint32(len(exports)))
	for i, name := range exports {
		ex = appendULEB(ex, uint32(len(name)))
		ex = append(ex, name...)
		ex = append(ex, 0, byte(i))
	}
	writeSection(&b, 7, ex)
	writeSection(&b, 10, []byte{2, 2, 0, 0x0b, 2, 0, 0x0b})
	return b.Bytes()
}

func TestExportGlobals(t *testing.T) {
	out, names, ok := exportGlobals(tinyModule(initExport, mainExport))
	require.True(t, ok)
	require.Equal(t, []string{"moonpool.global.0"}, names, "only the mutable global")
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	mod, err := rt.Instantiate(ctx, out)
	require.NoError(t, err, "the rewritten module is valid")
	require.NotNil(t, mod.ExportedFunction(mainExport), "the exports it had stay")
	require.Equal(t, uint64(5), mod.ExportedGlobal(names[0]).Get())
}

func TestExportGlobalsOnlyForReactors(t *testing.T) {
	_, _, ok := exportGlobals(tinyModule("_start", "other"))
	require.False(t, ok, "a command")
	_, _, ok = exportGlobals(tinyModule(initExport, "other"))
	require.False(t, ok, "a reactor without moonpool_main")
	_, _, ok = exportGlobals([]byte("\x00asm\x01\x00\x00\x00\x07\x05"))
	require.False(t, ok, "a truncated module")
}

// Two configurations share a snapshot only when their arguments and
// environment are the same lists: no split of the same strings, and no
// empty string, gives another's key.
func TestSnapshotKeysDoNotCollide(t *testing.T) {
	configs := []Config{
		{},
		{Args: []string{""}},
		{Args: []string{"a"}},
		{Args: []string{"a"}, Env: []string{""}},
		{Args: []string{"a", ""}},
		{Args: []string{"a\x00"}},
		{Args: []string{"a", "b"}},
		{Args: []string{"a b"}},
		{Args: []string{"a"}, Env: []string{"b"}},
		{Env: []string{"a", "b"}},
	}
	seen := map[string]int{}
	for i, c := range configs {
		k := snapshotKey(c)
		if j, ok := seen[k]; ok {
			t.Errorf("configurations %d (%q %q) and %d (%q %q) share the key %q", j, configs[j].Args, configs[j].Env, i, c.Args, c.Env, k)
		}
		seen[k] = i
	}
}

// A host call made while a snapshot is taken counts for the watchdog as
// any other does: initializers that call the host are not spinning,
// however long they run.
func TestSnapshotHostCallsFeedTheWatchdog(t *testing.T) {
	in := &instance{snap: &snapState{}}
	before := in.watch.ticks.Load()
	in.snapshotHost()
	require.Equal(t, before+1, in.watch.ticks.Load())
	require.True(t, in.watch.inHost.Load(), "the program is in the host until the call returns")
}
