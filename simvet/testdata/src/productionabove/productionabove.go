//simvet:production the directive above the doc comment, a blank line between, as gofmt leaves it

// Package productionabove opts out with its directive above its doc
// comment rather than at its end.
package productionabove

import "time"

func Now() time.Time { return time.Now() }

func Spawn() { go Spawn() }
