// Command sweep runs a simulation over many seeds outside go test; see
// package sweep.
//
//simvet:production a command that runs simulations, never inside one
package main

import (
	"os"

	"github.com/moonpool-go/moonpool/examples/sweep"
)

func main() { os.Exit(sweep.Main(os.Args[1:], os.Stdout, os.Stderr)) }
