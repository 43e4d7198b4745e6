package chaos_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

// step and stepMoved are one function twice, but for a comment that puts
// stepMoved's buggify sites a line lower: an edit that changes no
// behaviour.
func step(ctx context.Context, s *simtest.S) {
	if chaos.Buggify(ctx) {
		s.Sleep(time.Millisecond)
	}
	s.Sleep(chaos.Knob(ctx, time.Second, time.Minute))
}

func stepMoved(ctx context.Context, s *simtest.S) {
	// A comment added above the sites.
	if chaos.Buggify(ctx) {
		s.Sleep(time.Millisecond)
	}
	s.Sleep(chaos.Knob(ctx, time.Second, time.Minute))
}

// bodyOf runs f over tasks that start and sleep, and keeps the buggify
// events of the timeline in fired.
func bodyOf(f func(context.Context, *simtest.S), fired *[]string) func(*simtest.S) {
	return func(s *simtest.S) {
		events := s.Watch("buggify site on", "buggify fired")
		for range 20 {
			f(s.Context(), s)
		}
		for _, e := range events.Next() {
			*fired = append(*fired, e.Msg)
		}
	}
}

// A buggify site is keyed in the trace by the order in which the run
// first reached it, not by its line: moving the sites keeps every seed's
// trace, and the timeline still names each site by file and line.
func TestBuggifyTracesDoNotMoveWithLines(t *testing.T) {
	var fired, firedMoved []string
	opts := []simtest.Option{simtest.Seeds(50), simtest.BaseSeed(7), simtest.Chaos(chaos.Defaults())}
	a := simtest.Simulate(bodyOf(step, &fired), opts...)
	b := simtest.Simulate(bodyOf(stepMoved, &firedMoved), opts...)
	require.True(t, a.OK(), a.Report)
	require.True(t, b.OK(), b.Report)
	traces := func(r simtest.Result) []uint64 {
		var out []uint64
		for _, s := range r.PerSeed {
			out = append(out, s.Trace)
		}
		return out
	}
	if diff := cmp.Diff(traces(a), traces(b)); diff != "" {
		t.Errorf("moving the buggify sites a line down changed the traces (-before +after):\n%s", diff)
	}
	require.NotEmpty(t, fired, "no site fired: the test shows nothing")
	require.Len(t, firedMoved, len(fired))
	for i := range fired {
		assert.Contains(t, fired[i], "buggify_trace_external_test.go:")
		assert.NotEqual(t, fired[i], firedMoved[i], "the timeline names the site's own line")
		name, _, _ := strings.Cut(fired[i], ": ")
		assert.True(t, strings.HasPrefix(firedMoved[i], name))
	}
}
