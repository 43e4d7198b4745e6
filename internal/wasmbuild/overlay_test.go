package wasmbuild

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSchedOverlay(t *testing.T) {
	ctx := context.Background()
	path, err := SchedOverlay(ctx, "")
	require.NoError(t, err)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var ov struct{ Replace map[string]string }
	require.NoError(t, json.Unmarshal(b, &ov))
	env, err := goEnv(ctx, "")
	require.NoError(t, err)
	require.Len(t, ov.Replace, 3, "the scheduler, the atomics and the break")
	patched := ov.Replace[filepath.Join(env.goroot, "src", "runtime", "proc.go")]
	src, err := os.ReadFile(patched)
	require.NoError(t, err)
	assert.Contains(t, string(src), "// moonpool:")
	require.Contains(t, ov.Replace, filepath.Join(env.goroot, filepath.FromSlash(atomicPath)))
	require.Contains(t, ov.Replace, filepath.Join(env.goroot, filepath.FromSlash(memPath)))

	again, err := SchedOverlay(ctx, "")
	require.NoError(t, err)
	assert.Equal(t, path, again)
}
