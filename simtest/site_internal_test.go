package simtest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// A panic's stack is shown as the watchdog's and a deadlock's are: the
// task's own frames, without the engine's around them, the goroutine's
// header, arguments or offsets.
func TestPanicStackKeepsTheTasksOwnFrames(t *testing.T) {
	stack := `goroutine 74 [running]:
runtime/debug.Stack()
	/usr/local/go/src/runtime/debug/stack.go:26 +0x5e
github.com/moonpool-go/moonpool/internal/sim.(*task).body.func1()
	/src/moonpool/internal/sim/task.go:242 +0x105
panic({0xb63ea0?, 0x163359907bc0?})
	/usr/local/go/src/runtime/panic.go:860 +0x13a
github.com/moonpool-go/moonpool/providers.(*Mutex).Unlock(0x1633599a87e0)
	/src/moonpool/providers/mutex.go:161 +0x3b
example.com/bank.transfer({0xcac428?, 0x1633599a87e0?}, 0x2)
	/src/bank/bank.go:42 +0x3b
example.com/bank.TestBank.func1(0x16335a89b340)
	/src/bank/bank_test.go:17 +0x25
github.com/moonpool-go/moonpool/simtest.(*runner).onceOn.func2({0xcaa2c8?, 0x1199bddbe140?})
	/src/moonpool/simtest/run.go:446 +0x714
github.com/moonpool-go/moonpool/internal/sim.(*task).body(0x16335a89b880)
	/src/moonpool/internal/sim/task.go:250 +0xcd
github.com/moonpool-go/moonpool/internal/sim.(*World).worker.func1(0x1633599d0cc0)
	/src/moonpool/internal/sim/task.go:201 +0x75
iter.Pull[...].func1()
	/usr/local/go/src/iter/iter.go:301 +0xe5
created by iter.Pull[...] in goroutine 73
	/usr/local/go/src/iter/iter.go:271 +0x90
`
	want := "example.com/bank.transfer\n\t/src/bank/bank.go:42\nexample.com/bank.TestBank.func1\n\t/src/bank/bank_test.go:17"
	assert.Equal(t, want, panicStack(stack))
	assert.Equal(t, "bank.go:42", panicSite(stack), "the site is read from the raw stack still")
	assert.Equal(t, "not a stack", panicStack("not a stack"))
}

// A panic that code under test recovered and went on from (a simhttp
// handler's) is shown as a task's is: from the panic down to the function
// whose deferred call recovered it, without the frames that took the
// stack or those of the server that called the handler.
func TestPanicStackStopsAtTheRecoverer(t *testing.T) {
	stack := `goroutine 31 [running]:
github.com/moonpool-go/moonpool/simhttp.(*conn).serveHTTP.func1()
	/src/moonpool/simhttp/server.go:578 +0x1a5
panic({0x9d1f20?, 0xbd4a10?})
	/usr/local/go/src/runtime/panic.go:860 +0x13a
example.com/shop.(*Service).checkout(0xc0001a2000, {0xbe1c38, 0xc0002b6000}, 0xc0001c8000)
	/src/shop/service.go:88 +0x3b
net/http.HandlerFunc.ServeHTTP(0xc0000a4120?, {0xbe1c38?, 0xc0002b6000?}, 0xc0001d2000?)
	/usr/local/go/src/net/http/server.go:2286 +0x29
github.com/moonpool-go/moonpool/simhttp.(*conn).serveHTTP(0xc0001b8000, 0xc0002b6000)
	/src/moonpool/simhttp/server.go:592 +0x10b
github.com/moonpool-go/moonpool/simhttp.(*conn).handle(0xc0001b8000, 0xc0002b6000)
	/src/moonpool/simhttp/server.go:547 +0x8a
github.com/moonpool-go/moonpool/simhttp.(*Server).Serve.func1({0xbe1c00?, 0xc0001c0000?})
	/src/moonpool/simhttp/server.go:152 +0x4b
github.com/moonpool-go/moonpool/internal/sim.(*task).body(0xc0001c2000)
	/src/moonpool/internal/sim/task.go:380 +0xcd
iter.Pull[...].func1()
	/usr/local/go/src/iter/iter.go:301 +0xe5
created by iter.Pull[...] in goroutine 7
	/usr/local/go/src/iter/iter.go:271 +0x90
`
	want := "example.com/shop.(*Service).checkout\n\t/src/shop/service.go:88\nnet/http.HandlerFunc.ServeHTTP\n\t/usr/local/go/src/net/http/server.go:2286"
	assert.Equal(t, want, panicStack(stack))
	assert.Equal(t, "service.go:88", panicSite(stack))
}

func TestEnclosingFunc(t *testing.T) {
	for fn, want := range map[string]string{
		"pkg.F.func1":                      "pkg.F",
		"pkg.F.func1.2":                    "pkg.F",
		"pkg.(*T).m.func3":                 "pkg.(*T).m",
		"pkg.F":                            "pkg.F",
		"pkg.(*T).function":                "pkg.(*T).function",
		"example.com/a.b/pkg.G[...].func2": "example.com/a.b/pkg.G[...]",
	} {
		assert.Equal(t, want, enclosingFunc(fn), fn)
	}
}

// A panic raised in the standard library on a bad argument
// (slog.Value.Bool of a string) is the caller's to fix: its site is the
// first frame of other code, and the library's own only when there is
// none.
func TestPanicSiteIsTheCallerOfTheStandardLibrary(t *testing.T) {
	std := stdSource()
	require.NotEmpty(t, std, "this test binary names the standard library's files by their paths")
	stack := `goroutine 10 [running]:
runtime/debug.Stack()
	` + std + `runtime/debug/stack.go:26 +0x5e
panic({0xb6c9a0?, 0x1261f00?})
	` + std + `runtime/panic.go:860 +0x13a
log/slog.Value.Bool(...)
	` + std + `log/slog/value.go:338 +0x3b
example.com/kv.check(...)
	/src/kv/kv_test.go:147 +0x25
`
	assert.Equal(t, "kv_test.go:147", panicSite(stack))
	onlyStd := strings.Replace(stack, "example.com/kv.check(...)\n\t/src/kv/kv_test.go:147 +0x25\n", "", 1)
	assert.Equal(t, "value.go:338", panicSite(onlyStd), "with no other code below it, the library's line")
	assert.Equal(t, "value.go:338", panicSiteIn(stack, ""), "a -trimpath build tells no library apart")
}

// A panic that the library raised itself names a misuse by its caller:
// the site is the caller's line. A fault the runtime raised in the
// library's code (a nil dereference) is the library's, and names its line.
func TestPanicSiteOfTheLibrarysOwnPanicIsItsCallers(t *testing.T) {
	stack := `goroutine 12 [running]:
github.com/moonpool-go/moonpool/internal/sim.(*task).body.func1()
	/src/moonpool/internal/sim/task.go:245 +0x110
panic({0xb6c9a0?, 0x1261f00?})
	/usr/local/go/src/runtime/panic.go:860 +0x13a
github.com/moonpool-go/moonpool/chaos.BuggifyWithProb({0xcac428?, 0x1633599a87e0?}, 0xc008000000000000)
	/src/moonpool/chaos/buggify.go:58 +0x3b
example.com/shop.TestShop.func1(0x16335a89b340)
	/src/shop/shop_test.go:21 +0x25
github.com/moonpool-go/moonpool/simtest.(*runner).onceOn.func2({0xcaa2c8?, 0x1199bddbe140?})
	/src/moonpool/simtest/run.go:446 +0x714
github.com/moonpool-go/moonpool/internal/sim.(*task).body(0x16335a89b880)
	/src/moonpool/internal/sim/task.go:250 +0xcd
`
	assert.Equal(t, "shop_test.go:21", panicSite(stack))
	fault := strings.Replace(stack, "\t/usr/local/go/src/runtime/panic.go:860 +0x13a\n",
		"\t/usr/local/go/src/runtime/panic.go:860 +0x13a\nruntime.panicmem(...)\n\t/usr/local/go/src/runtime/panic.go:262\nruntime.sigpanic()\n\t/usr/local/go/src/runtime/signal_unix.go:925 +0x359\n", 1)
	assert.Equal(t, "buggify.go:58", panicSite(fault), "the runtime's fault in the library's code")
	alone := stack[:strings.Index(stack, "example.com/shop")]
	assert.Equal(t, "buggify.go:58", panicSite(alone), "no caller of the code's own: the library's line")
}
