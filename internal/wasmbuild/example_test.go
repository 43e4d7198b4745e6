package wasmbuild_test

import (
	"context"
	"fmt"
	"log"

	"github.com/moonpool-go/moonpool/internal/wasmbuild"
)

// Build a main package of the current module for wasip1, with an extra
// file in package net, and get the path of the cached module.
func ExampleBuild() {
	path, err := wasmbuild.Build(context.Background(), wasmbuild.Config{
		Package: "./cmd/server",
		Overlay: map[string][]byte{
			"src/net/zz_host.go": []byte("package net\n\n// calls into the host\n"),
		},
		Tags: []string{"moonpool"},
	})
	if err != nil {
		log.Fatal(err) // names the package that stops the build, and the fix
	}
	fmt.Println(path) // ~/.cache/moonpool/wasm/<key>.wasm; do not change it
}

// Seed the goroutine order of a test binary that go test builds itself.
func ExampleSchedOverlay() {
	overlay, err := wasmbuild.SchedOverlay(context.Background(), "")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("GOOS=wasip1 GOARCH=wasm go test -overlay=%s -exec=moonpool-wasip1-exec ./...\n", overlay)
}
