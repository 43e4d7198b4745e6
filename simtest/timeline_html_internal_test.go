package simtest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest/timelinehtml"
)

// A pause's band runs to its resume; one whose line says more after its
// length ("..., just after T read its clock") is read as well; one that
// neither resumes nor goes down before the seed ends runs its length, cut
// at the seed's end; marks on other lanes and other lines change nothing.
func TestPauseSpans(t *testing.T) {
	reboot := func(at int64, lane, msg string) timelinehtml.Event {
		return timelinehtml.Event{AtNS: at, Lane: lane, Kind: timelinehtml.KindReboot, Msg: msg}
	}
	events := []timelinehtml.Event{
		reboot(1e9, "a-0", "pause: a-0 paused for 2s, just after a-0/loop read its clock"),
		reboot(15e8, "b-0", "reboot: b-0 (crash)"),
		{AtNS: 2e9, Lane: "a-0", Kind: timelinehtml.KindLog, Msg: "pause: a-0 paused for a while"},
		reboot(3e9, "a-0", "resume: a-0 resumed after 2s"),
		reboot(4e9, "b-0", "pause: b-0 paused for 1s"),
		reboot(9e9, "a-0", "pause: a-0 paused for 10s"),
	}
	assert.Equal(t, []timelinehtml.Span{
		{StartNS: 1e9, EndNS: 3e9, Lane: "a-0", Kind: timelinehtml.KindReboot, Msg: "pause: a-0 paused for 2s, just after a-0/loop read its clock"},
		{StartNS: 4e9, EndNS: 5e9, Lane: "b-0", Kind: timelinehtml.KindReboot, Msg: "pause: b-0 paused for 1s"},
		{StartNS: 9e9, EndNS: 12e9, Lane: "a-0", Kind: timelinehtml.KindReboot, Msg: "pause: a-0 paused for 10s"},
	}, pauseSpans(events, 12e9))
	assert.Empty(t, pauseSpans(nil, 1e9))
}

// Lanes sort with numbers compared as numbers, and a machine's lane (its
// disk's) comes right after its first process's, so that each process
// has its machine beside it; a lane that is neither sorts by its name.
func TestLaneOrder(t *testing.T) {
	machines := map[string]string{
		"node-0": "dc0-z0-m0", "node-1": "dc0-z1-m0", "node-2": "dc0-z0-m1",
		"node-10": "dc0-z1-m3", "node-11": "dc0-z0-m4",
		"kv-1": "m-shared", "kv-0": "m-shared", // two processes on one machine
	}
	lanes := []string{"node-10", "dc0-z0-m0", "node-2", "client-10", "dc0-z0-m4", "node-1", "dc0-z1-m3",
		"kv-1", "m-shared", "kv-0", "client-9", "node-11", "node-0", "dc0-z1-m0", "dc0-z0-m1"}
	assert.Equal(t, []string{
		"client-9", "client-10",
		"kv-0", "m-shared", "kv-1",
		"node-0", "dc0-z0-m0", "node-1", "dc0-z1-m0", "node-2", "dc0-z0-m1",
		"node-10", "dc0-z1-m3", "node-11", "dc0-z0-m4",
	}, laneOrder(lanes, machines))
	assert.Equal(t, []string{"a", "b-2", "b-10"}, laneOrder([]string{"b-10", "a", "b-2"}, nil), "no topology")
}

func TestNaturalCompare(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"node-2", "node-10", -1},
		{"node-10", "node-2", 1},
		{"node-10", "node-10", 0},
		{"dc0-z0-m9", "dc0-z0-m10", -1},
		{"dc1-z0-m0", "dc0-z9-m9", 1},
		{"a1b2", "a1b10", -1},
		{"n1", "n01", -1}, // equal numbers: the fewer zeros first
		{"node", "node-0", -1},
		{"node-0", "nodes", -1},
		{"99999999999999999999999", "100000000000000000000000", -1}, // past int64
		{"", "", 0},
	} {
		assert.Equal(t, c.want, naturalCompare(c.a, c.b), "%q vs %q", c.a, c.b)
	}
}

// Past the budget, a page keeps the messages nearest the first failure
// (those in flight at it first), in their order, and says how many it left
// out and where to find them; a seed that did not fail keeps those nearest
// its end.
func TestTrimMessages(t *testing.T) {
	msgs := func(n int) []timelinehtml.Message {
		var out []timelinehtml.Message
		for i := range n {
			out = append(out, timelinehtml.Message{SentNS: int64(i) * 10, ArrivedNS: int64(i)*10 + 15, From: "a", To: "b", What: fmt.Sprint(i)})
		}
		return out
	}
	sent := func(ms []timelinehtml.Message) []int64 {
		var out []int64
		for _, m := range ms {
			out = append(out, m.SentNS)
		}
		return out
	}

	d := &timelinehtml.Doc{EndNS: 1000, Messages: msgs(100),
		Events: []timelinehtml.Event{{AtNS: 300, Kind: timelinehtml.KindLog}, {AtNS: 502, Kind: timelinehtml.KindFailure}, {AtNS: 800, Kind: timelinehtml.KindFailure}}}
	trimMessages(d, 4)
	// In flight at 502: sent at 490 and 500; then 480 (arrived 495) and 510.
	assert.Equal(t, []int64{480, 490, 500, 510}, sent(d.Messages))
	assert.Equal(t, 96, d.MessagesLeftOut)
	require.Len(t, d.Notes, 1)
	assert.Equal(t, "4 of 100 messages are drawn, those nearest the first failure (sent from 480ns on); the other 96 are left out, and the JSON lines of -simtimeline do not carry messages.", d.Notes[0])

	d = &timelinehtml.Doc{EndNS: 1000, Messages: msgs(100)}
	trimMessages(d, 3)
	assert.Equal(t, []int64{970, 980, 990}, sent(d.Messages), "no failure: the end")
	assert.Equal(t, 97, d.MessagesLeftOut)

	d = &timelinehtml.Doc{EndNS: 1000, Messages: msgs(5)}
	trimMessages(d, 5)
	assert.True(t, slices.Equal(msgs(5), d.Messages), "within the budget, all")
	assert.Zero(t, d.MessagesLeftOut)
	assert.Empty(t, d.Notes)
}

// A long seed's disks do hundreds of thousands of operations: the page
// draws the budget's worth nearest the first failure, as it does
// messages, and says so.
func TestTrimDiskKeepsThoseNearestTheFailure(t *testing.T) {
	ops := func(n int) []timelinehtml.DiskOp {
		var out []timelinehtml.DiskOp
		for i := range n {
			out = append(out, timelinehtml.DiskOp{StartNS: int64(10 * i), EndNS: int64(10*i + 5), What: "write"})
		}
		return out
	}
	starts := func(ops []timelinehtml.DiskOp) []int64 {
		var out []int64
		for _, op := range ops {
			out = append(out, op.StartNS)
		}
		return out
	}
	d := &timelinehtml.Doc{EndNS: 1000, Disk: ops(100), Events: []timelinehtml.Event{{AtNS: 502, Kind: timelinehtml.KindFailure}}}
	trimDisk(d, 3)
	assert.Equal(t, []int64{490, 500, 510}, starts(d.Disk))
	assert.Equal(t, 97, d.DiskLeftOut)
	require.Len(t, d.Notes, 1)
	assert.Equal(t, "3 of 100 disk operations are drawn, those nearest the first failure (submitted from 490ns on); the other 97 are left out. -simtimeline=FILE on the replay line writes them as JSON lines, up to -simtimelinemax.", d.Notes[0])

	d = &timelinehtml.Doc{EndNS: 1000, Disk: ops(5)}
	trimDisk(d, 5)
	assert.Len(t, d.Disk, 5, "within the budget, all")
	assert.Zero(t, d.DiskLeftOut)
	assert.Empty(t, d.Notes)
}

// The network's manual faults are drawn as faults, its log lines as the
// network's: a slow link's start is a fault, its end is not.
func TestNetworkFaultsAreDrawnAsFaults(t *testing.T) {
	for msg, want := range map[string]timelinehtml.Kind{
		"net: clog a -> b for 1s":                timelinehtml.KindFault,
		"net: slow packet a -> b: 30ms":          timelinehtml.KindFault,
		"net: slow link a -> b: 2s more latency": timelinehtml.KindFault,
		"net: slow link a -> b ends":             timelinehtml.KindNet,
		"net: partition a | b":                   timelinehtml.KindFault,
		"net: connected a:49152->b:7":            timelinehtml.KindNet,
		"net: pair a <-> b: extra latency 3ms":   timelinehtml.KindNet,
	} {
		kind, _, _ := eventKind(engineEntry(msg))
		assert.Equal(t, want, kind, msg)
	}
}

// A partition's band runs on the lanes of its smaller side from its start
// to the heal; a random partition's to its own end; an isolation's on its
// host's lane; one that nothing heals to the seed's end. Hosts are drawn
// on their lanes.
func TestPartitionSpans(t *testing.T) {
	net := func(at int64, msg string) timelinehtml.Event {
		return timelinehtml.Event{AtNS: at, Lane: "driver", Kind: timelinehtml.KindFault, Msg: "net: " + msg}
	}
	events := []timelinehtml.Event{
		net(1e9, "partition {inventory-0} | {orders-0 client}"),
		net(2e9, "random partition {a b} -> {c} for 1s"),
		net(3e9, "random partition healed"),
		net(4e9, "heal"),
		net(5e9, "isolate 10.0.0.7"),
		net(6e9, "clog a -> b for 1s"),
	}
	lane := func(host string) string {
		if host == "10.0.0.7" {
			return "client-7"
		}
		return host
	}
	assert.Equal(t, []timelinehtml.Span{
		{StartNS: 2e9, EndNS: 3e9, Lane: "c", Kind: timelinehtml.KindFault, Msg: "net: random partition {a b} -> {c} for 1s"},
		{StartNS: 1e9, EndNS: 4e9, Lane: "inventory-0", Kind: timelinehtml.KindFault, Msg: "net: partition {inventory-0} | {orders-0 client}"},
		{StartNS: 5e9, EndNS: 9e9, Lane: "client-7", Kind: timelinehtml.KindFault, Msg: "net: isolate 10.0.0.7"},
	}, partitionSpans(events, 9e9, lane))
	assert.Empty(t, partitionSpans(nil, 1e9, lane))
}
