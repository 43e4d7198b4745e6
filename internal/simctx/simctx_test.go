package simctx

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

type fakeSim uint64

func (f fakeSim) Seed() uint64                  { return uint64(f) }
func (f fakeSim) Buggify(uintptr, float64) bool { return false }
func (f fakeSim) Asserter() Asserter            { return nil }

func TestFrom(t *testing.T) {
	assert.Nil(t, From(context.Background()))
	assert.Nil(t, From(nil)) //nolint:staticcheck // a nil context must not crash production code
	ctx := With(context.Background(), fakeSim(7))
	child, cancel := context.WithCancel(ctx)
	defer cancel()
	s := From(child)
	if assert.NotNil(t, s) {
		assert.Equal(t, uint64(7), s.Seed())
	}
}
