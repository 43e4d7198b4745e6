//go:build wasip1

package scope

import "time"

func Sleep() { time.Sleep(time.Second) }
