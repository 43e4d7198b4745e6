package providers_test

import (
	"fmt"
	"io/fs"
	"log"
	"os"

	"github.com/moonpool-go/moonpool/providers"
)

// A program opens its data directory as a Storage and hands it to its code
// with the rest of its providers; in a simulation the same code gets a
// simulated disk instead.
func ExampleOpenOSStorage() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	st, err := providers.OpenOSStorage(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	p := providers.Real()
	p.Storage = st

	f, err := p.Storage.OpenFile("greeting", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := f.Write([]byte("hello, disk\n")); err != nil {
		log.Fatal(err)
	}
	// Written is not durable: Sync is.
	if err := f.Sync(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}

	_, err = p.Storage.Open("../outside")
	fmt.Println(err)
	// Output:
	// openat ../outside: the path is outside the storage root; name files relative to the root, without a leading / or a .. that climbs out
}

// StorageFS reads a Storage with the io/fs functions.
func ExampleStorageFS() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	st, err := providers.OpenOSStorage(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	for _, name := range []string{"a.log", "b.log", "c.txt"} {
		f, err := st.Create(name)
		if err != nil {
			log.Fatal(err)
		}
		f.Close()
	}
	logs, err := fs.Glob(providers.StorageFS(st), "*.log")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(logs)
	// Output:
	// [a.log b.log]
}
