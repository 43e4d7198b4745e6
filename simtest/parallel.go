package simtest

import (
	"fmt"
	"iter"
	"sync"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/tally"
)

// MaxWorkers bounds the number of seeds a Run runs at once. Seeds are
// worlds that compute, each on one goroutine at a time: more workers than
// the machine has cores gain nothing, and a count past this bound is a
// mistake (a seed count given for a worker count).
const MaxWorkers = 1024

// Workers runs the Run's seeds on n workers at once (default 1: one seed
// after the other); the -simworkers flag overrides it. Seeds are
// independent worlds, so a Run on a machine of many cores runs n times as
// many seeds in the same time. What the Run reports does not change with
// n: the same seeds, each with the same trace, results committed in seed
// order (a failure on a later seed never hides one on an earlier seed,
// and the Run stops at the first failing seed in seed order), the same
// assertion table, made of each seed's figures merged in seed order. The
// seeds after the one it stops at that are under way are dropped; one
// stuck outside the simulation is given up after a second, not the
// whole [Watchdog].
//
// A body must not share state between seeds, through a package variable
// or anything else its seeds reach: with more than one worker, seeds run
// at the same time and such state makes them differ from run to run. The
// determinism check (-simcheck, [CheckDeterminism]) finds it, as a seed
// whose second run differs from its first.
//
// With more than one worker, a failure of the test's own testing.T (a
// t.Errorf from the body rather than s.Errorf) is the first seed in seed
// order that was running when it happened. [Fuzz] runs its inputs one
// after the other, and refuses n > 1: go test -fuzz -parallel=n runs n
// fuzzing workers.
func Workers(n int) Option {
	return optionFunc(func(c *config) error {
		if err := checkWorkers(n, fmt.Sprintf("simtest.Workers(%d)", n)); err != nil {
			return err
		}
		c.workers = n
		return nil
	})
}

// checkWorkers says what is wrong with a worker count, given by what.
func checkWorkers(n int, what string) error {
	switch {
	case n < 1:
		return fmt.Errorf("%s: the worker count must be at least 1 (1 runs the seeds one after the other); give the number of seeds to run at once, such as runtime.GOMAXPROCS(0)", what)
	case n > MaxWorkers:
		return fmt.Errorf("%s: the worker count is at most simtest.MaxWorkers (%d); more workers than cores gain nothing: give at most runtime.GOMAXPROCS(0)", what, MaxWorkers)
	}
	return nil
}

// parallel reports whether the Run runs its seeds on more than one
// worker (an exploration, its batches of timelines: explore.go). A
// replay runs one seed, and a fuzz input is one seed.
func (r *runner) parallel() bool {
	return r.cfg.workers > 1 && r.fuzz == nil && !r.cfg.replaySet
}

// seedDone is a seed run by a worker: its place in the Run, its outcome
// and its own book.
type seedDone struct {
	i    int
	o    *seedOutcome
	book *tally.Book
}

// runParallel runs seeds on the Run's workers and hands their outcomes
// to commit in seed order, until commit says the Run stops there. Seeds
// after that one may have run already: their outcomes, books and
// timelines are dropped, as if they had not run. At most two seeds per
// worker are ahead of the last one committed, so that a slow seed does
// not make the Run hold the outcomes of all the seeds after it.
func (r *runner) runParallel(seeds iter.Seq[uint64], commit func(*seedOutcome) bool) {
	r.t.Helper()
	n := r.cfg.workers
	ra := r.runAsserts()
	r.initAfter()
	jobs := make(chan seedDone, 2*n)
	done := make(chan seedDone, 2*n)
	// Each worker lends its seeds the goroutines of its own earlier
	// seeds: worlds that run at once share nothing.
	pools := make([]*sim.Workers, n)
	var wg sync.WaitGroup
	for i := range n {
		pools[i] = r.newWorkers()
		wg.Add(1)
		go func(pool *sim.Workers) {
			defer wg.Done()
			defer pool.Close()
			for j := range jobs {
				j.book = tally.New(ra.sites)
				j.o = r.runSeedOn(j.o.res.Seed, pool, j.book, nil)
				done <- j
			}
		}(pools[i])
	}
	next, sent := 0, 0
	stop := false
	pending := make(map[int]seedDone)
	pull, end := iter.Pull(seeds)
	defer end()
	for {
		for !stop && sent-next < 2*n {
			seed, ok := pull()
			if !ok {
				stop = true
				break
			}
			jobs <- seedDone{i: sent, o: &seedOutcome{res: sim.Result{Seed: seed}}}
			sent++
		}
		if next == sent {
			break
		}
		d := <-done
		pending[d.i] = d
		for {
			d, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			ra.book.Merge(d.book)
			if commit(d.o) {
				stop = true
				sent = next // drop the seeds after: receive them below
				// A seed after this one stuck outside the simulation is
				// not waited for the whole watchdog.
				for _, p := range pools {
					p.Stop()
				}
				break
			}
		}
		if stop && next == sent {
			break
		}
	}
	// Seeds not yet started after the Run stopped are not run.
	for drained := false; !drained; {
		select {
		case <-jobs:
		default:
			drained = true
		}
	}
	close(jobs)
	// Seeds still running after the Run stopped end before Run returns,
	// and with them their goroutines; but for a task stuck outside the
	// simulation, whose seed its pool's Stop gave up.
	go func() { wg.Wait(); close(done) }()
	for range done {
	}
}
