// Package tally keeps the books of a Run's assertions: what each assertion
// did in each seed and across the seeds, where it is called from, and
// which assertions the source holds that no seed reached.
//
// A [Book] belongs to one Run, and each seed records into a book of its
// own, merged into the Run's in seed order ([Book.Merge]), so that what a
// seed reports depends on that seed alone. Each seed gets a [Seed] from
// [Book.Begin]; the seed's world sends it every assertion made through a
// context that carries the world. An assertion is keyed by its message: the table is a
// map, so any number of distinct assertions fit. Nothing here draws from
// the run's random stream or touches its trace hash.
//
// The hot path, an assertion already seen, is one map lookup by message
// and a few counters. The first call of a message walks the stack once to
// find its call site; call sites are symbolized once per program counter.
//
// At the end of a Run, [Book.Catalogue] reads the source files in which
// seeds reached assertions and adds the assertion calls there that no seed
// reached, so that an Always never reached or a Sometimes never run shows
// up; [Book.Rows] gives the table, and [Book.Profile] the coverage profile
// in the format of go tool cover.
package tally
