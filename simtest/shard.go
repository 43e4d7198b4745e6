package simtest

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxShards bounds the number of shards a Run's seeds are split into.
const MaxShards = 1 << 20

// shardEnv names the environment variable that sets the shard when
// -simshard is not given, as MOONPOOL_SEEDS sets the seed count: a job of
// a sweep sets it once for every test of a go test ./... run.
const shardEnv = "MOONPOOL_SHARD"

// Shard makes the Run take shard i of n of its seeds, as the -simshard=i/n
// flag does: the seeds at places i, i+n, i+2n... of the sequence the Run
// would run whole, so that n processes, each given another i from 0 to
// n-1, run the same seeds as one process, none twice. An exploring Run
// ([Explore]) takes its root seeds the same way, each shard with the whole
// budget of timelines. Seeds kept under testdata/simtest run in shard 0
// only.
//
// A shard's gaps in assertion coverage are warnings: it sees part of the
// seeds. Write each shard's results ([ResultsFile], -simresults) and merge
// them with cmd/moonpool-merge ([MergeResults]) into the report one process
// would have written. A replay ([Replay], -simseed) runs its seed whatever
// the shard. [Fuzz] refuses it; -simshard takes a shard of a Fuzz's seed
// corpus.
func Shard(i, n int) Option {
	return optionFunc(func(c *config) error {
		if err := checkShard(i, n, fmt.Sprintf("simtest.Shard(%d, %d)", i, n)); err != nil {
			return err
		}
		c.shard, c.shards = i, n
		return nil
	})
}

// checkShard says what is wrong with shard i of n, given by what.
func checkShard(i, n int, what string) error {
	switch {
	case n < 1:
		return fmt.Errorf("%s: the number of shards must be at least 1; give the number of processes the seeds are split over, such as 4", what)
	case n > MaxShards:
		return fmt.Errorf("%s: the number of shards is at most simtest.MaxShards (%d)", what, MaxShards)
	case i < 0 || i >= n:
		return fmt.Errorf("%s: the shard is counted from 0 and must be below the number of shards; give 0 to %d", what, n-1)
	}
	return nil
}

// parseShard reads a shard written i/n, from where (a flag or an
// environment variable).
func parseShard(s, where string) (i, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	i, erri := strconv.Atoi(a)
	n, errn := strconv.Atoi(b)
	if !ok || erri != nil || errn != nil {
		return 0, 0, fmt.Errorf("%s wants a shard written i/n, such as 0/4 (the first of four), with i from 0 to n-1; %q is not one", where, s)
	}
	if err := checkShard(i, n, where+"="+s); err != nil {
		return 0, 0, err
	}
	return i, n, nil
}

// sharded reports whether the Run takes part of its seeds.
func (c *config) sharded() bool { return c.shards > 1 }

// shardLine is the report's line about the shard, or "".
func (c *config) shardLine() string {
	if !c.sharded() {
		return ""
	}
	return fmt.Sprintf("\n    shard %d of %d: the seeds at places %d, %d, %d... of the sequence; cmd/moonpool-merge merges the shards' -simresults files",
		c.shard, c.shards, c.shard, c.shard+c.shards, c.shard+2*c.shards)
}

// shardSuffix is what a file per test adds to the test's name in a
// sharded Run, so that shards writing to one directory do not collide.
func (c *config) shardSuffix() string {
	if !c.sharded() {
		return ""
	}
	return fmt.Sprintf(".shard-%d-of-%d", c.shard, c.shards)
}

// placeOf is the place of seed in the sequence a Run with base seed base
// draws (seedAt's i), found by undoing seedAt: splitmix64's steps are
// each invertible. A seed that is not of the sequence gets a place that
// means nothing.
func placeOf(base, seed uint64) int64 {
	z := seed
	z ^= z>>31 ^ z>>62
	z *= inverse(0x94d049bb133111eb)
	z ^= z>>27 ^ z>>54
	z *= inverse(0xbf58476d1ce4e5b9)
	z ^= z>>30 ^ z>>60
	return int64((z-base)*inverse(0x9e3779b97f4a7c15)) - 1
}

// inverse is the multiplicative inverse of the odd number a modulo 2^64,
// by Newton's iteration: each step doubles the bits that are right.
func inverse(a uint64) uint64 {
	x := a // right in the low 3 bits for any odd a
	for range 5 {
		x *= 2 - a*x
	}
	return x
}
