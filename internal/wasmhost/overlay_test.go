package wasmhost_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/wasmhost"
)

func TestGuestOverlayPatchesTheToolchain(t *testing.T) {
	files, err := wasmhost.GuestOverlay(context.Background(), "")
	require.NoError(t, err)
	require.Contains(t, string(files["src/net/net_fake.go"]), "func fakeSocket(ctx context.Context,")
	require.Contains(t, string(files["src/net/net_moonpool_wasip1.go"]), "//go:wasmimport moonpool sock_dial")
	require.Contains(t, string(files["src/os/signal/signal_unix.go"]), "moonpoolSignalRecv()")
}

// A toolchain whose sources the patches do not fit is refused with the
// file named.
func TestGuestOverlayNamesAFileThatDoesNotFit(t *testing.T) {
	goroot := t.TempDir()
	for _, f := range []string{"src/net/net_fake.go", "src/net/fd_fake.go", "src/net/hosts.go", "src/syscall/syscall_wasip1.go", "src/os/signal/signal.go", "src/os/signal/signal_unix.go"} {
		p := filepath.Join(goroot, filepath.FromSlash(f))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("package x\n"), 0o644))
	}
	_, err := wasmhost.GuestOverlay(context.Background(), goroot)
	require.ErrorContains(t, err, "src/net/net_fake.go of the Go toolchain in "+goroot+" does not hold the text the simulation patches")
	require.ErrorContains(t, err, "use the Go release this moonpool version supports")
}

// When go env cannot say where the toolchain is, the error says why, in
// the go command's words.
func TestGuestOverlaySaysWhyGoEnvFailed(t *testing.T) {
	gone := t.TempDir()
	t.Chdir(gone)
	require.NoError(t, os.Remove(gone))
	_, err := wasmhost.GuestOverlay(context.Background(), "")
	require.ErrorContains(t, err, "wasmhost: go env GOROOT")
	require.ErrorContains(t, err, "no such file or directory", "the go command's own reason")
}
