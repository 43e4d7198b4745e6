package simdisk

import (
	"context"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
)

func TestLongNameIsRefused(t *testing.T) {
	run(t, 1, chaos.Storage{}, func(ctx context.Context, d *Disk, st providers.Storage) {
		_, err := st.Create(strings.Repeat("x", 256))
		assert.ErrorIs(t, err, syscall.ENAMETOOLONG)
		f, err := st.Create(strings.Repeat("x", 255))
		require.NoError(t, err)
		require.NoError(t, f.Close())
	})
}
