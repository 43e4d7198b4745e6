package simhttp_test

import (
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

// TestTimeoutHandlerIsNamed: http.TimeoutHandler runs the handler on a
// goroutine of its own, which the simulation does not run; the seed fails
// naming the wrapper and what to do instead.
func TestTimeoutHandlerIsNamed(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		sp := s.HostProviders("10.0.0.1")
		serve(s, "10.0.0.1", http.TimeoutHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sp.Time.Sleep(r.Context(), time.Millisecond)
		}), 50*time.Millisecond, "too slow"))
		resp, err := simhttp.NewClient(s.Providers()).Get("http://10.0.0.1/")
		if err == nil {
			resp.Body.Close()
		}
	}, quiet(), simtest.Seeds(1))
	require.Equal(t, 1, res.Failed, res.Report)
	require.Contains(t, res.Report, "it was started by http.TimeoutHandler")
	require.Contains(t, res.Report, "wrap the handler with simhttp.TimeoutHandler(p, h, dt, msg) instead")
}

// TestReverseProxyOfKnownLengthAnswers: httputil.ReverseProxy over a
// simhttp.Transport, with FlushInterval zero, proxies answers of known
// length as in production, the same way each run. (A streamed answer
// would be flushed from a time.AfterFunc timer: see the package doc.)
func TestReverseProxyOfKnownLengthAnswers(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		serve(s, "10.0.0.2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Length", strconv.Itoa(len(r.URL.Path)+len(b)))
			io.WriteString(w, r.URL.Path+string(b))
		}))
		sp := s.HostProviders("10.0.0.1")
		backend, err := url.Parse("http://10.0.0.2")
		require.NoError(s, err)
		proxy := httputil.NewSingleHostReverseProxy(backend)
		proxy.Transport = &simhttp.Transport{Providers: sp}
		serve(s, "10.0.0.1", proxy)
		c := simhttp.NewClient(s.Providers())
		for _, body := range []string{"", "payload"} {
			resp, err := c.Post("http://10.0.0.1/orders", "text/plain", strings.NewReader(body))
			require.NoError(s, err)
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(s, err)
			assert.Equal(s, "/orders"+body, string(b))
		}
	}, quiet(), simtest.Seeds(20), simtest.CheckDeterminism())
}
