// Package failing holds a test that fails, for the go test -exec test.
package failing

import "testing"

func TestFails(t *testing.T) { t.Fatal("fails on purpose") }
