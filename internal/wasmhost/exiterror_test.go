package wasmhost_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

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
