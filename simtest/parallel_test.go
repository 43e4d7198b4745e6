package simtest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStuckAt(t *testing.T) {
	stack := "time.Sleep(0x4a817c800)\n\t/usr/local/go/src/runtime/time.go:363 +0x165\n" +
		"example.com/heavy_test.TestStuck.func2(0x71ce6890b08)\n\t/work/trial/extra_test.go:130 +0x2c\n"
	assert.Equal(t, "time.Sleep, time.go:363, called from example.com/heavy_test.TestStuck.func2, extra_test.go:130", stuckAt(stack))
	assert.Equal(t, "example.com/heavy_test.TestStuck.func2, extra_test.go:130", stuckAt(strings.SplitN(stack, "\n", 3)[2]))
	assert.Equal(t, "net/http.(*Transport).getConn, transport.go:1552", stuckAt("net/http.(*Transport).getConn(0x1)\n\t/go/src/net/http/transport.go:1552 +0x1\n"))
	assert.Empty(t, stuckAt(""))
}
