package simtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// waitForStop is a process that waits to be stopped.
func waitForStop() simtest.Process {
	return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
		for p.Time.Sleep(ctx, time.Hour) == nil {
		}
		return nil
	})
}

// sleepingWorkload is a workload whose Run sleeps for its length.
type sleepingWorkload time.Duration

func (sleepingWorkload) Setup(context.Context, providers.Providers) error { return nil }
func (w sleepingWorkload) Run(ctx context.Context, p providers.Providers) error {
	return p.Time.Sleep(ctx, time.Duration(w))
}
func (sleepingWorkload) Check(context.Context, providers.Providers) error { return nil }

func TestAttritionEveryNanosecondIsRejectedBeforeAnySeed(t *testing.T) {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.Interval = chaos.Range{Min: time.Nanosecond, Max: time.Nanosecond}
	ran := false
	r := runIn("TestAttritionEveryNanosecond", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			ran = true
			s.Boot(simtest.Processes{Name: "p", Count: 2, New: waitForStop}).Run(simtest.Phases{Chaos: time.Second, Settle: time.Second}, sleepingWorkload(time.Second))
		}, simtest.Seeds(1), simtest.KeepFailures(false), simtest.Chaos(cfg))
	})
	assert.True(t, r.fatal)
	assert.False(t, ran, "no seed runs")
	assert.Contains(t, r.output(), "simtest.Chaos: chaos: Attrition.Interval.Min is 1ns")
}
