package wasmbuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
)

// SchedOverlay writes the runtime's patches (the scheduler's and the
// atomics') for the go command that runs in dir as an overlay file and
// returns the file's path, for builds that do not go through [Build],
// such as go test's own:
//
//	GOOS=wasip1 GOARCH=wasm go test -overlay=$(moonpool-wasip1-exec -print-overlay) -exec=moonpool-wasip1-exec ./pkg
//
// The file and the patched files it names live in the cache and are
// named by their contents, so calling SchedOverlay again is cheap.
func SchedOverlay(ctx context.Context, dir string) (string, error) {
	tc, err := goEnv(ctx, dir)
	if err != nil {
		return "", err
	}
	files, err := withSchedPatch(tc, nil)
	if err != nil {
		return "", err
	}
	cache, err := cacheDir()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(bytes.Join([][]byte{[]byte(tc.goroot), files[procPath], files[atomicPath], files[memPath]}, []byte("\n")))
	name := "sched-" + hex.EncodeToString(sum[:12])
	dst := filepath.Join(cache, name)
	if used(filepath.Join(dst, "overlay.json")) {
		return filepath.Join(dst, "overlay.json"), nil
	}
	work, err := os.MkdirTemp(cache, "build-")
	if err != nil {
		return "", fmt.Errorf("wasmbuild: making a build directory: %w", err)
	}
	defer os.RemoveAll(work)
	// The overlay names its files by absolute path, so it is written where
	// it will stay: into dst's place, by renaming the whole directory.
	tmp := filepath.Join(work, name)
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return "", fmt.Errorf("wasmbuild: writing the overlay: %w", err)
	}
	if _, err := writeOverlayAt(tmp, dst, tc.goroot, files); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dst); err != nil && !used(filepath.Join(dst, "overlay.json")) {
		return "", fmt.Errorf("wasmbuild: storing the overlay: %w", err)
	}
	return filepath.Join(dst, "overlay.json"), nil
}
