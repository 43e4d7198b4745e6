package plural_test

import (
	"testing"

	"github.com/moonpool-go/moonpool/internal/plural"
	"github.com/stretchr/testify/assert"
)

func TestCount(t *testing.T) {
	assert.Equal(t, "0 seeds", plural.Count(0, "seed"))
	assert.Equal(t, "1 seed", plural.Count(1, "seed"))
	assert.Equal(t, "2 root seeds", plural.Count(2, "root seed"))
	assert.Equal(t, "-1 lines", plural.Count(-1, "line"))
}
