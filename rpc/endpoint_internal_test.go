package rpc

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

type lockServer struct{}

func (*lockServer) acquire(context.Context, string) (bool, error) { return true, nil }

func release(context.Context, string) (bool, error) { return true, nil }

// A handler's tasks are named by its token, and by its function when it
// has a name of its own.
func TestHandlerName(t *testing.T) {
	tok := WellKnown(1)
	assert.Equal(t, "rpc handler wellknown/1 (*lockServer).acquire", handlerName(tok, Handler[string, bool]((&lockServer{}).acquire)))
	assert.Equal(t, "rpc handler wellknown/1 release", handlerName(tok, Handler[string, bool](release)))
	assert.Equal(t, "rpc handler wellknown/1", handlerName(tok, Handler[string, bool](func(context.Context, string) (bool, error) { return false, nil })))
}
