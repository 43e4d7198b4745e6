package simtest

import (
	"fmt"
	"slices"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/explore"
)

// An Option changes how [Run] runs its seeds. Options are values: build
// them once, keep them in a slice, pass them to many Runs.
type Option interface {
	apply(*config) error
}

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// The defaults of the options.
const (
	DefaultSeeds              = 100
	DefaultShortSeeds         = 10
	DefaultTimeBudget         = time.Hour
	DefaultWatchdog           = 10 * time.Second
	DefaultMaxStepsPerInstant = 10_000_000
	DefaultMaxWallPerInstant  = time.Minute
	DefaultConnsNoted         = 256
)

// The limits of the options' durations.
const (
	// MaxTimeBudget bounds [TimeBudget]: a century of simulated time, which
	// leaves room below int64's nanoseconds for the durations a seed adds
	// to the instant it has reached.
	MaxTimeBudget = 100 * 365 * 24 * time.Hour
	// MinWatchdog is the shortest [Watchdog] other than zero; a shorter one
	// would catch a task that is merely descheduled by the operating
	// system.
	MinWatchdog = time.Millisecond
)

type config struct {
	seeds      int
	seedsSet   bool
	baseSeed   uint64
	baseSet    bool
	baseByFlag bool // baseSeed is -simbase's: the test's name is mixed in (baseFor)
	fresh      bool
	replays    []uint64 // the seeds to replay, when replaySet
	replaySet  bool
	slow       time.Duration // a seed slower than this is named (slow.go)
	slowSet    bool          // by SlowSeed or -simslow, which a debugger leaves
	nameTasks  bool          // under a debugger: label goroutines with tasks' names
	timeBudget time.Duration
	watchdog   time.Duration
	// watchdogSet: the option or the flag set watchdog, which a debugger
	// attached then leaves as it is.
	watchdogSet bool
	maxSteps    uint64
	maxStill    time.Duration // MaxWallPerInstant
	maxStillSet bool
	connsNoted  int // ConnsNoted
	check       bool
	// verify runs a failing seed's replay line in a fresh process
	// (verify.go); checkingReplay is set in that process, whose Run logs
	// how each seed ended for the Run that checks it.
	verify         bool
	checkingReplay bool
	replaySlack    time.Duration // replayCheckSlack when zero (verify.go)
	verbose        bool
	quiet          bool       // -simv=false: no seed's line is logged as it ends
	devices        []func(*S) // per-seed set-up of simulated devices
	chaos          chaos.Config
	// network and storage, when set by Network and Storage, replace the
	// matching part of chaos whatever the order of the options.
	network *chaos.Network
	storage *chaos.Storage
	// diskDirLoss says, for each address DiskStorage configures, whether
	// its disk loses unsynced directory changes, for the summary.
	diskDirLoss map[string]bool
	keep        bool // keep failing seeds under testdata (keep.go)
	// keepReplay keeps a replayed seed that fails too (-simkeep=true
	// given on a replay line: keep.go).
	keepReplay bool
	// strictKept fails the test when a kept seed or recipe, or a fuzz
	// input's kept trace, passes on another execution (-simstrictkept:
	// keep.go).
	strictKept bool
	// replayNote, when not "", says which seed-choosing flags the Run
	// leaves aside because a Replay or ReplayRecipe option names its
	// seeds; the Run logs it.
	replayNote string
	// keepGoing runs past failing seeds; resultsPath is the results
	// file's (results.go).
	keepGoing   bool
	resultsPath string
	// zeroWall writes wall-clock figures as zero, so that a report is
	// the same text every time (the golden files' tests).
	zeroWall bool
	// wallClock names the functions whose goroutines and waits may keep
	// the wall clock (AllowWallClock: leftover.go).
	wallClock []string
	// workers is how many seeds run at once (parallel.go).
	workers int
	// shard of shards is the part of the seeds the Run takes; shards is
	// 0 or 1 for all of them (shard.go).
	shard, shards int
	// runFor and plateau end the seeds by wall time and by coverage
	// (iterate.go).
	runFor  time.Duration
	plateau int

	asserts assertConfig // assertions, invariants, timeline (assert_options.go)

	// explore, when set, explores from the seeds; recipe, when set,
	// replays one timeline (explore.go).
	explore *explore.Config
	recipe  *explore.Recipe
}

func defaultConfig(short bool) config {
	c := config{
		seeds:      DefaultSeeds,
		timeBudget: DefaultTimeBudget,
		watchdog:   DefaultWatchdog,
		maxSteps:   DefaultMaxStepsPerInstant,
		maxStill:   DefaultMaxWallPerInstant * raceSlowdown,
		connsNoted: DefaultConnsNoted,
		workers:    1,
		slow:       DefaultSlowSeed,
	}
	if short {
		c.seeds = DefaultShortSeeds
	}
	c.chaos = chaos.Defaults()
	c.keep = true
	return c
}

// Seeds sets how many seeds Run runs (default [DefaultSeeds], or
// [DefaultShortSeeds] under -short). The -simseeds flag overrides it;
// given twice, the last one counts, as a flag given twice does. With
// [Replay] or [ReplayRecipe], which run only their own seeds, it is an
// error.
func Seeds(n int) Option {
	return optionFunc(func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("simtest.Seeds(%d): the seed count must be at least 1", n)
		}
		c.seeds, c.seedsSet = n, true
		return nil
	})
}

// BaseSeed sets the seed the run's seeds are derived from. By default it is
// derived from the test's name, so a test runs the same seeds every time.
// The base is used as given; the -simbase flag, which every test of the
// binary is given, has the test's name mixed into it, so that each test
// draws seeds of its own.
func BaseSeed(seed uint64) Option {
	return optionFunc(func(c *config) error {
		c.baseSeed, c.baseSet = seed, true
		return nil
	})
}

// FreshSeeds draws a new base seed for every run, from the operating
// system's randomness, and logs it; the -simfresh flag does the same. Every
// failure still prints the seed that replays it.
func FreshSeeds() Option {
	return optionFunc(func(c *config) error {
		c.fresh = true
		return nil
	})
}

// Replay runs only the given seeds, in order, as the -simseed flag does:
// one seed from a failure's replay line, or several to debug at once,
// such as the failing seeds a -simall report lists. A replay of several
// seeds stops at the first failing one, or under [KeepGoing] (-simall)
// runs them all. With [Seeds] or [FreshSeeds], which choose other seeds,
// it is an error; with [BaseSeed], the base gives each replayed seed its
// place in the sequence (the results file's place). Several seeds run on
// the Run's [Workers] as its own seeds would, with the same results in
// seed order. The flags that choose
// the seeds of a whole go test (-simseeds or $MOONPOOL_SEEDS, -simfresh,
// -simfor, -simplateau, -simshard) do not apply to a Run given Replay,
// and the Run logs a line that says so; -simseed and -simrecipe win over
// it, as flags win over options.
func Replay(seeds ...uint64) Option {
	return optionFunc(func(c *config) error {
		if len(seeds) == 0 {
			return fmt.Errorf("simtest.Replay(): no seed given; pass the seeds to replay, as printed in a failure's replay line or a -simall report")
		}
		if c.recipe != nil {
			return replayConflict(*c.recipe, seeds)
		}
		c.replays, c.replaySet = slices.Clone(seeds), true
		return nil
	})
}

// TimeBudget bounds the simulated time of each seed (default
// [DefaultTimeBudget]), at most [MaxTimeBudget]. A seed whose body has not
// returned by then fails, with a report of every task and where it waits.
func TimeBudget(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("simtest.TimeBudget(%v): the budget must be positive", d)
		}
		if d > MaxTimeBudget {
			return fmt.Errorf("simtest.TimeBudget(%v): the budget is at most simtest.MaxTimeBudget (%v); lower it", d, MaxTimeBudget)
		}
		c.timeBudget = d
		return nil
	})
}

// Watchdog sets how long, in real time, a task may run without returning to
// the scheduler before the seed fails as blocked outside the simulation, or
// as busy if the task's goroutine keeps running (default
// [DefaultWatchdog]). It is also how long, in all, a seed's tasks may be
// blocked outside the simulation in blocks that are each shorter: past
// it, the seed fails as blocked too. [S.Slow] holds it off for a stretch
// that is meant to take long. Zero turns the watchdog off; otherwise it is at least
// [MinWatchdog]. The -simwatchdog flag overrides it. Under a debugger
// (a process that traces the test, on Linux) the default watchdog is off,
// so that a task held at a breakpoint does not fail its seed; one set by
// this option or the flag stays.
func Watchdog(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d < 0 {
			return fmt.Errorf("simtest.Watchdog(%v): the watchdog must be zero (off) or positive", d)
		}
		if d > 0 && d < MinWatchdog {
			return fmt.Errorf("simtest.Watchdog(%v): the watchdog is zero (off) or at least simtest.MinWatchdog (%v); raise it", d, MinWatchdog)
		}
		c.watchdog, c.watchdogSet = d, true
		return nil
	})
}

// MaxStepsPerInstant bounds how many times tasks may be resumed while
// simulated time stands still (default [DefaultMaxStepsPerInstant]); past
// it the seed fails as a livelock. The same number bounds the steps and
// events of any 100 ms of simulated time: past it the seed fails as making
// no progress (time crawls, as when something sleeps a nanosecond in a
// loop). Zero removes both bounds.
func MaxStepsPerInstant(n uint64) Option {
	return optionFunc(func(c *config) error {
		c.maxSteps = n
		return nil
	})
}

// MaxWallPerInstant bounds the wall time during which simulated time may
// stand still while tasks run and another task waits for it to move (a
// sleep, a timer or a deadline of a later instant) (default
// [DefaultMaxWallPerInstant], ten times that under the race detector);
// past it the seed is stopped between two steps and fails as out of wall
// time, naming the instant and, when the network has no latency, that
// cause. Simulated time moves on only when no task can run, so tasks that
// keep working without waiting on the clock (a loop that polls, a reader
// and a writer that keep data moving over a network with no latency) hold
// it still, and a task that sleeps meanwhile never wakes. Millions of
// round trips at one instant are a legitimate workload, which
// MaxStepsPerInstant lets run as long as data moves, and which this bound
// leaves be while nothing waits for a later instant (a deadline cancelled
// or cleared is no wait, nor one that each request sets and its reply
// clears); it ends the ones that would otherwise run until go test's
// -timeout. The wall time is
// counted up to the start of the step under way: one long step is the
// watchdog's. Zero removes the bound. The -simmaxwall flag overrides it.
// It depends on the machine's speed, as the -timeout does: a seed it
// stops is not kept, run again or checked.
func MaxWallPerInstant(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d < 0 {
			return fmt.Errorf("simtest.MaxWallPerInstant(%v): the bound must be zero (none) or positive", d)
		}
		c.maxStill, c.maxStillSet = d, true
		return nil
	})
}

// ConnsNoted sets how many connections one host may have dialled and
// left open, at both ends, when a seed ends before the report's
// connections line notes the host (default [DefaultConnsNoted]); a host
// whose dialled connections open at once reached a quarter of its
// ephemeral ports, or n if that is more, is noted too, for the processes'
// connections close as they stop. A connection counts once, on the host
// that dialled it, and only while it holds an ephemeral port: a server's
// accepted connections are not counted, nor one whose peer has closed.
// The note fails nothing; it points at connections dropped without
// Close, which in a longer seed run the host out of ephemeral ports. A
// program that keeps more open on purpose raises n; 0 notes none. A host
// that did run out of ports is reported whatever n is.
func ConnsNoted(n int) Option {
	return optionFunc(func(c *config) error {
		if n < 0 {
			return fmt.Errorf("simtest.ConnsNoted(%d): the count must be zero (note none) or positive", n)
		}
		c.connsNoted = n
		return nil
	})
}

// CheckDeterminism runs every seed twice and fails when the two runs'
// traces differ, or the data they move (task names, bytes written to
// connections and files, values drawn), naming the first step at which
// they part and what differs there; or when they take the same steps and
// end differently (one fails and the other does not, or each fails its
// own way), naming how each ended. The -simcheck flag does the same.
func CheckDeterminism() Option {
	return optionFunc(func(c *config) error {
		c.check = true
		return nil
	})
}

// Verbose logs every seed's own log lines, not only a failing seed's, and
// under go test -v every seed's line, where -v alone stops after the
// first 1,000; the -simv flag does the same, and -simv=false, which wins
// over the option, logs neither, not a seed's line even under -v.
func Verbose() Option {
	return optionFunc(func(c *config) error {
		c.verbose = true
		return nil
	})
}

// KeepFailures sets whether a failing seed is kept under
// testdata/simtest/<TestName>/ and run first on every later run (the
// default), as go test -fuzz keeps failing inputs: a reproduction that
// every run replays while its bug is open. Delete the file once the bug is
// fixed: a kept seed replays the execution that failed only until the code
// along its path changes, so the bug's lasting test is an assertion or a
// targeted test (the package doc, "Kept seeds"). The -simkeep=false flag
// turns it off too.
func KeepFailures(keep bool) Option {
	return optionFunc(func(c *config) error {
		c.keep = keep
		return nil
	})
}
