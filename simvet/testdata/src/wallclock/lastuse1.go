package wallclock

import "time"

import "github.com/moonpool-go/moonpool/providers"

// The same through an import declaration of its own.
func Started(p providers.Providers) bool {
	return !time.Now().IsZero() // want `time.Now reads`
}
