package chaos_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

// here returns the file:line of its call, as the timeline names a site.
func here() string {
	_, file, line, _ := runtime.Caller(1)
	return fmt.Sprintf("%s:%d", filepath.Base(file), line)
}

// viaInlined calls Buggify from a function small enough to be inlined
// into its callers: the site is its line, whoever calls it.
func viaInlined(ctx context.Context) (bool, string) { return chaos.Buggify(ctx), here() }

// The timeline names every buggify site by the file and line of its call,
// however the call is made, and each call site is a site of its own: two
// calls on one line of a loop are one site, the same function called from
// two places is one site (its own line).
func TestBuggifySitesAreTheirCallLines(t *testing.T) {
	cfg := chaos.Defaults()
	cfg.Buggify = chaos.BuggifyConfig{Enabled: true, ActivationProb: 1, FireProb: 1}
	var want []string
	var got []string
	simtest.Run(t, func(s *simtest.S) {
		ctx := s.Context()
		events := s.Watch("buggify site on")
		want = want[:0]
		reach := func(fired bool, at string) {
			require.True(t, fired)
			want = append(want, at)
		}
		for range 2 { // each site once in the timeline, however often reached
			reach(chaos.Buggify(ctx), here())
			reach(chaos.BuggifyWithProb(ctx, 1), here())
			reach(chaos.Knob(ctx, false, true), here())
			reach(chaos.KnobRange(ctx, 0, 1, 1) == 1, here())
			b := chaos.Buggify
			reach(b(ctx), here())
			func() { reach(chaos.Buggify(ctx), here()) }()
			reach(viaInlined(ctx))
			reach(viaInlined(ctx))
			k := chaos.Knob[time.Duration] // through the compiler's wrapper
			reach(k(ctx, 0, 1) == 1, here())
			done := s.Go("task", func(ctx context.Context) error {
				reach(chaos.Buggify(ctx), here())
				return nil
			})
			require.NoError(t, done.Join(ctx))
		}
		got = got[:0]
		for _, e := range events.Next() {
			got = append(got, strings.TrimPrefix(e.Msg, "buggify site on: "))
		}
	}, simtest.Seeds(3), simtest.Chaos(cfg))
	var sites []string
	seen := map[string]bool{}
	for _, at := range want {
		if !seen[at] {
			seen[at] = true
			sites = append(sites, at)
		}
	}
	require.Len(t, sites, 9, "the call lines of the loop's nine sites (viaInlined's is one)")
	if diff := cmp.Diff(sites, got); diff != "" {
		t.Errorf("the timeline's buggify sites (-call lines +timeline):\n%s", diff)
	}
}
