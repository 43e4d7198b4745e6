// Package plural writes counts of things in the report's English: "1
// seed", "3 seeds".
package plural

import "strconv"

// Count says n things, each called one: one itself after a count of 1,
// one with an s after any other.
func Count(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + one + "s"
}
