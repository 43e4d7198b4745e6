// Command simvet reports code that escapes a simulation: goroutines,
// native channels and locks, the wall clock, global randomness, the real
// operating system and network, map order that reaches the outside, and
// package-level state. Run it alone or as go vet's tool:
//
//	simvet ./...
//	go vet -vettool=$(which simvet) ./...
//
// The rules are documented in package simvet and by simvet help.
package main

import (
	"github.com/moonpool-go/moonpool/simvet"
	"golang.org/x/tools/go/analysis/multichecker"
)

func main() { multichecker.Main(simvet.Analyzers...) }
