package etcdraft

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
)

// The wire: every message, between nodes or from a client, is a frame of
// a 4-byte length and its bytes. Raft's messages are protobuf; a client's
// requests and the replies are JSON.

// maxFrame bounds a frame: a longer length is a corrupt stream.
const maxFrame = 4 << 20

func writeFrame(w io.Writer, b []byte) error {
	buf := make([]byte, 4+len(b))
	binary.LittleEndian.PutUint32(buf, uint32(len(b)))
	copy(buf[4:], b)
	_, err := w.Write(buf)
	return err
}

func readFrame(r io.Reader) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint32(h[:])
	if n > maxFrame {
		return nil, fmt.Errorf("a frame of %d bytes, above the bound of %d: the stream is corrupt", n, maxFrame)
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return b, err
}

// A request is a client's operation: a put, or a get.
type request struct {
	ID    string `json:"id"` // unique per operation: "client/sequence"
	Put   bool   `json:"put,omitempty"`
	Key   string `json:"key"`
	Value string `json:"value,omitempty"`
}

// A reply answers a request. NotLeader means it had no effect; Leader then
// names the leader the node knows, 0 for none.
type reply struct {
	OK        bool   `json:"ok,omitempty"`
	Value     string `json:"value,omitempty"`
	Found     bool   `json:"found,omitempty"`
	NotLeader bool   `json:"not_leader,omitempty"`
	Leader    uint64 `json:"leader,omitempty"`
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeFrame(w, b)
}

func readJSON(r io.Reader, v any) error {
	b, err := readFrame(r)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
