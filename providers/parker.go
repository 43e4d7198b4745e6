package providers

import "context"

// parker is implemented by a Task provider that runs tasks one at a time
// under a scheduler: the simulation. The blocking primitives of this package
// ([Chan], [Mutex], [Cond], [WaitGroup], [Select]) block through it when the Task
// provider they were made with is a parker, and through the Go runtime when
// it is not. Code under test has no reason to call it.
//
// Exactly one task runs at a time, so a primitive's own state needs no
// locking between these calls.
type parker interface {
	Task
	// WaitToken returns a token for the calling task's next Park. A token is
	// good for one wake-up: after the task is woken, or its Park returns for
	// any reason, older tokens no longer wake it.
	WaitToken() WaitToken
	// Park blocks the calling task until Wake(tok) or until ctx is done, in
	// which case it returns ctx's error. what names the wait in deadlock
	// reports ("chan receive", "mutex lock"). If the task is killed while
	// parked, Park does not return: the task unwinds.
	Park(ctx context.Context, tok WaitToken, what string) error
	// Wake makes the task holding tok ready to run. It reports false, and
	// does nothing, when tok is stale: the task was already woken, its Park
	// returned, or it is gone.
	Wake(tok WaitToken) bool
	// Choose draws a number in [0, n) from the simulation's random stream;
	// primitives use it where Go leaves a choice open, such as among the
	// ready cases of a select.
	Choose(n int) int
	// Enter is called by a primitive before it touches its own state, what
	// naming the operation ("chan send"). It returns at once on a goroutine
	// of the simulation. On any other, one started with a go statement
	// rather than through the Task provider, it fails the run and ends the
	// calling goroutine, so that no two goroutines ever run a simulation's
	// code at once.
	Enter(what string)
}

// WaitToken identifies one wait of one task of a simulation: plumbing
// between the engine and the primitives, which code under test has no use
// for.
type WaitToken uint64
