package simtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A panic with none of the task's own code below it (the engine's frames
// and the coroutine's) has no site: iter.Pull's frame is not the line
// that panicked.
func TestPanicSiteSkipsTheCoroutinesFrames(t *testing.T) {
	stack := `goroutine 10 [running]:
runtime/debug.Stack()
	/usr/local/go/src/runtime/debug/stack.go:26 +0x5e
github.com/moonpool-go/moonpool/internal/sim.(*task).body.func1()
	/src/moonpool/internal/sim/task.go:245 +0x110
panic({0xb6c9a0?, 0x1261f00?})
	/usr/local/go/src/runtime/panic.go:860 +0x13a
github.com/moonpool-go/moonpool/internal/sim.(*task).body(0x1199bde088c0)
	/src/moonpool/internal/sim/task.go:260 +0xc0
github.com/moonpool-go/moonpool/internal/sim.(*World).worker.func1(0x1199bdf8c740)
	/src/moonpool/internal/sim/task.go:202 +0x75
iter.Pull[...].func1()
	/usr/local/go/src/iter/iter.go:301 +0xe5
created by iter.Pull[...] in goroutine 13
	/usr/local/go/src/iter/iter.go:271 +0x90
`
	assert.Empty(t, panicSite(stack))
}
