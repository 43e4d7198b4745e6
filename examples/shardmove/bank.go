package shardmove

import (
	"context"
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/providers"
)

// Partitions is how many partitions a bank's accounts are spread over.
const Partitions = 50

// Partition is the partition of account a.
func Partition(a int) int { return (37*a + 11) % Partitions }

// Bank keeps accounts on two shards, a partition at a time.
type Bank struct {
	// Atomic makes a move hold back the deposits that come while it runs.
	// Without it a deposit that lands between a move's copy and its switch
	// goes to the old shard, and is lost.
	Atomic bool
	// Switch is how long a move's routing update takes. It defaults to
	// [DefaultSwitch].
	Switch func(r providers.Random) time.Duration

	p      providers.Providers
	shards [2][]int // balances, by shard and account
	route  [Partitions]int
	moves  int // moves between their copy and their switch
	mu     *providers.Mutex
}

// New returns a bank of n accounts, each holding balance, all on shard 0.
func New(p providers.Providers, n, balance int) *Bank {
	b := &Bank{p: p, mu: providers.NewMutex(p.Task)}
	for s := range b.shards {
		b.shards[s] = make([]int, n)
	}
	for a := range n {
		b.shards[0][a] = balance
	}
	return b
}

// Deposit adds amount to account a.
func (b *Bank) Deposit(ctx context.Context, a, amount int) error {
	assertions.Sometimes(ctx, b.moves > 0, "a deposit comes while a partition moves")
	if b.Atomic {
		if err := b.mu.Lock(ctx); err != nil {
			return err
		}
		defer b.mu.Unlock()
	}
	b.shards[b.route[Partition(a)]][a] += amount
	assertions.Reachable(ctx, "a deposit is applied")
	return nil
}

// Total is the sum of every balance, each read where its partition is
// routed.
func (b *Bank) Total() int {
	total := 0
	for a := range b.shards[0] {
		total += b.shards[b.route[Partition(a)]][a]
	}
	return total
}

// Move moves partition p to the other shard: it copies the partition's
// balances, then routes the partition to its new shard.
func (b *Bank) Move(ctx context.Context, p int) error {
	if b.Atomic {
		if err := b.mu.Lock(ctx); err != nil {
			return err
		}
		defer b.mu.Unlock()
	}
	from, to := b.route[p], 1-b.route[p]
	for a := range b.shards[from] {
		if Partition(a) == p {
			b.shards[to][a] = b.shards[from][a]
		}
	}
	sw := b.Switch
	if sw == nil {
		sw = DefaultSwitch
	}
	b.moves++
	if err := b.p.Time.Sleep(ctx, sw(b.p.Random)); err != nil {
		return err
	}
	b.route[p] = to
	b.moves--
	assertions.Reachable(ctx, "a partition moves")
	return nil
}

// DefaultSwitch is instant, and one time in fifty takes a millisecond.
func DefaultSwitch(r providers.Random) time.Duration {
	if r.IntN(50) == 0 {
		return time.Millisecond
	}
	return 0
}
