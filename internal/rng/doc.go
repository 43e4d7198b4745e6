// Package rng is the single counted random stream of a simulation run.
//
// Every decision a run makes — which task runs next, how long a message
// takes, whether a fault fires, every number code under test draws — comes
// from one Stream, in a fixed order. The stream counts its draws; the count is
// how a step of a run is named when replaying or branching it.
//
// A Stream starts either from a 64-bit seed (ChaCha8 keyed by the seed) or
// from a fuzz input's decisions (Decided): a base seed and one byte for each
// of the first draws, which sets that draw's top byte; the draws past them
// are seed 0's. Changing one byte of the decisions changes one draw, not
// the whole run.
package rng
