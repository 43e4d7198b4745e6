//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || s390x || loong64 || mips64 || mips64le || ppc64)

package wasmhost

import "syscall"

// reserve maps size bytes of inaccessible address space, or returns nil
// when the system refuses (a limit on address space, say). Inaccessible
// address space costs no memory and no commit charge.
func reserve(size uint64) []byte {
	if size == 0 || size > 1<<33 {
		return nil
	}
	mem, err := syscall.Mmap(-1, 0, int(size), syscall.PROT_NONE, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return nil
	}
	return mem
}

// open makes b readable and writable.
func open(b []byte) bool {
	return syscall.Mprotect(b, syscall.PROT_READ|syscall.PROT_WRITE) == nil
}

// discard gives b's pages back to the kernel; they read as zeros after.
func discard(b []byte) bool { return syscall.Madvise(b, syscall.MADV_DONTNEED) == nil }

func unmap(b []byte) { _ = syscall.Munmap(b) }
