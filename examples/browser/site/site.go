//go:build !wasm

// Package site builds and serves the browser demo: its page, the
// timeline renderer, Go's wasm_exec.js and the simulation built for
// WebAssembly.
//
//simvet:production builds and serves the demo, never inside a simulation
package site

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/moonpool-go/moonpool/simtest/timelinehtml"
)

//go:embed static
var static embed.FS

// wasmPkg is the demo's simulation as a command for GOOS=js.
const wasmPkg = "github.com/moonpool-go/moonpool/examples/browser/wasm"

// Build writes the whole site into dir: the page, the renderer, Go's
// wasm_exec.js and demo.wasm (and wasm_exec_node.js, which runs demo.wasm
// under Node: node wasm_exec_node.js demo.wasm stormy/7), built with the go command on the PATH (run
// it inside the module). The directory can be served by any static file
// server.
func Build(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("site: %w", err)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, "demo.wasm"), wasmPkg)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("site: building the simulation for WebAssembly (go build %s, GOOS=js GOARCH=wasm): %w\n%s", wasmPkg, err, stderr.String())
	}
	execJS, err := wasmExec(ctx, "wasm_exec.js")
	if err != nil {
		return err
	}
	execNode, err := wasmExec(ctx, "wasm_exec_node.js")
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"wasm_exec.js":      execJS,
		"wasm_exec_node.js": execNode,
		"timeline.js":       []byte(timelinehtml.Script()),
		"timeline.css":      []byte(timelinehtml.Style()),
	}
	sub, err := fs.Sub(static, "static")
	if err != nil {
		return fmt.Errorf("site: %w", err)
	}
	err = fs.WalkDir(sub, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, path)
		files[path] = b
		return err
	})
	if err != nil {
		return fmt.Errorf("site: %w", err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o666); err != nil {
			return fmt.Errorf("site: %w", err)
		}
	}
	return nil
}

// wasmExec reads file, wasm_exec.js or wasm_exec_node.js, of the Go that
// builds demo.wasm: the two must match. Go 1.24 moved them from misc/wasm
// to lib/wasm.
func wasmExec(ctx context.Context, file string) ([]byte, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output()
	if err != nil {
		return nil, fmt.Errorf("site: finding GOROOT (go env GOROOT): %w", err)
	}
	root := strings.TrimSpace(string(out))
	for _, dir := range []string{"lib/wasm", "misc/wasm"} {
		if b, err := os.ReadFile(filepath.Join(root, dir, file)); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("site: no %s under %s (lib/wasm or misc/wasm): the Go installation is incomplete", file, root)
}

// Handler serves the site that Build wrote into dir, with WebAssembly's
// content type, which streaming compilation needs.
func Handler(dir string) http.Handler {
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".wasm") {
			w.Header().Set("Content-Type", "application/wasm")
		}
		w.Header().Set("Cache-Control", "no-store")
		files.ServeHTTP(w, r)
	})
}
