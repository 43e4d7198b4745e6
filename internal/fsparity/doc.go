// Package fsparity holds a simulated file system to the operating
// system's: one random sequence of file operations runs on both, and each
// outcome (bytes, sizes, names, the class of an error) is described in a
// line, so that the two lists must be equal.
//
// A test draws the operations with [Draw], runs them on a fresh directory
// of the operating system with [OnOS] and on its own storage with [Run],
// and compares the two with [Compare]. The simulated disk (simdisk) and a
// program's /tmp (wasmhost) are held to Linux's semantics so.
package fsparity
