package goroutine

import (
	"sync"

	"golang.org/x/sync/errgroup"
)

// Groups that start goroutines of their own.
func Groups() error {
	var wg sync.WaitGroup
	wg.Go(work) // want `goroutine: sync.WaitGroup.Go runs its function on a goroutine of its own, which the simulation neither schedules nor kills; start tasks in a providers.Group`
	wg.Wait()
	start := wg.Go // want `sync.WaitGroup.Go runs`
	_ = start
	var g errgroup.Group
	g.Go(func() error { return nil })        // want `errgroup.Group.Go runs`
	_ = g.TryGo(func() error { return nil }) // want `errgroup.Group.TryGo runs`
	return g.Wait()
}
