package simtest

import (
	"flag"
	"fmt"
	"strconv"
)

// The command-line flags. They are read-only after the test binary parses
// its flags; each Run copies what it needs into its own configuration.
var (
	flagSeed  = &seedFlag{}
	flagSeeds = &countFlag{}
	flagFresh = flag.Bool("simfresh", false, "simtest: draw a fresh base seed for every Run instead of one derived from the test name")
	flagCheck = flag.Bool("simcheck", false, "simtest: run every seed twice and fail when the traces differ")
	flagV     = flag.Bool("simv", false, "simtest: log every seed's log lines, not only a failing seed's")
	flagKeep  = flag.Bool("simkeep", true, "simtest: keep failing seeds under testdata/simtest and run them first")
)

func init() {
	flag.Var(flagSeed, "simseed", "simtest: replay only this `seed` (a decimal number from a failure's replay line)")
	flag.Var(flagSeeds, "simseeds", "simtest: run this many seeds per Run (default 100, 10 under -short)")
}

type seedFlag struct {
	v   uint64
	set bool
}

func (f *seedFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return strconv.FormatUint(f.v, 10)
}

func (f *seedFlag) Set(s string) error {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("-simseed wants a decimal seed such as 1234, as printed in a failure's replay line; %q is not one", s)
	}
	f.v, f.set = v, true
	return nil
}

type countFlag struct {
	v   int
	set bool
}

func (f *countFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return strconv.Itoa(f.v)
}

func (f *countFlag) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil || v <= 0 {
		return fmt.Errorf("-simseeds wants a positive number of seeds, such as 1000; %q is not one", s)
	}
	f.v, f.set = v, true
	return nil
}

// flags are the command-line settings a Run sees; tests of this package
// build their own.
type flags struct {
	seed    uint64
	seedSet bool
	seeds   int
	fresh   bool
	check   bool
	verbose bool
	noKeep  bool
	asserts assertFlags // assert_options.go
}

func commandLine() flags {
	return flags{
		seed: flagSeed.v, seedSet: flagSeed.set,
		seeds: flagSeeds.v,
		fresh: *flagFresh, check: *flagCheck, verbose: *flagV, noKeep: !*flagKeep,
		asserts: assertCommandLine(),
	}
}

// resolve applies the options and then the flags, which win, and rejects
// combinations that cannot be meant.
func resolve(short bool, fl flags, opts []Option) (config, error) {
	c := defaultConfig(short)
	for _, o := range opts {
		if o == nil {
			return c, fmt.Errorf("simtest: a nil Option was passed; remove it")
		}
		if err := o.apply(&c); err != nil {
			return c, err
		}
	}
	if c.network != nil {
		c.chaos.Network = *c.network
	}
	if c.storage != nil {
		c.chaos.Storage = *c.storage
	}
	if c.fresh && c.baseSet {
		return c, fmt.Errorf("simtest: FreshSeeds and BaseSeed both choose the base seed; keep one")
	}
	if fl.seedSet && fl.seeds > 0 {
		return c, fmt.Errorf("simtest: -simseed replays one seed and -simseeds asks for %d; give one of the two flags", fl.seeds)
	}
	if fl.seedSet && fl.fresh {
		return c, fmt.Errorf("simtest: -simseed replays one seed and -simfresh draws new ones; give one of the two flags")
	}
	if fl.seedSet {
		c.replay, c.replaySet = fl.seed, true
	}
	if fl.seeds > 0 {
		c.seeds = fl.seeds
	}
	c.fresh = c.fresh || fl.fresh
	c.check = c.check || fl.check
	c.verbose = c.verbose || fl.verbose
	c.keep = c.keep && !fl.noKeep
	c.asserts.override(fl.asserts)
	return c, nil
}
