// Package ex stands for this module's examples, which are checked.
package ex

import "time"

func Now() time.Time { return time.Now() }
