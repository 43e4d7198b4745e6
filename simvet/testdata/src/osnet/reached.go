package osnet

import (
	. "os"
	"path/filepath"
)

func DotImport() ([]byte, error) {
	return ReadFile("state") // want `os.ReadFile reaches the real operating system`
}

// Paths are fine: filepath's pure functions touch nothing.
func Paths() string {
	return filepath.Join(filepath.Dir("a/b"), filepath.Base("c"))
}
