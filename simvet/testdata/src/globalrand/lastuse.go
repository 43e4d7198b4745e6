package globalrand

import (
	"math/rand"

	"github.com/moonpool-go/moonpool/providers"
)

// The fix rewrites the file's last use of math/rand and drops the import.
func Pick(p providers.Providers, n int) int {
	return rand.Intn(n) // want `math/rand.Intn draws`
}
