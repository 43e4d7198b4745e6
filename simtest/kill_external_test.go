package simtest_test

import (
	"context"
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// A process killed alone leaves its machine running: what it wrote and
// never synced is on its disk when it boots again, as the page cache
// keeps it. A crash, which takes the machine of a process alone on one,
// loses it; either way the process boots told it crashed.
func TestKillKeepsUnsyncedWrites(t *testing.T) {
	for _, tc := range []struct {
		how  simtest.Reboot
		want string
	}{
		{simtest.Kill, "written, never synced"},
		{simtest.Crash, ""},
	} {
		t.Run(tc.how.String(), func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				type boot struct {
					how  providers.Boot
					data string
				}
				var boots []boot
				c := s.Boot(simtest.Processes{Name: "w", New: func() simtest.Process {
					return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
						b, err := fs.ReadFile(providers.StorageFS(p.Storage), "data")
						if err != nil && !errors.Is(err, fs.ErrNotExist) {
							return err
						}
						boots = append(boots, boot{p.Cluster.Boot(), string(b)})
						if p.Cluster.Boot() == providers.FirstBoot {
							f, err := p.Storage.Create("data")
							if err != nil {
								return err
							}
							if _, err := f.Write([]byte("written, never synced")); err != nil {
								return err
							}
						}
						return p.Time.Sleep(ctx, time.Hour)
					})
				}})
				s.Sleep(time.Second)
				c.Reboot("w-0", tc.how)
				s.Sleep(time.Second)
				require.Len(s, boots, 2)
				assert.Equal(s, providers.AfterCrash, boots[1].how)
				assert.Equal(s, tc.want, boots[1].data)
			}, simtest.Seeds(5), simtest.KeepFailures(false), simtest.Chaos(chaos.Off()))
		})
	}
}
