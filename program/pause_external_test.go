package program_test

import (
	"bufio"
	"context"
	"fmt"
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
		conn, err := s.Providers().Network.Dial(s.Context(), "srv-0:7000")
		require.NoError(s, err)
		r := bufio.NewReader(conn)
		ask := func(line string) string {
			_, err := fmt.Fprintln(conn, line)
			require.NoError(s, err)
			got, err := r.ReadString('\n')
			require.NoError(s, err)
			return got
		}
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
