package simtest

// Slow runs f, a stretch of the seed that may take long in real time (a
// linearizability check, a large comparison, a heavy search), with the
// [Watchdog] held off: while f runs the seed is not reported as busy or
// blocked, and the watchdog counts again from f's end. The test's -timeout
// still bounds it. Call it from the body or from any task of the seed.
func (s *S) Slow(f func()) { s.w.Slow(f) }
