package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// mmapStore maps a file for stores and prints what the file shows of
// them after each way a program can look at it.
func mmapStore() error {
	f, err := os.OpenFile("/w", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(bytes.Repeat([]byte("."), 1024)); err != nil {
		return err
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return err
	}
	g, err := os.OpenFile("/w", os.O_RDWR, 0)
	if err != nil {
		return err
	}
	at := func(off int64, n int) string {
		b := make([]byte, n)
		if _, err := g.ReadAt(b, off); err != nil {
			return err.Error()
		}
		return string(b)
	}

	copy(m, "abc")
	fmt.Printf("stored, read: %q\n", at(0, 4))
	copy(m[600:], "xyz")
	data, err := os.ReadFile("/w")
	if err != nil {
		return err
	}
	fmt.Printf("stored, read whole: %q %d\n", data[600:604], len(data))
	if _, err := g.WriteAt([]byte("WW"), 1); err != nil {
		return err
	}
	fmt.Printf("written, mapping: %q\n", m[:4])
	copy(m[2:], "s")
	fmt.Printf("stored over a write: %q\n", at(0, 4))

	// A store past the file's end is undone, as SIGBUS stops it.
	m[2000] = '!'
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	fmt.Printf("past the end: size %d, mapping %q\n", fi.Size(), m[2000])

	// Shrunk, the file takes the stores past its new end away; grown, it
	// reads zeros there.
	m[700] = 'T'
	if err := f.Truncate(512); err != nil {
		return err
	}
	fmt.Printf("shrunk: %q\n", m[700])
	if err := f.Truncate(1024); err != nil {
		return err
	}
	fmt.Printf("grown: %q %q\n", m[700], at(700, 1))

	// Msync and a close of the descriptor, which the mapping outlives.
	m[10] = 'S'
	fmt.Println("msync:", syscall.Msync(m, syscall.MS_SYNC), at(10, 1))
	if err := f.Close(); err != nil {
		return err
	}
	m[20] = 'C'
	if err := syscall.Munmap(m); err != nil {
		return err
	}
	fmt.Printf("closed, then unmapped: %q\n", at(20, 1))

	// A private mapping's stores are its own.
	p, err := syscall.Mmap(int(g.Fd()), 0, 100, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	if err != nil {
		return err
	}
	p[30] = 'P'
	fmt.Printf("private: %q\n", at(30, 1))

	// Two shared mappings of the file see each other's stores once the
	// file is looked at.
	a, err := syscall.Mmap(int(g.Fd()), 0, 100, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return err
	}
	b, err := syscall.Mmap(int(g.Fd()), 0, 100, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return err
	}
	a[40] = 'A'
	before := b[40]
	_ = at(0, 1)
	fmt.Printf("two mappings: %q then %q\n", before, b[40])

	// A file of the tmpfs maps as one of the disk.
	t, err := os.OpenFile("/tmp/t", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	if _, err := t.WriteString("tmpfs"); err != nil {
		return err
	}
	tm, err := syscall.Mmap(int(t.Fd()), 0, 8, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return err
	}
	tm[0] = 'T'
	tb := make([]byte, 5)
	if _, err := t.ReadAt(tb, 0); err != nil {
		return err
	}
	fmt.Printf("tmpfs: %q\n", tb)

	// The end of the program writes the rest back (checked by the test).
	a[50] = 'E'
	return nil
}

// mmapWAL keeps a log of 100-byte records in a 64 KiB file mapped for
// stores: it prints how many records the file holds, then stores more,
// printing each, and syncs every fourth with Msync; it stops at arg
// records and waits.
func mmapWAL(arg string) error {
	const rec, size = 100, 64 << 10
	limit, _ := strconv.Atoi(arg)
	f, err := os.OpenFile("/wal", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() < size {
		if err := f.Truncate(size); err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return err
		}
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return err
	}
	held := 0
	for ; (held+1)*rec <= size; held++ {
		if string(m[held*rec:(held+1)*rec]) != fmt.Sprintf("%0100d", held+1) {
			break
		}
	}
	fmt.Println("log holds", held)
	for i := held + 1; i <= limit; i++ {
		copy(m[(i-1)*rec:], fmt.Sprintf("%0100d", i))
		fmt.Println("stored", i)
		if i%4 == 0 {
			if err := syscall.Msync(m, syscall.MS_SYNC); err != nil {
				return err
			}
			fmt.Println("synced", i)
		}
		time.Sleep(time.Millisecond)
	}
	fmt.Println("done")
	for {
		time.Sleep(time.Hour)
	}
}

// mmapShare is one of two processes of a machine that share /s: the
// mapper (arg "a") maps it for stores, stores into it, and waits for the
// writer's write to show in its mapping; the writer (arg "b") waits for
// the mapper's stores to show in what it reads, then writes.
func mmapShare(arg string) error {
	if arg == "a" {
		f, err := os.OpenFile("/s.tmp", os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return err
		}
		if err := f.Truncate(4096); err != nil {
			return err
		}
		m, err := syscall.Mmap(int(f.Fd()), 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
		if err != nil {
			return err
		}
		copy(m, "from a")
		if err := os.Rename("/s.tmp", "/s"); err != nil {
			return err
		}
		for string(m[100:106]) != "from b" {
			time.Sleep(time.Millisecond)
		}
		fmt.Println("a sees b's write")
		return nil
	}
	for {
		data, err := os.ReadFile("/s")
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if len(data) > 6 && string(data[:6]) == "from a" {
			break
		}
		time.Sleep(time.Millisecond)
	}
	fmt.Println("b sees a's stores")
	f, err := os.OpenFile("/s", os.O_RDWR, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteAt([]byte("from b"), 100)
	return err
}
