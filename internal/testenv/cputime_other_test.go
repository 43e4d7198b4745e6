//go:build !unix

package testenv_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/internal/testenv"
)

func TestCPUTimeIsZeroWhereUnknown(t *testing.T) {
	assert.Zero(t, testenv.CPUTime())
}
