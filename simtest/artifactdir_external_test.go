//go:build go1.26

package simtest_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

// Every seed's ArtifactDir is the test's, and what a seed writes there
// outlives it.
func TestArtifactDirIsTheTests(t *testing.T) {
	var dirs []string
	simtest.Run(t, func(s *simtest.S) {
		dir := s.ArtifactDir()
		dirs = append(dirs, dir)
		require.NoError(s, os.WriteFile(dir+"/seed", []byte("x"), 0o666))
	}, simtest.Seeds(2))
	require.Len(t, dirs, 2)
	assert.Equal(t, t.ArtifactDir(), dirs[0])
	assert.Equal(t, dirs[0], dirs[1])
	assert.FileExists(t, dirs[0]+"/seed")
}
