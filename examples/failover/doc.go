// Package failover is a primary-backup register that acknowledges a write
// before its backup has it: the example of fuzzing a simulation.
//
// A [Register] holds one number on two replicas. A write goes to the
// primary, which answers at once and sends the value on to the backup over
// a link that is slow one time in fifty. When the primary crashes, the
// backup is promoted and serves from then on. If the crash comes while a
// write is still crossing the slow link, and a client reads before the
// write lands, the client reads an older value than one it was told was
// written: a stale read.
//
// That takes three unlikely things in one run — a slow link, a crash in
// the short window it opens, an early read — each one time in fifty in the
// test, so about one seed in 125,000 finds it. Each of them alone runs code
// that no other run runs, so a coverage-guided fuzzer finds each alone at
// once; what it cannot see is two of them together. Two Sometimes
// assertions in the register say when that happens (a promotion, or a read,
// while a write is in flight), and simtest.Fuzz turns them into coverage:
// the fuzzer keeps an input that reaches two of the three, and from there
// the third is one decision away.
//
// [Register.Sync] (acknowledge a write only once the backup has it) is the
// fix. The tests run the fixed register; with -planted they run the racy
// one. BENCHMARKS.md records how many executions each way takes to find
// the stale read.
package failover
