package engine

// groupLock serialises changes to one group inside this process: the
// consistency group accepts one membership change at a time, and the
// metadata version must advance by one per change.
func (e *Engine) groupLock(id string) func() {
	l := e.groupSemaphore(id)
	l <- struct{}{}
	return func() { <-l }
}

// groupSemaphore is the group's lock as a channel (holding it: a value
// sent), so that a waiter can also wait for something else.
func (e *Engine) groupSemaphore(id string) chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	l, ok := e.groupLocks[id]
	if !ok {
		l = make(chan struct{}, 1)
		e.groupLocks[id] = l
	}
	return l
}
