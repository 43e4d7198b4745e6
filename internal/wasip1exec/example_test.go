package wasip1exec_test

import (
	"context"
	"log"
	"os"

	"github.com/moonpool-go/moonpool/internal/wasip1exec"
)

// Run a wasip1 program twice with one seed: both runs print the same.
func ExampleRun() {
	for range 2 {
		code, err := wasip1exec.Run(context.Background(), wasip1exec.Config{
			Path:   "prog.wasm",
			Args:   []string{"-v"},
			Mounts: []wasip1exec.Mount{{Host: "testdata", Guest: "/data", ReadOnly: true}},
			Seed:   42,
			Stdout: os.Stdout,
			Stderr: os.Stderr,
		})
		if err != nil || code != 0 {
			log.Fatalf("exit %d: %v", code, err)
		}
	}
}
