package program_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/program"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// testProgram is the host's test program, built once per test binary.
var testProgram struct {
	once sync.Once
	prog *program.Program
	err  error
}

func build(t testing.TB) *program.Program {
	t.Helper()
	testProgram.once.Do(func() {
		testProgram.prog, testProgram.err = program.Build(context.Background(), program.Config{
			Dir:     "../internal/wasmhost",
			Package: "./testdata/guest",
		})
	})
	require.NoError(t, testProgram.err)
	return testProgram.prog
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testProgram.prog != nil {
		testProgram.prog.Close()
	}
	os.Exit(code)
}

func TestArgsAndEnvPerProcess(t *testing.T) {
	prog := build(t)
	var out testenv.Buffer
	proc := prog.Process(
		program.Args(func(self providers.Peer) []string { return []string{"hello"} }),
		program.Env(func(self providers.Peer) []string { return []string{"WHO=" + self.Name} }),
		program.Output(&out, nil),
	)
	simtest.Run(t, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "p", Count: 2, New: func() simtest.Process { return proc }})
		s.Sleep(1e9)
	}, simtest.Seeds(1))
	got := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.ElementsMatch(t, []string{"hello from p-0", "hello from p-1"}, got)
}

func TestBadConfig(t *testing.T) {
	_, err := program.Build(context.Background(), program.Config{})
	require.ErrorContains(t, err, "Config.Package is empty")
	_, err = program.Build(context.Background(), program.Config{Package: "./x", Tags: []string{"a b"}})
	require.ErrorContains(t, err, `build tag "a b" is not one word`)
}

func TestBadEnvIsAnError(t *testing.T) {
	prog := build(t)
	proc := prog.Process(program.Env(func(providers.Peer) []string { return []string{"NOEQUALS"} }))
	err := proc.Run(context.Background(), providers.Providers{})
	require.ErrorContains(t, err, `environment entry "NOEQUALS" of guest is not KEY=value`)
}

// A Process of the nil *Program that a failed Build returns, and a nil
// Option, are named as what they are, not met as a nil dereference in
// the process's task.
func TestNilProgramAndOptionAreNamed(t *testing.T) {
	var prog *program.Program
	err := prog.Process().Run(context.Background(), providers.Providers{})
	require.EqualError(t, err, "program: the Process is of a nil *Program; check the error that program.Build returned")
	require.PanicsWithValue(t, "program: Program.Process: a nil Option was passed; remove it", func() {
		prog.Process(program.SpinBudget(10), nil)
	})
}

// A program built from "." is named after its directory, as go build
// names its binary, not ".".
func TestProgramNamedAfterItsDirectory(t *testing.T) {
	build(t) // the same package, so its build comes from the cache
	prog, err := program.Build(context.Background(), program.Config{Dir: "../internal/wasmhost/testdata/guest", Package: "."})
	require.NoError(t, err)
	defer prog.Close()
	proc := prog.Process(program.Env(func(providers.Peer) []string { return []string{"NOEQUALS"} }))
	err = proc.Run(context.Background(), providers.Providers{})
	require.EqualError(t, err, `program: environment entry "NOEQUALS" of guest is not KEY=value; give each variable as "KEY=value"`)
}

// A process of a closed program fails with a sentence that says so, not
// with the compiled code's own words.
func TestRunAfterCloseIsAnError(t *testing.T) {
	build(t)
	prog, err := program.Build(context.Background(), program.Config{Dir: "../internal/wasmhost", Package: "./testdata/guest"})
	require.NoError(t, err)
	require.NoError(t, prog.Close())
	proc := prog.Process()
	var got error
	simtest.Run(t, func(s *simtest.S) {
		h := s.Go("run", func(ctx context.Context) error {
			got = proc.Run(ctx, s.Providers())
			return nil
		})
		require.NoError(s, h.Join(s.Context()))
	}, simtest.Seeds(1))
	require.EqualError(t, got, "program guest: wasmhost: the program was closed before this process started; close it once no test runs it any more (in TestMain, after m.Run)")
}

func TestProgramThatExitsShowsStderr(t *testing.T) {
	prog := build(t)
	proc := prog.Process(program.Args(func(providers.Peer) []string { return []string{"exit"} }))
	var got error
	simtest.Run(t, func(s *simtest.S) {
		h := s.Go("run", func(ctx context.Context) error {
			got = proc.Run(ctx, s.Providers())
			return nil
		})
		require.NoError(s, h.Join(s.Context()))
	}, simtest.Seeds(1))
	var exit *program.ExitError
	require.ErrorAs(t, got, &exit)
	require.Equal(t, uint32(2), exit.Code)
	require.ErrorContains(t, got, "cannot start: no configuration")
}

// A malformed GOMEMLIMIT ends the program as it ends a native binary:
// exit status 2, with the runtime's message naming the variable and where
// its form is documented.
func TestMalformedGOMEMLIMITNamesTheVariable(t *testing.T) {
	prog := build(t)
	proc := prog.Process(
		program.Args(func(providers.Peer) []string { return []string{"hello"} }),
		program.Env(func(providers.Peer) []string { return []string{"GOMEMLIMIT=abc"} }),
	)
	var got error
	simtest.Run(t, func(s *simtest.S) {
		h := s.Go("run", func(ctx context.Context) error {
			got = proc.Run(ctx, s.Providers())
			return nil
		})
		require.NoError(s, h.Join(s.Context()))
	}, simtest.Seeds(1))
	var exit *program.ExitError
	require.ErrorAs(t, got, &exit, "%v", got)
	require.Equal(t, uint32(2), exit.Code)
	require.ErrorContains(t, got, "program guest: the program exited with status 2; its standard error ends:\nGOMEMLIMIT=abc\nfatal error: malformed GOMEMLIMIT; see `go doc runtime/debug.SetMemoryLimit`\n")
}

// initDraws boots two processes of prog that print what the test
// program's package initializer drew, and returns the two values.
func initDraws(t *testing.T, prog *program.Program) []string {
	t.Helper()
	var out testenv.Buffer
	proc := prog.Process(program.Args(func(providers.Peer) []string { return []string{"random"} }), program.Output(&out, nil))
	simtest.Run(t, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "p", Count: 2, New: func() simtest.Process { return proc }})
		s.Sleep(1e9)
	}, simtest.Seeds(1))
	var draws []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		_, draw, ok := strings.Cut(line, " init ")
		require.True(t, ok, line)
		draws = append(draws, draw)
	}
	require.Len(t, draws, 2)
	return draws
}

// Package initializers run once, from which processes start; ColdStart
// runs them in each process, with its own draws.
func TestColdStart(t *testing.T) {
	draws := initDraws(t, build(t))
	require.Equal(t, draws[0], draws[1], "processes started from one snapshot share what the initializers drew")

	cold, err := program.Build(context.Background(), program.Config{Dir: "../internal/wasmhost", Package: "./testdata/guest", ColdStart: true})
	require.NoError(t, err)
	defer cold.Close()
	draws = initDraws(t, cold)
	require.NotEqual(t, draws[0], draws[1], "each cold start draws its own")
}

// A program that exits with a status RestartOnExit names goes down as a
// crash and boots again, as a supervisor restarts a service that exits
// on a fault; its exit is not a failure of the seed.
func TestRestartOnExitRestartsTheProgram(t *testing.T) {
	prog := build(t)
	proc := prog.Process(
		program.Args(func(providers.Peer) []string { return []string{"exitfirst=1", "forever"} }),
		program.RestartOnExit(1),
	)
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		c := s.Boot(simtest.Processes{Name: "svc", New: func() simtest.Process { return proc }})
		s.Sleep(2 * time.Second)
		assert.True(s, c.Alive("svc-0"), "back after the restart")
		assert.Equal(s, 2, c.Boots("svc-0"))
		assert.Equal(s, 1, tl.CountIn("svc-0", "up again"))
		s.Fatal("the end") // for the timeline in the report
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1))
	require.Equal(t, 1, res.Failed)
	assert.Contains(t, res.Report, "restart: svc-0 asked to be restarted: program guest exited with status 1, which RestartOnExit restarts; its standard error ends:\n")
	assert.Contains(t, res.Report, "giving up: disk fault")
	assert.Contains(t, res.Report, "boot: svc-0 (after a crash)")
	assert.NotContains(t, res.Report, "process svc-0 failed", "a restart asked for is not a failure")
	assert.Contains(t, res.Report, "the end")
}

// A program that exits on every boot with a status that RestartOnExit
// names is left down after the restart limit, and the failure speaks of a
// program, at the test's Boot line: its exit, the last line of its
// standard error, and that a restart does not mend what it starts from,
// not the advice for a native Run (return providers.ErrRestart, retry
// inside Run) nor program.go's line.
func TestRestartOnExitOnEveryBootIsToldAsAProgram(t *testing.T) {
	prog := build(t)
	proc := prog.Process(
		program.Args(func(providers.Peer) []string { return []string{"exit"} }), // status 2, every boot
		program.RestartOnExit(2),
	)
	var boot string
	res := simtest.Simulate(func(s *simtest.S) {
		_, _, l, _ := runtime.Caller(0)
		boot = fmt.Sprintf("program_external_test.go:%d", l+2)
		s.Boot(simtest.Processes{Name: "svc", New: func() simtest.Process { return proc }})
		s.Sleep(time.Minute)
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1), simtest.KeepFailures(false))
	require.Equal(t, 1, res.Failed)
	assert.Contains(t, res.Report, boot+": process svc-0 asked to be restarted 6 times within 10s, the last time with "+
		`"program guest exited with status 2, which RestartOnExit restarts; its standard error ends: … cannot start: no configuration"`+
		"; on every boot it exits with a status that program.RestartOnExit restarts, so it stays down.")
	assert.NotContains(t, res.Report, "program.go:")
	assert.NotContains(t, res.Report, "inside Run")
}

// A status that RestartOnExit does not name still fails the seed, with a
// message that says how to have it restarted, and one that is no failure
// status is a configuration error that says so.
func TestRestartOnExitOnlyTheStatusesItNames(t *testing.T) {
	prog := build(t)
	for _, tc := range []struct {
		name     string
		statuses []int
		want     string
	}{
		{"other status", []int{3}, "process svc-0 failed: program guest (not restarted: if a supervisor restarts it on this status in production, program.RestartOnExit(1) does so here; " +
			"a client's exit stands, for a restart would run its work again): the program exited with status 1"},
		{"none", nil, "process svc-0 failed: program guest (not restarted: if a supervisor restarts it on this status in production, program.RestartOnExit(1) does so here; " +
			"a client's exit stands, for a restart would run its work again): the program exited with status 1"},
		{"status 0", []int{1, 0}, "program: RestartOnExit status 0 of guest is not a failure status; give statuses from 1 to 255"},
		{"status 256", []int{256}, "program: RestartOnExit status 256 of guest is not a failure status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proc := prog.Process(
				program.Args(func(providers.Peer) []string { return []string{"exitfirst=1", "forever"} }),
				program.RestartOnExit(tc.statuses...),
			)
			res := simtest.Simulate(func(s *simtest.S) {
				s.Boot(simtest.Processes{Name: "svc", New: func() simtest.Process { return proc }})
				s.Sleep(2 * time.Second)
			}, simtest.Chaos(chaos.Off()), simtest.Seeds(1))
			require.Equal(t, 1, res.Failed)
			assert.Contains(t, res.Report, tc.want)
			assert.NotContains(t, res.Report, "asked to be restarted")
		})
	}
}

// A seed that a program holds up (here a deadlock: every task waits, the
// test's on a server that never returns) lists the program's tasks by
// process, one line, not the host's stack of each: the program's own
// goroutines do not show in it. The test's own tasks keep their stacks.
func TestAProgramThatHangsIsListedWithoutTheHostsStacks(t *testing.T) {
	prog := build(t)
	proc := prog.Process(program.Args(func(providers.Peer) []string { return []string{"serve", ":7000"} }))
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "srv", Count: 2, New: func() simtest.Process { return proc }})
		_ = c.Join(s.Context(), "srv-0") // a server never returns
	}, simtest.Seeds(1), simtest.TimeBudget(time.Minute))
	require.Len(t, res.Failing(), 1)
	report := res.Report
	assert.Regexp(t, `tasks inside programs, whose goroutines run as WebAssembly and show no stack here \(docs/programs.md, "A program that hangs"\):
\s+srv-0: "srv-0/[^"]+" waits on [^\n]+
\s+srv-1: "srv-1/[^"]+" waits on `, report)
	assert.NotContains(t, report, "wazero", "no frame of the host's")
	assert.NotContains(t, report, "internal/wasmhost")
	assert.Regexp(t, `task "driver" waits on [^\n]+:\n\s+github.com/moonpool-go/moonpool/program_test\.TestAProgramThatHangs`, report, "the test's own tasks keep their stacks")
}

// A client in a Protected group that exits with a failure status fails
// the seed, and the message does not urge RestartOnExit on it as the fix:
// a restart would run the client's work again and hide its failure.
func TestAClientsExitIsNotUrgedToRestart(t *testing.T) {
	prog := build(t)
	proc := prog.Process(program.Args(func(providers.Peer) []string { return []string{"exitfirst=1"} }))
	var joined error
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "client", Protected: true, New: func() simtest.Process { return proc }})
		joined = c.Join(s.Context(), "client-0")
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1), simtest.KeepFailures(false))
	require.Equal(t, 1, res.Failed)
	require.Error(t, joined)
	assert.Contains(t, res.Report, "process client-0 failed: program guest (not restarted: if a supervisor restarts it on this status in production, "+
		"program.RestartOnExit(1) does so here; a client's exit stands, for a restart would run its work again)")
	assert.NotContains(t, res.Report, "as a supervisor would")
}
