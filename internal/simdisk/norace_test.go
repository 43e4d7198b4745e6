//go:build !race

package simdisk

const raceEnabled = false
