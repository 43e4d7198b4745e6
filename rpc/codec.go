package rpc

import (
	"encoding"
	"encoding/json"
)

// Codec turns messages into bytes and back. A transport uses one codec for
// every message ([Config.Codec]); both ends must agree.
type Codec interface {
	// Append appends the encoding of v to dst.
	Append(dst []byte, v any) ([]byte, error)
	// Decode decodes data into v, a pointer.
	Decode(data []byte, v any) error
}

// JSONCodec is the default codec: encoding/json, except for a value that
// implements encoding.BinaryAppender (encoded with AppendBinary) and a
// pointer that implements encoding.BinaryUnmarshaler (decoded with
// UnmarshalBinary), which skip reflection and allocation. Its Append takes
// a message or a pointer to one; the transport hands it pointers, so that
// a message is not boxed (allocated) to reach it.
//
// JSON is the default for being everywhere: every Go type encodes without
// a schema, a generated file or registration, and a frame reads in a
// packet capture. It is slower than a binary codec (see the benchmarks of
// this package); a hot message type implements encoding.BinaryAppender
// and encoding.BinaryUnmarshaler and takes the fast path, with the same
// codec on both ends. encoding/gob, the other codec of the standard
// library, sends its type descriptions again in every message when each
// message is its own stream, which makes it both larger and slower here.
type JSONCodec struct{}

// Append implements Codec.
func (JSONCodec) Append(dst []byte, v any) ([]byte, error) {
	if a, ok := v.(encoding.BinaryAppender); ok {
		return a.AppendBinary(dst)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// Decode implements Codec.
func (JSONCodec) Decode(data []byte, v any) error {
	if u, ok := v.(encoding.BinaryUnmarshaler); ok {
		return u.UnmarshalBinary(data)
	}
	return json.Unmarshal(data, v)
}

// msgBox holds a message for the codec, where a pointer to it stays the
// same from one message to the next (see box), and, when the codec is a
// JSONCodec and the message has them, its binary methods, which that
// codec would take: found once per box, not at every message.
type msgBox[T any] struct {
	v   T
	app encoding.BinaryAppender
	unm encoding.BinaryUnmarshaler
}

// init finds b's binary methods, for t's codec.
func (b *msgBox[T]) init(t *Transport) {
	if t.json {
		b.app, _ = any(&b.v).(encoding.BinaryAppender)
		b.unm, _ = any(&b.v).(encoding.BinaryUnmarshaler)
	}
}

// appendTo appends b's message, encoded with t's codec, to dst.
func (b *msgBox[T]) appendTo(t *Transport, dst []byte) ([]byte, error) {
	if b.app != nil {
		return b.app.AppendBinary(dst)
	}
	// A JSONCodec is handed the message's pointer, which costs no
	// allocation to box it; any other codec the message, as Codec
	// documents.
	if t.json {
		return t.cfg.Codec.Append(dst, &b.v)
	}
	return t.cfg.Codec.Append(dst, b.v)
}

// decode decodes data into b's message with t's codec.
func (b *msgBox[T]) decode(t *Transport, data []byte) error {
	if b.unm != nil {
		return b.unm.UnmarshalBinary(data)
	}
	return t.cfg.Codec.Decode(data, &b.v)
}

// An appender appends a message encoded with a transport's codec: a
// msgBox.
type appender interface {
	appendTo(t *Transport, dst []byte) ([]byte, error)
}
