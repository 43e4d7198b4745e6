package providers

import "sync/atomic"

// Readiness is implemented by a [Cluster] that keeps whether its process
// is ready to serve. A process that is up but cannot do its part yet (a
// replica catching up after a restart, a member being replaced) says so
// with [SetNotReady], and [SetReady] once it can. A simulation counts a
// process that is not ready as down when it decides how many more it may
// take down; in production a readiness probe reads [Ready].
type Readiness interface {
	// SetReady records whether the process is ready, and why not when it
	// is not.
	SetReady(ready bool, why string)
	// Ready reports whether the process is ready, and why not when it is
	// not.
	Ready() (ready bool, why string)
}

// SetNotReady tells c that its process is not ready to serve, and why
// (such as "catching up from the leader"). It does nothing when c keeps
// no readiness.
func SetNotReady(c Cluster, why string) {
	if r, ok := c.(Readiness); ok {
		r.SetReady(false, why)
	}
}

// SetReady tells c that its process is ready to serve again. It does
// nothing when c keeps no readiness.
func SetReady(c Cluster) {
	if r, ok := c.(Readiness); ok {
		r.SetReady(true, "")
	}
}

// Ready reports whether c's process is ready, and why not when it is not.
// A Cluster that keeps no readiness is always ready.
func Ready(c Cluster) (ready bool, why string) {
	if r, ok := c.(Readiness); ok {
		return r.Ready()
	}
	return true, ""
}

// readiness is the state behind [StaticCluster]'s [Readiness]: the reason
// it is not ready, or nil while it is.
type readiness struct{ notReady atomic.Pointer[string] }

func (r *readiness) SetReady(ready bool, why string) {
	if ready {
		r.notReady.Store(nil)
		return
	}
	r.notReady.Store(&why)
}

func (r *readiness) Ready() (bool, string) {
	if why := r.notReady.Load(); why != nil {
		return false, *why
	}
	return true, ""
}
