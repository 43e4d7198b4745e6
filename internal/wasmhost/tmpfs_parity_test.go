package wasmhost

import (
	"runtime"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/internal/fsparity"
)

// A program's /tmp behaves as Linux's file system does: one random
// sequence of operations on it and on the operating system's has the same
// outcomes. A program's descriptor goes with its close, so nothing calls a
// closed file again.
func TestTmpfsParityWithTheOperatingSystem(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("a program's /tmp follows Linux's semantics")
	}
	rapid.Check(t, func(rt *rapid.T) {
		ops := fsparity.Draw(rt)
		o := fsparity.Options{ForgetClosed: true}
		want := fsparity.OnOS(rt, ops, o)
		o.Dir = tmpDir
		got := fsparity.Run(mounts{disk: noStorage{}, tmp: newTmpfs(func() time.Time { return time.Unix(0, 0) })}, ops, o)
		fsparity.Compare(rt, "tmpfs", want, got)
	})
}
