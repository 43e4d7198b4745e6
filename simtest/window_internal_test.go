package simtest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/internal/sim"
)

// TestWindowKeepsWhatLedToTheFailure feeds the window timelines of tasks
// that start, log and end in any order, and checks what a report shows:
// entries in the timeline's order, every entry but tasks' lives among the
// last before the failure, the failure's own, and every entry counted,
// shown or not.
func TestWindowKeepsWhatLedToTheFailure(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		before := rapid.IntRange(1, 12).Draw(t, "before")
		w := newWindow(before)
		tasks := []string{"a", "b", "c", "d"}
		n := rapid.IntRange(1, 300).Draw(t, "entries")
		failAt := rapid.IntRange(0, n-1).Draw(t, "failure")
		var regular []time.Duration // the times of the entries other than lives, up to the failure's
		for i := range n {
			e := sim.Entry{At: time.Duration(i), Task: rapid.SampledFrom(tasks).Draw(t, "task")}
			switch kind := rapid.IntRange(0, 4).Draw(t, "kind"); {
			case i == failAt:
				e.Name, e.Msg = "error", "error: the failure"
				w.fail(e.At, nil)
			case kind < 2:
				e.Name = []string{"task started", "task finished"}[kind]
				e.Msg = e.Name
			case kind == 2 && rapid.Bool().Draw(t, "kill"):
				e.Name, e.Msg = "task killed", "task killed"
			default:
				e.Name, e.Msg = "log", fmt.Sprintf("log %d", i)
			}
			if !isLife(e) && i <= failAt {
				regular = append(regular, e.At)
			}
			w.add(e, noFault)
		}
		require.True(t, w.frozen)
		shown, upTo := w.shown()
		at := func(es []sim.Entry) []time.Duration {
			var ts []time.Duration
			for _, e := range es {
				ts = append(ts, e.At)
			}
			return ts
		}
		require.True(t, slices.IsSorted(at(shown)), "in the timeline's order")
		require.Equal(t, time.Duration(failAt), shown[upTo-1].At, "the failure's own entry ends the part before it")
		for _, ts := range regular[max(len(regular)-before, 0):] {
			require.Contains(t, at(shown[:upTo]), ts, "the last %d entries other than lives before the failure", before)
		}
		if gone := len(regular) - before - 1; gone >= 0 {
			require.Greater(t, shown[0].At, regular[gone], "nothing from before the window's first entry but the lives just before it")
		}
		if len(w.kept) > before+windowAfter {
			for _, e := range shown {
				require.True(t, !isLife(e) || slices.ContainsFunc(shown, func(o sim.Entry) bool { return !isLife(o) && o.Task == e.Task }),
					"a crowded window shows a task's lives only beside its other entries: %v", e)
			}
		}
		earlier, later := w.seen-upTo, w.total-w.seen-(len(shown)-upTo)
		require.GreaterOrEqual(t, earlier, 0)
		require.GreaterOrEqual(t, later, 0)
		require.Equal(t, n, earlier+later+len(shown), "every entry is shown or counted")
	})
}

// Tasks of one name that start by the dozen, one of which logs, pin no
// more than maxLives lives at its entry: a flood of them does not push
// out the start of another task whose entry is in the window.
func TestAFloodOfLivesOfOneNameKeepsOtherTasksStarts(t *testing.T) {
	w := newWindow(64)
	at := time.Duration(0)
	add := func(task, name, msg string) {
		at++
		w.add(sim.Entry{At: at, Task: task, Name: name, Msg: msg}, noFault)
	}
	add("checker", "task started", "task started")
	add("checker", "checking", "checking")
	for round := range 5 {
		for range 40 {
			add("worker", "task started", "task started")
		}
		add("worker", "log", fmt.Sprintf("round %d", round))
	}
	w.fail(at, nil)
	add("driver", "failed", "failed: panic")
	shown, _ := w.shown()
	var lines []string
	for _, e := range shown {
		lines = append(lines, e.Task+" "+e.Msg)
	}
	require.Contains(t, lines, "checker task started")
	require.Contains(t, lines, "checker checking")
}

// TestAReportsTimelineLinesUp checks that the messages of a report's
// timeline start in one column past 10 s and past a task named with
// spaces, and that the fold's "..." line sits in the time column.
func TestAReportsTimelineLinesUp(t *testing.T) {
	entries := []sim.Entry{
		{At: 900 * time.Millisecond, Task: "driver", Name: "log", Msg: "log: start"},
		{At: 11775237191, Task: "workload incr", Name: "log", Msg: "log: incr"},
		{At: 11775237191, Name: "phase", Msg: "phase: check"},
		{At: 12 * time.Second, Task: "a", Name: "log", Msg: "log: x"},
		{At: 12 * time.Second, Task: "b", Name: "log", Msg: "log: y"},
		{At: 13 * time.Second, Task: "a", Name: "log", Msg: "log: x"},
		{At: 13 * time.Second, Task: "b", Name: "log", Msg: "log: y"},
	}
	var b strings.Builder
	writeFolded(&b, entries, columnsOf(entries))
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	require.Len(t, lines, 6, b.String())
	column := func(line, msg string) int { return strings.Index(line, msg) }
	// The time column ends at the same place on every line.
	for _, l := range lines[:5] {
		require.Equal(t, column(lines[1], "s  "), column(l, "s  "), "the times end in one column:\n%s", b.String())
	}
	require.Equal(t, column(lines[5], "...  ")+2, column(lines[1], "s  "), "the fold's line is in the time column:\n%s", b.String())
	tasked := []int{0, 1, 3, 4}
	for _, i := range tasked {
		require.Equal(t, column(lines[1], "log: "), column(lines[i], "log: "), "the messages start in one column:\n%s", b.String())
	}
}

// Lines that differ only in the ports their dials took fold as one, as a
// client that dials again and again logs a line a connection; a fold at
// one instant names no end time; a port that is no dial's stays apart.
func TestFoldedLinesIgnoreTheirDialsPorts(t *testing.T) {
	conn := func(at time.Duration, port int) sim.Entry {
		return sim.Entry{At: at, Task: "workload poller", Name: "net", Msg: fmt.Sprintf("net: connected 10.0.0.254:%d->gossip-2:8080", port)}
	}
	entries := []sim.Entry{conn(time.Second, 49468), conn(2*time.Second, 49469), conn(3*time.Second, 65535),
		{At: 4 * time.Second, Task: "a", Name: "log", Msg: "log: x"}, {At: 4 * time.Second, Task: "a", Name: "log", Msg: "log: x"},
		conn(5*time.Second, 8080), conn(6*time.Second, 8081)}
	var b strings.Builder
	writeFolded(&b, entries, columnsOf(entries))
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	require.Len(t, lines, 4, b.String())
	assert.Contains(t, lines[0], "10.0.0.254:49468->gossip-2:8080  (x 3, to 3s)", "the first line is shown, the rest counted")
	assert.True(t, strings.HasSuffix(lines[1], "log: x  (x 2)"), "one instant: no end time: %q", lines[1])
	assert.Contains(t, lines[2], ":8080->")
	assert.Contains(t, lines[3], ":8081->")
	for port, ephemeral := range map[int]bool{49151: false, 49152: true, 49999: true, 50000: true, 59999: true, 65535: true, 65536: false, 8080: false} {
		line := fmt.Sprintf("net: connected a:%d->b:7", port)
		assert.Equal(t, ephemeral, withoutEphemeralPorts(line) != line, "port %d", port)
	}
}
