package simtest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// checkFails is a workload, with value receivers, whose Check fails.
type checkFails struct{}

func (checkFails) Setup(context.Context, providers.Providers) error { return nil }
func (checkFails) Run(context.Context, providers.Providers) error   { return nil }
func (checkFails) Check(context.Context, providers.Providers) error {
	return errors.New("key a: want 1, got 2")
}

// runFails is a workload, with pointer receivers, whose Run fails.
type runFails struct{}

func (*runFails) Setup(context.Context, providers.Providers) error { return nil }
func (*runFails) Run(context.Context, providers.Providers) error {
	return errors.New("lost a write")
}
func (*runFails) Check(context.Context, providers.Providers) error { return nil }

// setupFails is a workload whose Setup fails.
type setupFails struct{ checkFails }

func (setupFails) Setup(context.Context, providers.Providers) error {
	return errors.New("no leader")
}

// embedsCheck has its Check from the workload it embeds.
type embedsCheck struct {
	checkFails
	n int
}

// embedsWorkload has its methods from the Workload it holds.
type embedsWorkload struct{ simtest.Workload }

// declared is the site of a declaration in this file, as reports print
// lines: "workload_site_external_test.go:N".
func declared(t *testing.T, decl string) string {
	t.Helper()
	const file = "workload_site_external_test.go"
	src, err := os.ReadFile(file)
	require.NoError(t, err)
	for i, line := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), decl) {
			return fmt.Sprintf("%s:%d", file, i+1)
		}
	}
	t.Fatalf("%s does not declare %q", file, decl)
	return ""
}

// An error a workload returns is reported at the line of the method that
// returned it, as a process's is at its Run, not at the line of
// Cluster.Run, which says nothing new: whatever the receiver, through the
// names s.Workloads gives, and through an embedded type or interface.
func TestAWorkloadsErrorIsReportedAtItsMethod(t *testing.T) {
	check := declared(t, "func (checkFails) Check(")
	run := declared(t, "func (*runFails) Run(")
	runLine := declared(t, "s.Boot().Run(")
	for _, c := range []struct {
		name string
		w    func(s *simtest.S) simtest.Workload
		want string
	}{
		{"Check, a value", func(*simtest.S) simtest.Workload { return checkFails{} }, "1s driver: " + check + ": workload workload-0: check: key a: want 1, got 2"},
		{"Check, through a pointer", func(*simtest.S) simtest.Workload { return &checkFails{} }, check + ": workload workload-0: check"},
		{"Check, embedded", func(*simtest.S) simtest.Workload { return embedsCheck{} }, check + ": workload workload-0: check"},
		{"Check, embedded by pointer", func(*simtest.S) simtest.Workload { return &embedsCheck{} }, check + ": workload workload-0: check"},
		{"Check, in an embedded interface", func(*simtest.S) simtest.Workload { return embedsWorkload{checkFails{}} }, check + ": workload workload-0: check"},
		{"Run, a pointer receiver", func(*simtest.S) simtest.Workload { return &runFails{} }, "0s workload workload-0: " + run + ": workload workload-0: run: lost a write"},
		{"Setup", func(*simtest.S) simtest.Workload { return setupFails{} }, declared(t, "func (setupFails) Setup(") + ": workload workload-0: setup: no leader"},
		{"Check, named by Workloads", func(s *simtest.S) simtest.Workload {
			return s.Workloads(simtest.Workloads{Name: "w", New: func(simtest.WorkloadID) simtest.Workload { return checkFails{} }})[0]
		}, check + ": workload w-0: check"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runIn("TestWorkloadSite", func(r *recorder) {
				simtest.Run(r, func(s *simtest.S) {
					s.Boot().Run(simtest.Phases{Chaos: time.Second, Settle: time.Second}, c.w(s))
				}, simtest.Seeds(1), simtest.KeepFailures(false), simtest.Chaos(chaos.Off()))
			})
			require.True(t, r.failed)
			assert.Contains(t, r.output(), c.want)
			assert.NotContains(t, r.output(), runLine+":", "not the line of Cluster.Run")
		})
	}
}
