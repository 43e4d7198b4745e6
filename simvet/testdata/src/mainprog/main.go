// A main package that may wire providers.Real() for production, or be a
// program run through package program: the first finding of a rule says
// how such a package opts out, the others do not repeat it.
package main

import (
	"fmt"
	"time"
)

func main() {
	start := time.Now()                        // want `wallclock: time.Now reads the wall clock.* \(if this main package wires providers.Real\(\) for production and never runs in a simulation, or runs as a program through package program, written against the standard library on purpose: mark one of its files //simvet:production, docs/simvet.md\)$`
	fmt.Println(time.Since(start), time.Now()) // want `wallclock: time.Since reads the wall clock, not the simulation's; use p.Time.Now\(\).Sub\(t\)$` `wallclock: time.Now reads the wall clock, not the simulation's; use p.Time.Now\(\)$`
}
