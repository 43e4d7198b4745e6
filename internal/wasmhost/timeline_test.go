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
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		tl := s.Timeline()
		s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return process(mod, nil, "http=:8080") }})
		s.Boot(simtest.Processes{Name: "cli", New: func() simtest.Process {
			return process(mod, nil, "httpget=http://srv-0:8080/hello?name=sim", "forever")
		}})
		s.Sleep(5 * time.Second)
		var timers, replies []string
		for _, e := range tl.Snapshot() {
			if strings.HasSuffix(e.Task, "/AfterFunc") {
				timers = append(timers, e.String())
			}
			if e.Process == "cli-0" && strings.HasPrefix(e.Msg, "http ") {
				replies = append(replies, e.Msg)
			}
		}
		assert.Empty(s, timers, "the host's timers' tasks")
		assert.Equal(s, []string{"http 200 hello sim"}, replies, "the program's own lines stay")
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
}

// The host's helper tasks of a program's sockets (sock-dial, sock-read,
// sock-write, sock-accept) start and end without a timeline line each:
// those said nothing of the program, and a program that dials often
// filled a failure report's window with them. What they do (the network's
// "connected") is told still.
func TestSocketHelperTasksStayOutOfTheTimeline(t *testing.T) {
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		tl := s.Timeline()
		s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return process(mod, nil, "http=:8080") }})
		s.Boot(simtest.Processes{Name: "cli", New: func() simtest.Process {
			return process(mod, nil, "httpget=http://srv-0:8080/hello?name=sim", "forever")
		}})
		s.Sleep(5 * time.Second)
		var helpers, replies []string
		for _, e := range tl.Snapshot() {
			if strings.Contains(e.Task, "/sock-") && strings.HasPrefix(e.Msg, "task ") {
				helpers = append(helpers, e.String())
			}
			if e.Process == "cli-0" && strings.HasPrefix(e.Msg, "http ") {
				replies = append(replies, e.Msg)
			}
		}
		assert.Empty(s, helpers, "the sockets' helper tasks")
		assert.Equal(s, []string{"http 200 hello sim"}, replies, "the program's own lines stay")
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
}
