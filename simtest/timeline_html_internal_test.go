package simtest

import (
	"testing"

	"github.com/stretchr/testify/assert"

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
