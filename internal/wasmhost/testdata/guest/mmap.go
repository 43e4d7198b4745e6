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

// mmapShow maps a file, writes to it in every way a program can, and
// prints what the mapping shows after each.
func mmapShow() error {
	f, err := os.OpenFile("/m", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString("0123456789"); err != nil {
		return err
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, 100000, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return err
	}
	show := func(what string, lo, hi int) { fmt.Printf("%s: %q\n", what, m[lo:hi]) }
	show("mapped", 0, 12)
	priv, err := syscall.Mmap(int(f.Fd()), 0, 16, syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		return err
	}

	// Through another descriptor, at an offset and appending.
	g, err := os.OpenFile("/m", os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if _, err := g.WriteAt([]byte("abc"), 3); err != nil {
		return err
	}
	show("pwrite", 0, 12)
	a, err := os.OpenFile("/m", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	if _, err := a.WriteString("XYZ"); err != nil {
		return err
	}
	show("append", 0, 14)
	if _, err := f.Seek(1, 0); err != nil {
		return err
	}
	if _, err := f.WriteString("-"); err != nil {
		return err
	}
	show("write", 0, 14)
	if err := f.Truncate(5); err != nil {
		return err
	}
	show("truncate", 0, 14)
	if _, err := g.WriteAt([]byte("far"), 70000); err != nil {
		return err
	}
	show("far", 69999, 70004)
	if _, err := g.WriteAt([]byte("end"), 99998); err != nil {
		return err
	}
	show("across the end", 99996, 100000)
	fmt.Printf("private: %q\n", priv[:12])

	// Remapping larger shows the file as it is; the old mapping sees
	// no more writes.
	old := m
	if err := syscall.Munmap(m); err != nil {
		return err
	}
	m, err = syscall.Mmap(int(f.Fd()), 0, 200000, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return err
	}
	show("remapped", 0, 5)
	show("remapped far", 69999, 70004)
	if _, err := g.WriteAt([]byte("U"), 3); err != nil {
		return err
	}
	fmt.Printf("new %q old %q\n", m[:5], old[:5])
	at, err := syscall.Mmap(int(f.Fd()), 65536, 10, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return err
	}
	if _, err := g.WriteAt([]byte("V"), 65537); err != nil {
		return err
	}
	fmt.Printf("at an offset: %q\n", at[:10])

	// A rename keeps the file's descriptors and mapping one file; a file
	// that replaces another is not the one mapped.
	if err := os.Rename("/m", "/n"); err != nil {
		return err
	}
	if _, err := g.WriteAt([]byte("R"), 0); err != nil {
		return err
	}
	show("renamed", 0, 5)
	if err := os.Rename("/n", "/n"); err != nil {
		return err
	}
	if err := os.WriteFile("/n", []byte("W"), 0o644); err != nil {
		return err
	}
	show("renamed onto itself", 0, 5)
	if err := os.WriteFile("/o", []byte("other"), 0o644); err != nil {
		return err
	}
	if err := os.Rename("/o", "/n"); err != nil {
		return err
	}
	if _, err := g.WriteAt([]byte("S"), 1); err != nil {
		return err
	}
	h, err := os.OpenFile("/n", os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if _, err := h.WriteAt([]byte("T"), 2); err != nil {
		return err
	}
	show("replaced", 0, 5)

	// A file in a renamed directory, a removed file and a file truncated
	// as it is opened.
	if err := os.Mkdir("/d", 0o755); err != nil {
		return err
	}
	if err := os.WriteFile("/d/f", []byte("in d"), 0o644); err != nil {
		return err
	}
	df, err := os.OpenFile("/d/f", os.O_RDWR, 0)
	if err != nil {
		return err
	}
	dm, err := syscall.Mmap(int(df.Fd()), 0, 4, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return err
	}
	if err := os.Rename("/d", "/e"); err != nil {
		return err
	}
	if err := os.WriteFile("/e/f", []byte("in e"), 0o644); err != nil {
		return err
	}
	fmt.Printf("directory renamed: %q\n", dm)
	if err := os.Remove("/e/f"); err != nil {
		return err
	}
	if _, err := df.WriteAt([]byte("X"), 0); err != nil {
		return err
	}
	if err := os.WriteFile("/e/f", []byte("new!"), 0o644); err != nil {
		return err
	}
	fmt.Printf("removed: %q\n", dm)
	nf, err := os.Open("/e/f")
	if err != nil {
		return err
	}
	nm, err := syscall.Mmap(int(nf.Fd()), 0, 4, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return err
	}
	if _, err := os.Create("/e/f"); err != nil {
		return err
	}
	fmt.Printf("new file %q, created over\n", nm)

	_, err = syscall.Mmap(int(nf.Fd()), 0, 10, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	fmt.Println("writable shared, read-only file:", errors.Is(err, syscall.EACCES))
	_, err = syscall.Mmap(int(f.Fd()), 10, 10, syscall.PROT_READ, syscall.MAP_SHARED)
	fmt.Println("unaligned:", errors.Is(err, syscall.EINVAL))
	d, err := os.Open("/")
	if err != nil {
		return err
	}
	_, err = syscall.Mmap(int(d.Fd()), 0, 10, syscall.PROT_READ, syscall.MAP_SHARED)
	fmt.Println("directory:", errors.Is(err, syscall.EACCES))
	w, err := os.OpenFile("/e/f", os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = syscall.Mmap(int(w.Fd()), 0, 10, syscall.PROT_READ, syscall.MAP_SHARED)
	fmt.Println("write-only:", errors.Is(err, syscall.EACCES))
	w.Close()
	fmt.Println("unmap twice:", errors.Is(syscall.Munmap(old), syscall.EINVAL))
	fmt.Println("unmap part:", errors.Is(syscall.Munmap(m[:1]), syscall.EINVAL), errors.Is(syscall.Munmap(m[:0]), syscall.EINVAL))
	fmt.Println("unmap:", syscall.Munmap(m), syscall.Munmap(at), syscall.Munmap(priv))
	return nil
}

// mmapLog maps /mlog and checks that the mapping holds what the file
// does, prints how many records it holds, and then writes more with
// WriteAt, checking each through the mapping, remapping it larger as it
// fills and syncing every fourth record; it stops at arg records.
func mmapLog(arg string) error {
	const rec = 100
	limit, _ := strconv.Atoi(arg)
	f, err := os.OpenFile("/mlog", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	data, err := os.ReadFile("/mlog")
	if err != nil {
		return err
	}
	size := 4096 // small, to remap as it fills
	for size < len(data) {
		size *= 2
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return err
	}
	if !bytes.Equal(m[:len(data)], data) || len(bytes.Trim(m[len(data):], "\x00")) != 0 {
		return fmt.Errorf("the mapping does not hold what the file holds")
	}
	held := 0
	for ; (held+1)*rec <= len(data); held++ {
		if string(m[held*rec:(held+1)*rec]) != fmt.Sprintf("%0100d", held+1) {
			break
		}
	}
	fmt.Println("log holds", held)
	for i := held + 1; i <= limit; i++ {
		off := (i - 1) * rec
		for off+rec > size {
			if err := syscall.Munmap(m); err != nil {
				return err
			}
			size *= 2
			if m, err = syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED); err != nil {
				return err
			}
		}
		r := fmt.Sprintf("%0100d", i)
		if _, err := f.WriteAt([]byte(r), int64(off)); err != nil {
			return err
		}
		if string(m[off:off+rec]) != r {
			return fmt.Errorf("the mapping misses record %d", i)
		}
		if i%4 == 0 {
			if err := f.Sync(); err != nil {
				return err
			}
			fmt.Println("synced", i)
		}
	}
	fmt.Println("done")
	for {
		time.Sleep(time.Hour)
	}
}
