package globalrand

import (
	"errors"
	"fmt"
	"io"
	"log"
	"strings"
)

type conn struct{ id int }

// An address differs between processes: in a value, or written to a
// writer, it differs on a replay.
func Describe(w io.Writer, c *conn) (string, error) {
	s := fmt.Sprintf("conn %p", c)     // want `globalrand: %p formats a pointer's address, which the allocator chooses and no seed replays`
	fmt.Fprintf(w, "opened %-#12p", c) // want `%p formats a pointer's address`
	var b strings.Builder
	fmt.Fprintf(&b, "%p", c) // want `%p formats a pointer's address`
	if c.id < 0 {
		return "", fmt.Errorf("conn %[1]p: id %d", c, c.id) // want `%p formats a pointer's address`
	}
	// An id of one's own, a literal percent sign, a value: fine.
	_ = fmt.Sprintf("conn %d, 100%%p, %v", c.id, c)
	return s, errors.New("%p")
}

type logger struct{}

func (logger) Debugf(format string, args ...any) {}

// A log line, which no trace hashes: not reported.
func Logged(c *conn, l logger) {
	log.Printf("conn %p", c)
	fmt.Printf("conn %p\n", c)
	l.Debugf("conn %p", c)
}
