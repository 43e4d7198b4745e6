package store_test

import (
	"fmt"
	"log"
	"os"

	"github.com/hashicorp/raft"

	"github.com/moonpool-go/moonpool/examples/raftkv/store"
)

// A store is raft's log and stable store at once; what it was told is
// there again when it is opened again.
func Example() {
	dir, err := os.MkdirTemp("", "store")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	s, err := store.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	s.StoreLogs([]*raft.Log{{Index: 1, Term: 1, Data: []byte("a")}, {Index: 2, Term: 1, Data: []byte("b")}})
	s.SetUint64([]byte("CurrentTerm"), 1)
	s.Close()

	s, err = store.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	last, _ := s.LastIndex()
	var l raft.Log
	s.GetLog(last, &l)
	term, _ := s.GetUint64([]byte("CurrentTerm"))
	fmt.Printf("entry %d: %s; term %d\n", l.Index, l.Data, term)
	// Output: entry 2: b; term 1
}
