//go:build go1.26

package simtest

// ArtifactDir returns the test's directory for output files, as
// testing.T's does (kept with go test -artifacts): it is the test's, not
// the seed's, the same for every seed, and outlives the seed, so a seed
// that writes there names its files by [S.Seed].
func (s *S) ArtifactDir() string { return s.tb.ArtifactDir() }
