package kv

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMessagesRoundTrip(t *testing.T) {
	e := entry{Key: "k1", Tag: Tag{Time: 7, ID: 0xfeedface}, Value: "v"}
	for _, q := range []request{
		{Op: opQuery, ID: 1, Entry: entry{Key: "k1"}},
		{Op: opStore, ID: 2, Entry: e},
		{Op: opDump, ID: 3},
		// Varints of one byte, of two, and of the most there are.
		{Op: opQuery, ID: 127, Entry: entry{Key: "k1"}},
		{Op: opQuery, ID: 128, Entry: entry{Key: strings.Repeat("k", MaxKey)}},
		{Op: opStore, ID: math.MaxUint64, Entry: entry{Key: "k1", Tag: Tag{Time: 300, ID: 1}, Value: strings.Repeat("v", 200)}},
	} {
		var got request
		require.NoError(t, got.decode(q.appendTo(nil)))
		assert.Equal(t, q, got)
	}
	for _, r := range []reply{
		{Op: opQuery, ID: 1, Found: true, Entry: entry{Tag: e.Tag, Value: e.Value}},
		{Op: opQuery, ID: 1},
		{Op: opStore, ID: 2},
		{Op: opStore, ID: 2, Status: statusFailed},
		{Op: opDump, ID: 3, Entries: []entry{e, {Key: "k2", Value: ""}}},
		{Op: opDump, ID: 3, Status: statusRecovering},
	} {
		var got reply
		require.NoError(t, got.decode(r.appendTo(nil)))
		assert.Equal(t, r, got)
	}
}

func TestDecodeRefusesGarbage(t *testing.T) {
	q := request{Op: opStore, ID: 2, Entry: entry{Key: "k", Value: "v"}}
	b := q.appendTo(nil)
	for n := range len(b) {
		var got request
		assert.ErrorIs(t, got.decode(b[:n]), errCorrupt, "cut at %d", n)
	}
	var got request
	assert.ErrorIs(t, got.decode(append(b, 0)), errCorrupt, "a trailing byte")
	assert.ErrorIs(t, got.decode([]byte{99, 1}), errCorrupt, "an unknown operation")
}

func TestFramesCatchEveryFlippedBit(t *testing.T) {
	frame := appendFrame(nil, []byte("a small body"))
	body, err := readFrame(bufio.NewReader(bytes.NewReader(frame)), nil)
	require.NoError(t, err)
	assert.Equal(t, "a small body", string(body))
	for bit := range 8 * len(frame) {
		bad := bytes.Clone(frame)
		bad[bit/8] ^= 1 << (bit % 8)
		_, err := readFrame(bufio.NewReader(bytes.NewReader(bad)), nil)
		assert.Error(t, err, "bit %d", bit)
		_, _, err = nextFrame(bad)
		assert.Error(t, err, "bit %d", bit)
	}
}

// A length that claims more than arrives costs what arrives, not what
// it claims: a flipped bit in a length must not allocate megabytes.
func TestFrameWithALongLengthAllocatesWhatArrives(t *testing.T) {
	frame := binary.BigEndian.AppendUint32(nil, maxFrame)
	frame = binary.BigEndian.AppendUint32(frame, 0)
	frame = append(frame, make([]byte, 1000)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := readFrame(bufio.NewReader(bytes.NewReader(frame)), nil)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(2*bigFrame), "bytes allocated for a frame that claims %d bytes and brings 1000", maxFrame)

	// A long frame that does arrive is read whole.
	body := bytes.Repeat([]byte("0123456789"), 3*bigFrame/10)
	got, err := readFrame(bufio.NewReader(bytes.NewReader(appendFrame(nil, body))), make([]byte, 0, 10))
	require.NoError(t, err)
	assert.Equal(t, body, got)
}

func TestParseLog(t *testing.T) {
	header := appendFrame(nil, append([]byte{recHeader}, logMagic...))
	rec := func(e entry) []byte { return appendFrame(nil, appendEntry([]byte{recEntry}, e)) }
	a1 := entry{Key: "a", Tag: Tag{Time: 1}, Value: "1"}
	a2 := entry{Key: "a", Tag: Tag{Time: 2}, Value: "2"}
	b1 := entry{Key: "b", Tag: Tag{Time: 1}, Value: "x"}
	log := bytes.Join([][]byte{header, rec(a2), rec(b1), rec(a1)}, nil)

	entries, n, good := parseLog(log)
	assert.True(t, good)
	assert.Equal(t, 4, n)
	assert.Equal(t, map[string]entry{"a": a2, "b": b1}, entries, "the greatest tag wins, wherever it is")

	entries, _, good = parseLog(log[:len(log)-3])
	assert.False(t, good, "a torn last record is damage")
	assert.Equal(t, map[string]entry{"a": a2, "b": b1}, entries)

	mid := bytes.Clone(log)
	mid[len(header)+frameHeader+2] ^= 0x10
	entries, _, good = parseLog(mid)
	assert.False(t, good, "a flipped bit in the middle is damage")
	assert.Empty(t, entries, "only the good prefix counts")

	a3 := entry{Key: "a", Tag: Tag{Time: 3}, Value: "3"}
	later := bytes.Join([][]byte{header, rec(a1), rec(b1), rec(a3)}, nil)
	entries, _, good = parseLog(later)
	assert.True(t, good)
	clear(later) // the entries own their strings, not the log's bytes
	assert.Equal(t, map[string]entry{"a": a3, "b": b1}, entries, "a later, greater tag replaces the key's entry")

	_, _, good = parseLog(rec(a1))
	assert.False(t, good, "a log starts with its header")
	_, _, good = parseLog(nil)
	assert.False(t, good, "an empty file is not a log")
}

func TestTagsOrderByTimeThenID(t *testing.T) {
	assert.True(t, Tag{Time: 1, ID: 9}.Less(Tag{Time: 2, ID: 0}))
	assert.True(t, Tag{Time: 2, ID: 1}.Less(Tag{Time: 2, ID: 2}))
	assert.False(t, Tag{Time: 2, ID: 2}.Less(Tag{Time: 2, ID: 2}))
}

// Decoded through interners, messages read the same; a key or a value
// read again is the string read before, with nothing allocated for it.
func TestInternedDecodingReadsTheSame(t *testing.T) {
	var keys, values interner
	for i := range 80 { // more distinct keys than an interner has slots
		e := entry{Key: fmt.Sprintf("k%d", i%40), Tag: Tag{Time: uint64(i), ID: 9}, Value: fmt.Sprintf("c1-%d", i%3)}
		b := (&request{Op: opStore, ID: uint64(i), Entry: e}).appendTo(nil)
		var plain, interned request
		require.NoError(t, plain.decode(b))
		require.NoError(t, interned.decodeWith(b, &keys, &values))
		assert.Equal(t, plain, interned)

		rb := (&reply{Op: opQuery, ID: uint64(i), Found: true, Entry: entry{Tag: e.Tag, Value: e.Value}}).appendTo(nil)
		var rp, ri reply
		require.NoError(t, rp.decode(rb))
		require.NoError(t, ri.decodeWith(rb, nil, &values))
		assert.Equal(t, rp, ri)
	}
	b := (&request{Op: opQuery, ID: 1, Entry: entry{Key: "k3"}}).appendTo(nil)
	var q request
	require.NoError(t, q.decodeWith(b, &keys, nil))
	assert.Zero(t, testing.AllocsPerRun(10, func() { _ = q.decodeWith(b, &keys, nil) }))
}

// A frame's length is summed as crc32.Checksum sums it.
func TestLengthSumIsCastagnoli(t *testing.T) {
	var b [4]byte
	for _, n := range []uint32{0, 1, 0x7f, 0x80, 0xff, 0x100, 0xfeedface, math.MaxUint32} {
		binary.BigEndian.PutUint32(b[:], n)
		require.Equal(t, crc32.Checksum(b[:], castagnoli), lengthSum(b[:]), "length %#x", n)
	}
	for i := range uint32(100_000) { // a spread of lengths, up to the largest
		n := i * 42_950
		binary.BigEndian.PutUint32(b[:], n)
		require.Equal(t, crc32.Checksum(b[:], castagnoli), lengthSum(b[:]), "length %#x", n)
	}
}
