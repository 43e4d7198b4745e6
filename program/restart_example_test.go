package program_test

import (
	"github.com/moonpool-go/moonpool/program"
)

// A service that calls log.Fatal (status 1) when an fsync fails, counting
// on systemd's Restart=on-failure to start it again: its exit with status
// 1 is a crash and a boot, and any other non-zero status still fails the
// seed. Status 2, a panic's, is left out: it is a bug to report.
func ExampleRestartOnExit() {
	var prog *program.Program // from program.Build

	_ = prog.Process(program.RestartOnExit(1))
}
