package simvet

import "go/types"

// syncTypes are the sync types that block, with their provider equivalent.
// sync.Once, sync.Map, sync.Pool and sync/atomic do not park a task for
// long and stay allowed. A lock never held across a call that parks never
// makes a task wait, since one task runs at a time, and may stay with an
// allow directive; a WaitGroup or a Cond is there to wait.
var syncTypes = map[string]string{
	"Mutex":     "providers.NewMutex(p.Task)" + lockAllow,
	"RWMutex":   "providers.NewMutex(p.Task) (the providers have no read lock: one Mutex)" + lockAllow,
	"WaitGroup": "providers.NewWaitGroup(p.Task), or a providers.Group",
	"Cond":      condAlt,
	"NewCond":   condAlt,
}

const condAlt = "providers.NewCond(p.Task, mu) on the providers.Mutex mu that guards the state: Wait(ctx), Signal and Broadcast, as sync.Cond's"

const lockAllow = ", or, if it is never held across a call that parks, //simvet:allow sync <reason>"

// synctestFuncs are testing/synctest's functions, with what goes wrong in
// a simulation and what to do instead.
var synctestFuncs = map[string]string{
	"Wait": "waits for the goroutines of a synctest bubble, which a simulation has none of: in a task it panics (goroutine is not in a bubble); " +
		"in a body, check the tasks' work with s.Eventually (after s.Quiesce, when faults are on) or sleep past the instant it is due (s.Sleep), " +
		"and in code under test, wait through the providers (a Chan, a WaitGroup, p.Time.Sleep)",
	"Test": "opens a bubble of its own, with a fake clock and goroutines that the simulation neither schedules nor sees, so nothing in it is simulated: " +
		"call the code from the body or the task, and keep synctest.Test for plain tests, outside simtest.Run",
}

func runSync(c *checker) {
	pkgUses(c, func(u pkgCall) {
		if u.obj.Pkg().Path() == synctestPath {
			if what, ok := synctestFuncs[u.obj.Name()]; ok {
				c.report(u.at(), "synctest."+u.obj.Name()+" "+what)
			}
			return
		}
		alt, ok := syncTypes[u.obj.Name()]
		if !ok {
			return
		}
		if _, isType := u.obj.(*types.TypeName); isType || u.obj.Name() == "NewCond" {
			c.report(u.ref, "sync."+u.obj.Name()+" blocks the goroutine outside the simulation, so a task waiting on it stops the whole run; use "+alt)
		}
	}, "sync", synctestPath)
}
