package wasmhost_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/wasmhost"
)

// A status of 128 and a signal's number is what Go's wasip1 runtime
// exits with when a program signals itself: the error says so, as the
// program, which meant to catch the signal, never hears why it ended.
func TestAnExitBySignalNamesTheSignal(t *testing.T) {
	err := &wasmhost.ExitError{Code: 129}
	assert.Contains(t, err.Error(), "the program exited with status 129 (128+1, as a process that signal 1, ")
	assert.Contains(t, err.Error(), "syscall.Kill(os.Getpid(), sig)")
	assert.Equal(t, "the program exited with status 1", (&wasmhost.ExitError{Code: 1}).Error())
	assert.Equal(t, "the program exited with status 160", (&wasmhost.ExitError{Code: 160}).Error())
}

// A program whose goroutines all wait on Go's fake network, as a Unix
// socket's Accept does under wasip1, dies as a deadlock: the error names
// the network, which the runtime's text does not.
func TestAFakeNetworkDeadlockIsNamed(t *testing.T) {
	stderr := "fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [IO wait]:\nnet.(*fakeNetFD).accept(...)\n\t/usr/local/go/src/net/net_fake.go:328"
	err := &wasmhost.ExitError{Code: 2, Stderr: stderr}
	assert.Contains(t, err.Error(), "the program exited with status 2 (its goroutines waited on Go's in-process fake network")
	assert.Contains(t, err.Error(), "serve and dial TCP or UDP instead")
	assert.Contains(t, err.Error(), "; its standard error ends:\n"+stderr)
	other := &wasmhost.ExitError{Code: 2, Stderr: "fatal error: all goroutines are asleep - deadlock!\n\tmain.go:9"}
	assert.NotContains(t, other.Error(), "fake network")
}

// slogLines is n lines of slog JSON, as a service logs to standard error.
func slogLines(n int) []string {
	var lines []string
	for i := range n {
		lines = append(lines, fmt.Sprintf(`{"time":"2024-01-01T00:00:%02d.5Z","level":"INFO","msg":"op done","i":%d,"req_id":"%016x","account":"quoter-0","amount":%d,"elapsed":"1.000123456s"}`, i%60, i, i*7919, i))
	}
	return lines
}

// A program that logged much before it exited is quoted by its last
// lines, no more than a few KiB, with where the rest is: the timeline,
// which has every line.
func TestAnExitQuotesTheLastLinesOfStandardError(t *testing.T) {
	lines := slogLines(103)
	got := (&wasmhost.ExitError{Code: 1, Stderr: strings.Join(lines, "\n")}).Error()
	quote, ok := strings.CutPrefix(got, "the program exited with status 1; its standard error ends:\n")
	require.True(t, ok, got)
	q := strings.Split(quote, "\n")
	require.LessOrEqual(t, len(q), 11)
	require.LessOrEqual(t, len(quote), 2200)
	assert.Equal(t, fmt.Sprintf("… (the last %d of 103 lines; the timeline has them all: -simtimeline=FILE)", len(q)-1), q[0])
	assert.Equal(t, lines[len(lines)-len(q)+1:], q[1:])

	few := strings.Join(lines[:3], "\n")
	assert.Equal(t, "the program exited with status 1; its standard error ends:\n"+few, (&wasmhost.ExitError{Code: 1, Stderr: few}).Error(), "a short standard error is quoted whole")

	long := strings.Repeat("x", 5000)
	got = (&wasmhost.ExitError{Code: 1, Stderr: "a\n" + long}).Error()
	assert.Contains(t, got, "ends:\n… (the last 1 of 2 lines; the timeline has them all: -simtimeline=FILE)\n"+strings.Repeat("x", 2048)+" …")
	assert.NotContains(t, got, strings.Repeat("x", 2049))
}

// A panic after much logging is quoted by what makes it readable: the
// line before it, the panic and its goroutine's stack, not the log before
// it nor the other goroutines' stacks, which the timeline has.
func TestAnExitQuotesAPanicAndItsGoroutine(t *testing.T) {
	lines := append(slogLines(40), `{"level":"ERROR","msg":"replaying the journal"}`,
		"panic: the journal is corrupt",
		"",
		"goroutine 1 [running]:",
		"main.replay(...)",
		"\t/src/quotesd/journal.go:88 +0x5",
		"main.main()",
		"\t/src/quotesd/main.go:40 +0x9",
		"",
		"goroutine 7 [select]:",
		"main.loop()",
		"\t/src/quotesd/main.go:120 +0x2",
		"",
		"goroutine 8 [IO wait]:",
		"main.serve()",
		"\t/src/quotesd/main.go:130 +0x2",
	)
	got := (&wasmhost.ExitError{Code: 2, Stderr: strings.Join(lines, "\n")}).Error()
	want := "the program exited with status 2; its standard error ends:\n" +
		"… (40 lines before; the timeline has them all: -simtimeline=FILE)\n" +
		`{"level":"ERROR","msg":"replaying the journal"}` + "\n" +
		"panic: the journal is corrupt\n\ngoroutine 1 [running]:\nmain.replay(...)\n\t/src/quotesd/journal.go:88 +0x5\nmain.main()\n\t/src/quotesd/main.go:40 +0x9\n" +
		"… (8 lines more, the stacks of 2 more goroutines; the timeline has them all: -simtimeline=FILE)"
	assert.Equal(t, want, got)

	// The runtime's own lines before a fatal error tell of it.
	overflow := append(slogLines(20),
		"runtime: goroutine stack exceeds 1000000000-byte limit",
		"runtime: sp=0x1 stack=[0x0, 0x2]",
		"fatal error: stack overflow",
		"",
		"runtime stack:",
		"runtime.throw({0x1, 0x2})",
		"",
		"goroutine 1 [running]:",
		"main.f(...)",
		"\t/src/main.go:3 +0x1",
	)
	got = (&wasmhost.ExitError{Code: 2, Stderr: strings.Join(overflow, "\n")}).Error()
	assert.Contains(t, got, "ends:\n… (20 lines before; the timeline has them all: -simtimeline=FILE)\n"+
		strings.Join(overflow[20:], "\n"))
	assert.True(t, strings.HasSuffix(got, "\t/src/main.go:3 +0x1"), got)

	// A line that reads like a panic's with no stack after it is the
	// program's own: the quote is the last lines.
	said := append([]string{"panic: not really"}, slogLines(60)...)
	got = (&wasmhost.ExitError{Code: 1, Stderr: strings.Join(said, "\n")}).Error()
	assert.Contains(t, got, "ends:\n… (the last ")
	assert.NotContains(t, got, "not really")
}
