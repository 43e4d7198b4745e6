package wallclock

import (
	"net/http"
	"time"
)

type embedsClient struct{ http.Client }

// An http.Client's Timeout is a wall-clock timer.
func Clients(rt http.RoundTripper, d time.Duration) {
	c := &http.Client{Transport: rt, Timeout: d} // want `http.Client's Timeout runs on the wall clock, not the simulation's; bound each request with a context from p.Time.WithTimeout\(ctx, d\)`
	c.Timeout = 2 * time.Second                  // want `http.Client's Timeout runs on the wall clock`
	var e embedsClient
	e.Timeout = d // want `http.Client's Timeout`
	_ = c.Timeout // a read: fine
}
