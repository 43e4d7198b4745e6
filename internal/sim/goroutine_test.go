package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
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
