package wasmhost_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

// The timers with which the host wakes a program at each timed wait that
// also waits on a socket (here the client's idle connection, while it
// ticks) start tasks that the timeline does not show: their two lines a
// wake say nothing of the program, and crowded what the program did out
// of a failure report's window.
func TestHostTimersStayOutOfTheTimeline(t *testing.T) {
	timers, replies := helloTimeline(t, func(e simtest.Entry) bool { return strings.HasSuffix(e.Task, "/AfterFunc") })
	assert.Empty(t, timers, "the host's timers' tasks")
	assert.Equal(t, []string{"http 200 hello sim"}, replies, "the program's own lines stay")
}

// The host's helper tasks of a program's sockets (sock-dial, sock-read,
// sock-write, sock-accept) start and end without a timeline line each:
// those said nothing of the program, and a program that dials often
// filled a failure report's window with them. What they do (the network's
// "connected") is told still.
func TestSocketHelperTasksStayOutOfTheTimeline(t *testing.T) {
	helpers, replies := helloTimeline(t, func(e simtest.Entry) bool {
		return strings.Contains(e.Task, "/sock-") && strings.HasPrefix(e.Msg, "task ")
	})
	assert.Empty(t, helpers, "the sockets' helper tasks")
	assert.Equal(t, []string{"http 200 hello sim"}, replies, "the program's own lines stay")
}

// helloTimeline runs a program that serves HTTP and one that gets a page
// from it and waits on, for five simulated seconds, and returns the
// timeline's lines that pick chooses and the client's replies.
func helloTimeline(t *testing.T, pick func(simtest.Entry) bool) (picked, replies []string) {
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		tl := s.Timeline()
		s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return process(mod, nil, "http=:8080") }})
		s.Boot(simtest.Processes{Name: "cli", New: func() simtest.Process {
			return process(mod, nil, "httpget=http://srv-0:8080/hello?name=sim", "forever")
		}})
		s.Sleep(5 * time.Second)
		for _, e := range tl.Snapshot() {
			if pick(e) {
				picked = append(picked, e.String())
			}
			if e.Process == "cli-0" && strings.HasPrefix(e.Msg, "http ") {
				replies = append(replies, e.Msg)
			}
		}
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	return picked, replies
}
