package simvet

import "go/types"

// syncTypes are the sync types that block, with their provider equivalent.
// sync.Once, sync.Map, sync.Pool and sync/atomic do not park a task for
// long and stay allowed.
var syncTypes = map[string]string{
	"Mutex":     "providers.NewMutex(p.Task)",
	"RWMutex":   "providers.NewMutex(p.Task) (the providers have no read lock: one Mutex)",
	"WaitGroup": "providers.NewWaitGroup(p.Task), or a providers.Group",
	"Cond":      "a providers.Chan, or providers.Select over several",
	"NewCond":   "a providers.Chan, or providers.Select over several",
}

func runSync(c *checker) {
	pkgUses(c, func(u pkgCall) {
		alt, ok := syncTypes[u.obj.Name()]
		if !ok {
			return
		}
		if _, isType := u.obj.(*types.TypeName); isType || u.obj.Name() == "NewCond" {
			c.report(u.ref, "sync."+u.obj.Name()+" blocks the goroutine outside the simulation, so a task waiting on it stops the whole run; use "+alt)
		}
	}, "sync")
}
