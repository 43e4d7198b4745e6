package program_test

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/program"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// A program pauses as a process of providers does: its goroutines, and
// its host's readers of its sockets, are tasks of its process, so it
// answers nothing while paused, and answers what came meanwhile as soon
// as it resumes.
func TestAPausedProgramAnswersOnceResumed(t *testing.T) {
	prog := build(t)
	proc := prog.Process(program.Args(func(providers.Peer) []string { return []string{"serve=:7000"} }))
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return proc }})
		s.Sleep(time.Second)
		ask := asker(s, "srv-0:7000")
		require.Equal(s, "HELLO\n", ask("hello"))
		start := s.Now()
		h := s.Go("pause", func(ctx context.Context) error {
			c.Pause("srv-0", 3*time.Second)
			return nil
		})
		s.Sleep(time.Millisecond)
		assert.Equal(s, "AGAIN\n", ask("again"))
		assert.GreaterOrEqual(s, s.Now().Sub(start), 3*time.Second, "the program answers once it resumes")
		require.NoError(s, h.Join(s.Context()))
	}, simtest.Seeds(2), simtest.Chaos(chaos.Off()))
	require.True(t, res.OK(), res.Report)
}

// A program's own clock reads (the Go runtime's, its code's) are where a
// pause after a clock read begins; the host's reads on its behalf are
// not: the answer comes once the pause is over, and the pause began as
// the program went on with the line it read.
func TestAProgramPausesAfterItsClockRead(t *testing.T) {
	prog := build(t)
	proc := prog.Process(program.Args(func(providers.Peer) []string { return []string{"serve=:7000"} }))
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return proc }})
		s.Sleep(time.Second)
		ask := asker(s, "srv-0:7000")
		require.Equal(s, "HELLO\n", ask("hello"))
		h := s.Go("pause", func(ctx context.Context) error {
			c.PauseAfterClockRead("srv-0", 3*time.Second)
			return nil
		})
		s.Sleep(time.Millisecond)
		start := s.Now()
		assert.Equal(s, "AGAIN\n", ask("again"), "a program that reads no clock answers at once")
		got := ask("now?") // the program reads its clock to answer
		answered := s.Now()
		ns, err := strconv.ParseInt(strings.TrimSpace(got), 10, 64)
		require.NoError(s, err)
		read := time.Unix(0, ns)
		assert.GreaterOrEqual(s, answered.Sub(start), 3*time.Second, "the program answers once it resumes")
		assert.Less(s, read.Sub(start), time.Second, "with the time it read before the pause")
		require.NoError(s, h.Join(s.Context()))
		pauses := 0
		for _, e := range tl.Snapshot() {
			if e.Name == "pause" {
				pauses++
				assert.Contains(s, e.Msg, "just after srv-0", "the program's read began it")
			}
		}
		assert.Equal(s, 1, pauses)
	}, simtest.Seeds(2), simtest.Chaos(chaos.Off()))
	require.True(t, res.OK(), res.Report)
}

// asker dials addr from the driver and returns a function that sends a
// line there and returns the line it gets back.
func asker(s *simtest.S, addr string) func(line string) string {
	conn, err := s.Providers().Network.Dial(s.Context(), addr)
	require.NoError(s, err)
	r := bufio.NewReader(conn)
	return func(line string) string {
		_, err := fmt.Fprintln(conn, line)
		require.NoError(s, err)
		got, err := r.ReadString('\n')
		require.NoError(s, err)
		return got
	}
}
