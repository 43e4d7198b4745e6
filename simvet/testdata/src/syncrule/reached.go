package syncrule

import . "sync"

type dotted struct {
	mu Mutex // want `sync.Mutex blocks`
	o  Once
}
