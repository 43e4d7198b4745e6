package simtest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/internal/sim"
)

// Lines that each repeat, interleaved (three clients redialling a server
// that is down), fold into one line each with its count; a line between
// them that does not repeat ends the run, and stays where it was.
func TestWindowFoldsInterleavedRepeats(t *testing.T) {
	var entries []sim.Entry
	at := time.Second
	add := func(task, msg string) {
		entries = append(entries, sim.Entry{At: at, Task: task, Msg: msg})
		at += 10 * time.Millisecond
	}
	refused := func(c string) {
		add(c+"/rpc peer lock-0:4500", "net: connect "+c+":49153 -> lock-0:4500 refused")
	}
	for _, c := range []string{"client-0", "client-1", "client-0", "client-2", "client-1", "client-0", "client-2", "client-1"} {
		refused(c)
	}
	add("driver", "the write that will be lost")
	refused("client-0")
	assert.Equal(t, []string{
		"1s client-0/rpc peer lock-0:4500 net: connect client-0:49153 -> lock-0:4500 refused (x 3, to 1.05s)",
		"1.01s client-1/rpc peer lock-0:4500 net: connect client-1:49153 -> lock-0:4500 refused (x 3, to 1.07s)",
		"1.03s client-2/rpc peer lock-0:4500 net: connect client-2:49153 -> lock-0:4500 refused (x 2, to 1.06s)",
		"... (the 3 lines above interleaved)",
		"1.08s driver the write that will be lost",
		"1.09s client-0/rpc peer lock-0:4500 net: connect client-0:49153 -> lock-0:4500 refused",
	}, foldedLines(entries))
}

// A line that does not repeat is never folded away, and a strict
// alternation stays a block, as before.
func TestWindowKeepsALineThatDoesNotRepeat(t *testing.T) {
	var entries []sim.Entry
	for i, msg := range []string{"a", "b", "a", "b", "a", "b", "once"} {
		entries = append(entries, sim.Entry{At: time.Duration(i) * time.Second, Task: "t", Msg: msg})
	}
	var b strings.Builder
	writeFolded(&b, entries, columnsOf(entries), nil)
	out := b.String()
	assert.Contains(t, out, "(the 2 lines above x 3, to 5s)")
	assert.Contains(t, out, "once")
	assert.NotContains(t, out, "interleaved")
}

// The network's refused connects that repeat one before them are left
// out wherever they stand, the first counting them: three clients
// redialling a server that is down, among the lines that matter.
func TestWindowLeavesOutRefusedConnectsAgain(t *testing.T) {
	var entries []sim.Entry
	at := time.Second
	add := func(e sim.Entry) {
		e.At = at
		entries = append(entries, e)
		at += 10 * time.Millisecond
	}
	refused := func(c string) {
		add(sim.Entry{Task: c + "/rpc peer lock-0:4500", Name: "net", Msg: "net: connect " + c + " -> lock-0:4500 refused"})
	}
	refused("client-0")
	refused("client-1")
	add(sim.Entry{Task: "lock-1/heartbeat", Msg: "taking over"})
	refused("client-0")
	add(sim.Entry{Task: "lock-1/rpc handler", Msg: "granted client=client-0"})
	refused("client-1")
	refused("client-0")
	add(sim.Entry{Task: "lock-1/rpc handler", Msg: "granted client=client-1"})
	assert.Equal(t, []string{
		"1s client-0/rpc peer lock-0:4500 net: connect client-0 -> lock-0:4500 refused (x 3, to 1.06s, the others left out)",
		"1.01s client-1/rpc peer lock-0:4500 net: connect client-1 -> lock-0:4500 refused (x 2, to 1.05s, the others left out)",
		"1.02s lock-1/heartbeat taking over",
		"1.04s lock-1/rpc handler granted client=client-0",
		"1.07s lock-1/rpc handler granted client=client-1",
	}, foldedLines(entries))
}

// foldedLines is what writeFolded writes of entries, a line each, its
// columns' padding made one space.
func foldedLines(entries []sim.Entry) []string {
	var b strings.Builder
	writeFolded(&b, entries, columnsOf(entries), nil)
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	for i := range lines {
		lines[i] = strings.Join(strings.Fields(lines[i]), " ")
	}
	return lines
}

// An interleaved fold within one instant gives no end, as the others do.
func TestWindowFoldWithinOneInstantGivesNoEnd(t *testing.T) {
	var entries []sim.Entry
	for _, task := range []string{"a", "b", "b", "a"} {
		entries = append(entries, sim.Entry{At: time.Second, Task: task, Msg: "retry"})
	}
	assert.Equal(t, []string{"1s a retry (x 2)", "1s b retry (x 2)", "... (the 2 lines above interleaved)"}, foldedLines(entries))
}

// One task's lines that each repeat, interleaved, stay as they came: they
// are in the order its code ran, the story a fold would hide (a server's
// grants c0, c1, c1, c0 shown as c0 then c1).
func TestWindowKeepsTheOrderOfOneTasksLines(t *testing.T) {
	var entries []sim.Entry
	for i, msg := range []string{"granted c0", "released c0", "granted c1", "released c1", "granted c1", "released c1", "granted c0", "released c0", "error: two holders"} {
		entries = append(entries, sim.Entry{At: time.Duration(i) * time.Second, Task: "lock-1/rpc handler", Msg: msg})
	}
	assert.Equal(t, []string{
		"0s lock-1/rpc handler granted c0",
		"1s lock-1/rpc handler released c0",
		"2s lock-1/rpc handler granted c1",
		"3s lock-1/rpc handler released c1",
		"... (the 2 lines above x 2, to 5s)",
		"6s lock-1/rpc handler granted c0",
		"7s lock-1/rpc handler released c0",
		"8s lock-1/rpc handler error: two holders",
	}, foldedLines(entries))
}
