// Package shardmove is a bank that moves partitions of accounts between
// two shards and can lose a deposit doing it: the example of fuzzing a
// simulation.
//
// A [Bank] spreads its accounts over partitions by a hash ([Partition]) and
// keeps each partition on one of two shards. [Bank.Move] moves a partition:
// it copies the balances to the other shard and then routes the partition
// there. The switch is instant, except now and then when the routing
// update is slow ([DefaultSwitch]: a millisecond, one time in fifty). A
// deposit that lands in that millisecond, on an account of the moving
// partition, goes to the old shard and is lost; the books no longer
// balance.
//
// The test makes each ingredient unlikely and unrelated to the others: the
// slow switch (one time in fifty), a deposit at the one instant in fifty
// that falls inside the move, and an account, out of a hundred, whose
// partition is the one of fifty that moves. About one seed in 125,000 has
// all three. Nothing about the lost deposit runs new code — every run
// deposits, moves and audits, down the same lines — so code coverage tells
// a fuzzer nothing until the books fail to balance. Two Sometimes
// assertions say how close a run came: a deposit came while a partition
// moved; a deposit went to the partition that moved. simtest.Fuzz turns
// each into coverage, and the fuzzer climbs from them.
//
// [Bank.Atomic] (a move holds deposits back until it is done) is the fix.
// [Workload] is the simulation the tests run: on the fixed bank, or with
// -planted on the one that loses deposits. simtest's
// TestFuzzFeedbackFindsTheLostDepositSooner runs it too, in every go test,
// to show the fuzz feedback at work. BENCHMARKS.md records how many
// executions each way takes to find the loss.
package shardmove
