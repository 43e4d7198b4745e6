package wasmbuild

import "errors"

// diagnose explains why the packages go list found cannot make a wasip1
// program, or returns nil.
func diagnose(pkgPath string, pkgs []pkg) error {
	_ = errors.New
	return nil
}
