package simtest

import (
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInBubble(t *testing.T) {
	assert.False(t, inBubble(t), "a test's own testing.T")
	assert.False(t, inBubble(struct{}{}), "no Deadline: Simulate's")
	synctest.Test(t, func(t *testing.T) {
		assert.True(t, inBubble(t))
	})
}

// TestRunInABubbleInAChild calls Run inside synctest.Test, in the child
// process of TestRunInABubbleFailsWithTheFix.
func TestRunInABubbleInAChild(t *testing.T) {
	if os.Getenv("SIMTEST_BUBBLE_CHILD") == "" {
		t.Skip("run by TestRunInABubbleFailsWithTheFix")
	}
	synctest.Test(t, func(t *testing.T) {
		Run(t, func(s *S) {}, Seeds(1))
	})
}

// A Run inside a synctest bubble fails its test, saying what is wrong and
// what to do, where the testing package's Deadline would panic.
func TestRunInABubbleFailsWithTheFix(t *testing.T) {
	out, err := childOutput(t, "", "SIMTEST_BUBBLE_CHILD=1", "-test.run=^TestRunInABubbleInAChild$")
	require.Error(t, err, out)
	assert.Contains(t, out, "simtest.Run was called inside synctest.Test's bubble")
	assert.Contains(t, out, "call simtest.Run from the test itself, outside synctest.Test")
	assert.NotContains(t, out, "panic:")
}

// TestSynctestWaitInATaskInAChild calls synctest.Wait in a task, in the
// child process of TestSynctestWaitKeepsNoSeed.
func TestSynctestWaitInATaskInAChild(t *testing.T) {
	if os.Getenv("SIMTEST_WAIT_CHILD") == "" {
		t.Skip("run by TestSynctestWaitKeepsNoSeed")
	}
	Run(t, func(s *S) { synctest.Wait() }, Seeds(1))
}

// synctest.Wait in a task is the test's mistake, which every seed meets:
// the seed fails with what to use instead, and is not kept to run first.
func TestSynctestWaitKeepsNoSeed(t *testing.T) {
	dir := t.TempDir()
	out, err := childOutput(t, dir, "SIMTEST_WAIT_CHILD=1", "-test.run=^TestSynctestWaitInATaskInAChild$")
	require.Error(t, err, out)
	assert.Contains(t, out, "synctest.Wait has no bubble in a simulation")
	assert.NotContains(t, out, "kept seed")
	assert.NoDirExists(t, filepath.Join(dir, "testdata"))
}
