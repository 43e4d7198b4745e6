package sim

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// stackOf joins frames, innermost first, as "function\n\tfile:line" lines.
func stackOf(frames ...string) string { return strings.Join(frames, "\n") }

// A busy task's stack, as a profile caught it, and the frames under it that
// every task's goroutine shares.
var (
	workerBottom = []string{
		"github.com/moonpool-go/moonpool/internal/sim.(*task).body", "\t/m/internal/sim/task.go:320",
		"github.com/moonpool-go/moonpool/internal/sim.(*World).worker.func1", "\t/m/internal/sim/task.go:282",
		"iter.Pull[...].func1", "\t/go/src/iter/iter.go:80",
		"runtime.corostart", "\t/go/src/runtime/coro.go:81",
	}
	busyInProfile = stackOf(append([]string{
		"sync.(*Mutex).Lock", "\t/go/src/sync/mutex.go:46",
		"example.(*recorder).Failed", "\t/m/example/recorder.go:44",
		"example.loop", "\t/m/example/loop.go:12",
		"example.body", "\t/m/example/body.go:30",
	}, workerBottom...)...)
)

func TestTheWatchdogFindsABusyTaskThatMovedBetweenItsTwoLooks(t *testing.T) {
	moved := dumpedG{id: 7, state: "running", stack: stackOf(append([]string{
		"time.Since", "\t/go/src/time/time.go:1200",
		"example.loop", "\t/m/example/loop.go:12",
		"example.body", "\t/m/example/body.go:30",
	}, workerBottom...)...)}
	parked := dumpedG{id: 8, state: "coroutine", stack: stackOf(append([]string{
		"example.loop", "\t/m/example/loop.go:12",
		"example.body", "\t/m/example/body.go:30",
	}, workerBottom...)...)}
	other := dumpedG{id: 9, state: "runnable", stack: stackOf(append([]string{
		"example.other", "\t/m/example/other.go:5",
	}, workerBottom...)...)}
	notWorker := dumpedG{id: 10, state: "running", stack: stackOf(
		"example.loop", "\t/m/example/loop.go:12",
		"example.body", "\t/m/example/body.go:30",
		"main.main", "\t/m/main.go:3",
	)}
	assert.Equal(t, int64(7), closest(busyInProfile, []dumpedG{parked, other, notWorker, moved}),
		"the running worker that shares the most frames")
	assert.Zero(t, closest(busyInProfile, []dumpedG{parked, other, notWorker}),
		"a worker's frames alone do not say which task it runs")

	twin := moved
	twin.id = 11
	assert.Zero(t, closest(busyInProfile, []dumpedG{moved, twin}), "two workers as close: neither")
	assert.Zero(t, closest(busyInProfile, []dumpedG{parked, notWorker}), "no running worker")
	assert.Zero(t, closest(stackOf("example.f", "\t/m/f.go:1"), []dumpedG{moved}), "a stack that is no task's")
}
