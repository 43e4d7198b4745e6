//go:build !(wasip1 && moonpool)

package simctx

// guest is the simulation of code that runs inside a simulated program
// (see guest_wasip1.go); a native build has none.
func guest() Sim { return nil }
