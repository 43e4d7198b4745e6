package globalrand

import (
	"errors"
	"fmt"
	"log"
)

type conn struct{ id int }

// An address differs between processes.
func Describe(c *conn) (string, error) {
	s := fmt.Sprintf("conn %p", c) // want `globalrand: %p formats a pointer's address, which the allocator chooses and no seed replays`
	log.Printf("opened %-#12p", c) // want `%p formats a pointer's address`
	if c.id < 0 {
		return "", fmt.Errorf("conn %[1]p: id %d", c, c.id) // want `%p formats a pointer's address`
	}
	// An id of one's own, a literal percent sign, a value: fine.
	_ = fmt.Sprintf("conn %d, 100%%p, %v", c.id, c)
	return s, errors.New("%p")
}
