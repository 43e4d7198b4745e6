//go:build unix

package testenv_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/internal/testenv"
)

func TestCPUTimeCountsWorkDone(t *testing.T) {
	before := testenv.CPUTime()
	assert.Positive(t, before, "a process that started has used some CPU time")
	x := 1
	for i := range 50_000_000 {
		x = x*31 + i
	}
	assert.Greater(t, testenv.CPUTime(), before, "a loop of 50 million steps is counted (%d)", x)
}
