package simtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

func TestAttritionEveryNanosecondFailsAsNoProgress(t *testing.T) {
	r := runIn("TestStall", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			var boots []string
			c := s.Boot(simtest.Processes{Name: "node", Count: 3, New: func() simtest.Process { return diary{&boots} }})
			c.Run(simtest.Phases{Chaos: time.Minute}, stuck{})
		}, simtest.Seeds(1), simtest.Chaos(func() chaos.Config {
			cfg := chaos.Off()
			cfg.Attrition = chaos.DefaultAttrition()
			cfg.Attrition.Interval = chaos.Range{Min: time.Nanosecond, Max: time.Nanosecond}
			return cfg
		}()), simtest.MaxStepsPerInstant(1_000_000)) // a tenth of the default, for a quick test
	})
	assert.True(t, r.failed)
	// Whether the interval is refused up front or the run is caught by
	// the stall guard, the report names attrition.
	assert.Regexp(t, `(?i)attrition`, r.output())
}

func TestNanosecondSleepLoopFailsAsNoProgress(t *testing.T) {
	r := runIn("TestStall", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Go("ticker", func(ctx context.Context) error {
				p := s.Providers()
				for {
					if err := p.Time.Sleep(ctx, time.Nanosecond); err != nil {
						return err
					}
				}
			})
			s.Sleep(time.Minute)
		}, simtest.Seeds(1), simtest.MaxStepsPerInstant(1_000_000))
	})
	assert.True(t, r.failed)
	out := r.output()
	assert.Contains(t, out, `no progress at`)
	assert.Contains(t, out, `in task "ticker"`)
	assert.Contains(t, out, `were task "ticker"`)
	assert.Contains(t, out, "MaxStepsPerInstant")
}
