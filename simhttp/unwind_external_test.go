package simhttp_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

// A handler's deferred call that panics while a kill unwinds the handler
// (a graceful stop's leftover) fails the seed as a panic of the code, and
// the server's recover lets the kill go on: no "kill recovered" blames
// the server.
func TestAHandlersDeferThatPanicsAsAKillUnwindsItFailsTheSeed(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "web", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, sp providers.Providers) error {
				l, err := sp.Network.Listen(ctx, ":80")
				if err != nil {
					return err
				}
				srv := &simhttp.Server{Providers: sp, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					done := false
					defer func() {
						if !done {
							panic("the upload was cut short")
						}
					}()
					// Deaf to its context, so that the grace's end kills it.
					_ = sp.Time.Sleep(context.WithoutCancel(r.Context()), time.Hour)
					done = true
				})}
				return srv.Serve(ctx, l)
			})
		}})
		p := s.Providers()
		s.Go("client", func(ctx context.Context) error {
			_, _ = simhttp.NewClient(p).Get("http://" + c.Peers()[0].Host + "/upload")
			return nil
		})
		s.Sleep(time.Second)
		c.Stop("web-0", simtest.Graceful, simtest.Grace(time.Second))
	}, quiet(), simtest.Seeds(1))
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Regexp(t, `unwind_external_test\.go:\d+: panic at 2s in task "web-0/[^"]+": a deferred call panicked while the kill of process web-0 at 2s `+
		`unwound task "web-0/[^"]+": the upload was cut short \(`, res.Report)
	assert.NotContains(t, res.Report, "kill recovered")
}
