package sim

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/providers"
)

// unavailable answers every request 503 at once, without a network.
type unavailable struct{}

func (unavailable) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusServiceUnavailable, Body: io.NopCloser(strings.NewReader(""))}, nil
}

// retrying is a retrying HTTP client, a dependency of this module, whose
// wait between attempts is its own: a select on a real timer.
func retrying(wait time.Duration) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   &http.Client{Transport: unavailable{}},
		RetryWaitMin: wait,
		RetryWaitMax: wait,
		RetryMax:     1,
		CheckRetry:   retryablehttp.DefaultRetryPolicy,
		Backoff:      retryablehttp.DefaultBackoff,
	}
}

func get(ctx context.Context, c *retryablehttp.Client) {
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, "http://backend/", nil)
	if err == nil {
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
	}
}

// A task blocked in a library's own code is told as the library's wait,
// with the ways out for a library, not as a raw channel of the user's
// that simvet would have found.
func TestTheWatchdogTellsALibrarysOwnWait(t *testing.T) {
	before := goleak.IgnoreCurrent()
	release, cancel := context.WithCancel(context.Background())
	res := New(Config{Seed: 9}).RunGuarded(func(ctx context.Context, p providers.Providers) error {
		h := p.Task.Go(ctx, "caller", func(context.Context) error {
			get(release, retrying(time.Hour)) // returns when release is cancelled
			return nil
		})
		return h.Join(ctx)
	}, 300*time.Millisecond)
	cancel()
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Escaped, f.Kind)
	assert.Contains(t, f.Msg, "blocked outside the simulation (select), in github.com/hashicorp/go-retryablehttp, a dependency outside the test's module. If it is the library's own wait")
	assert.Contains(t, f.Msg, `docs/production.md, "Libraries that keep their own time"`)
	assert.Contains(t, f.Msg, "simvet finds such a call where your code makes it only for the libraries its wallclock and osnet rules know")
	assert.NotContains(t, f.Msg, "find this before running")
	assert.Contains(t, f.Msg, "If it waits on something of yours (goroutines started with go, as an errgroup's Wait does", "a dependency may wait on the user's own goroutines")
	assert.Contains(t, f.Stack, "retryablehttp.(*Client).Do")
	goleak.VerifyNone(t, before)
}

// Blocks in a library's own code that add up past the watchdog are told
// the same way.
func TestBlocksInALibraryAddUpAsTheLibrarysOwnWait(t *testing.T) {
	res := New(Config{Seed: 9}).RunGuarded(func(ctx context.Context, p providers.Providers) error {
		h := p.Task.Go(ctx, "caller", func(ctx context.Context) error {
			c := retrying(300 * time.Millisecond)
			for range 20 { // 6s of real time in all, in blocks of 300ms
				get(context.Background(), c)
				if err := p.Time.Sleep(ctx, time.Second); err != nil {
					return err
				}
			}
			return nil
		})
		return h.Join(ctx)
	}, time.Second)
	var f *Failure
	require.ErrorAs(t, res.Err, &f, "20 blocks of 300ms against a watchdog of 1s")
	assert.Equal(t, Escaped, f.Kind)
	assert.Contains(t, f.Msg, "of real time in all, in ")
	assert.Contains(t, f.Msg, `waited (select) in github.com/hashicorp/go-retryablehttp.(*Client).Do`)
	assert.Contains(t, f.Msg, "This block is in github.com/hashicorp/go-retryablehttp, a dependency outside the test's module")
	assert.Contains(t, f.Msg, `"Libraries that keep their own time"`)
	assert.NotContains(t, f.Msg, "find this before running")
}

func TestLibraryWait(t *testing.T) {
	const app = "example.com/app"
	frames := func(fns ...string) string {
		var b strings.Builder
		for _, fn := range fns {
			b.WriteString(fn + "\n\t/src/file.go:1\n")
		}
		return b.String()
	}
	for _, tc := range []struct {
		name, stack, main, want string
	}{
		{"a dependency's frame on top", frames("github.com/hashicorp/go-retryablehttp.(*Client).Do", app+".get"), app, "github.com/hashicorp/go-retryablehttp"},
		{"under the standard library's", frames("time.Sleep", "golang.org/x/time/rate.(*Limiter).wait", app+".get"), app, "golang.org/x/time/rate"},
		{"a generic function", frames("github.com/cenkalti/backoff/v5.Retry[...]", app+".get"), app, "github.com/cenkalti/backoff/v5"},
		{"an escaped dot", frames("gopkg.in/yaml%2ev3.Unmarshal", app+".load"), app, "gopkg.in/yaml.v3"},
		{"the user's own code", frames("sync.(*Mutex).Lock", app+"/store.(*S).put.func1", "github.com/hashicorp/go-retryablehttp.(*Client).Do"), app, ""},
		{"the user's external test", frames(app + "_test.TestX.func1"), app, ""},
		{"a main module without a dot", frames("sync.(*WaitGroup).Wait", "timely.get"), "timely", ""},
		{"this module's adapters", frames("github.com/moonpool-go/moonpool/simhttp.(*conn).read", app+".get"), app, ""},
		{"the standard library alone", frames("net.(*Resolver).lookupIPAddr", "main.main"), app, ""},
		{"no main module known", frames("github.com/hashicorp/go-retryablehttp.(*Client).Do"), "", ""},
	} {
		assert.Equal(t, tc.want, libraryWait(tc.stack, tc.main), tc.name)
	}
}
