package engine

import (
	"context"
	"sync"
	"time"
)

// poll calls done until it reports true, starting fast and backing off (20
// ms doubling to 1 s): asynchronous states usually settle in moments.
func poll(ctx context.Context, done func() (bool, error)) error {
	wait := 20 * time.Millisecond
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		if wait *= 2; wait > time.Second {
			wait = time.Second
		}
	}
}

// parallel runs independent calls side by side and returns when all have:
// a refresh waits for the slowest round trip, not for their sum.
func parallel(calls ...func()) {
	parallelN(len(calls), calls...)
}

// parallelN is parallel with at most n calls running at once, for the
// calls that come by the hundred (one per volume or per object).
func parallelN(n int, calls ...func()) {
	slots := make(chan struct{}, max(n, 1))
	var wg sync.WaitGroup
	for _, call := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			call()
		}()
	}
	wg.Wait()
}

// fanOut bounds the requests in flight to one site or array when a change
// makes one per object.
const fanOut = 8
