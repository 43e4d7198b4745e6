package sim

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/providers"
)

func TestCurGTellsGoroutinesApart(t *testing.T) {
	me := curG()
	assert.NotZero(t, me)
	assert.Equal(t, me, curG(), "the same goroutine")
	other := make(chan goroutine)
	go func() { other <- curG() }()
	assert.NotEqual(t, me, <-other)
}

func BenchmarkCurG(b *testing.B) {
	for b.Loop() {
		curG()
	}
}

// BenchmarkEnter measures the check that every call into the simulation
// makes, on the running task's goroutine: what a task switch, which makes
// it once, pays for stray detection, besides two stores of a word.
func BenchmarkEnter(b *testing.B) {
	w := New(Config{Seed: 1})
	w.Run(func(ctx context.Context, p providers.Providers) error {
		for b.Loop() {
			w.enter("benchmark")
		}
		return nil
	})
}
