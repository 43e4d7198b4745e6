package rpc

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// errTree draws an error that wraps others, by %w or errors.Join, each
// with a message of its own; all lists every error in it.
func errTree(t *rapid.T, depth int, all *[]error) error {
	name := fmt.Sprintf("e%d", len(*all))
	var err error
	switch kind := rapid.IntRange(0, 2).Draw(t, "kind"); {
	case depth == 0 || kind == 0:
		err = errors.New(name)
	case kind == 1:
		err = fmt.Errorf("%s: %w", name, errTree(t, depth-1, all))
	default:
		n := rapid.IntRange(1, 3).Draw(t, "joined")
		es := make([]error, n)
		for i := range es {
			es[i] = errTree(t, depth-1, all)
		}
		err = errors.Join(es...)
	}
	*all = append(*all, err)
	return err
}

// decoded is the RemoteError a payload from appendRemoteErr carries.
func decoded(payload []byte) *RemoteError {
	return remoteErr("a:1", Token{}, payload[0], payload[1:])
}

func TestAnErrorThatWrapsNothingTravelsAsItsMessage(t *testing.T) {
	payload := appendRemoteErr(nil, errors.New("no such account"), DefaultMaxPayload)
	assert.Equal(t, append([]byte{kindRemoteErr}, "no such account"...), payload)
	assert.Equal(t, &RemoteError{Addr: "a:1", Msg: "no such account"}, decoded(payload))
}

func TestRemoteErrorMatchesWhatErrorsIsMatches(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var all []error
		err := errTree(t, 4, &all)
		re := decoded(appendRemoteErr(nil, err, DefaultMaxPayload))
		require.Equal(t, err.Error(), re.Msg)
		for _, e := range all {
			if len(all) <= maxWrapped {
				assert.True(t, re.Is(e), "%q wraps %q", err, e)
			}
		}
		assert.False(t, re.Is(errors.New("elsewhere")))
	})
}

func TestRemoteErrorBodyThatDoesNotParseIsTheMessage(t *testing.T) {
	for _, body := range []string{"no such account", "\x05abc", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"} {
		re := remoteErr("a:1", Token{}, kindRemoteErrWrapping, []byte(body))
		assert.Equal(t, body, re.Msg)
		assert.Empty(t, re.wrapped)
	}
}

func TestAChainOfWrappingsIsBoundedOnTheWireAndKeepsItsRoot(t *testing.T) {
	root := errors.New("root")
	err := root
	for i := range 200 {
		err = fmt.Errorf("layer %d with some words to make it long: %w", i, err)
	}
	body := appendRemoteErr(nil, err, DefaultMaxPayload)
	re := decoded(body)
	assert.True(t, re.Is(root), "the error a client tests for is the innermost")
	assert.NotEmpty(t, re.wrapped)
	assert.LessOrEqual(t, strings.Count(re.wrapped, "\x00"), maxWrapped)
	assert.Less(t, len(body), len(err.Error())+maxWrappedBytes+maxWrapped*8)
}

// A wrapped message too long for what is left of the bound is left out,
// and the shorter ones after it still travel.
func TestALongWrappedMessageLeavesRoomForTheSentinelsAfterIt(t *testing.T) {
	sentinel := errors.New("not the leader")
	err := errors.Join(errors.New(strings.Repeat("x", 70<<10)), sentinel)
	re := decoded(appendRemoteErr(nil, err, DefaultMaxPayload))
	assert.True(t, re.Is(sentinel))
	small := decoded(appendRemoteErr(nil, fmt.Errorf("%s: %w", strings.Repeat("y", 2000), sentinel), 1000))
	assert.True(t, small.Is(sentinel), "a small frame's bound leaves out the long wrapper, not its sentinel")
}

// A RemoteError stays comparable, and a typed nil target, whose Error
// method may panic, matches nothing.
func TestRemoteErrorIsComparableAndSafeWithATypedNil(t *testing.T) {
	re := decoded(appendRemoteErr(nil, fmt.Errorf("open: %w", fs.ErrNotExist), DefaultMaxPayload))
	same := *re
	assert.True(t, *re == same)
	assert.False(t, re.Is((*fs.PathError)(nil)))
	assert.True(t, re.Is(fs.ErrNotExist))
}
