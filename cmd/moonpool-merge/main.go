// Command moonpool-merge merges the results files of a sweep's shards
// into one report; run it with no arguments for its usage, and see
// package github.com/moonpool-go/moonpool/internal/mergecmd.
//
//simvet:production a command that reads results, never inside a simulation
package main

import (
	"os"

	"github.com/moonpool-go/moonpool/internal/mergecmd"
)

func main() { os.Exit(mergecmd.Main(os.Args[1:], os.Stdout, os.Stderr)) }
