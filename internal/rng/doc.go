// Package rng is the single counted random stream of a simulation run.
//
// Every decision a run makes — which task runs next, how long a message
// takes, whether a fault fires, every number code under test draws — comes
// from one Stream, in a fixed order. The stream counts its draws; the count is
// how a step of a run is named when replaying or branching it.
//
// A Stream starts either from a 64-bit seed (ChaCha8 keyed by the seed) or
// from a byte string, the decision stream of a fuzz input: the first draws
// read the bytes, eight at a time, and the rest come from ChaCha8 keyed by a
// hash of those bytes. Changing one byte of the input changes one early draw,
// not the whole run.
package rng
