// Package production wires the real providers and never runs in a
// simulation.
//
//simvet:production the main package of a deployment, on providers.Real
package production

import "time"

func Now() time.Time { return time.Now() }

func Spawn() { go Spawn() }
