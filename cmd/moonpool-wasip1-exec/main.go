// Command moonpool-wasip1-exec runs a program built for GOOS=wasip1
// GOARCH=wasm deterministically, as go test's -exec program:
//
//	GOOS=wasip1 GOARCH=wasm go test -exec=moonpool-wasip1-exec ./pkg
//
// Run it with no arguments for its usage; the package
// github.com/moonpool-go/moonpool/internal/wasip1exec documents what it
// controls.
package main

import (
	"os"

	"github.com/moonpool-go/moonpool/internal/wasip1exec"
)

func main() { os.Exit(wasip1exec.Main(os.Args[1:], os.Environ(), os.Stdin, os.Stdout, os.Stderr)) }
