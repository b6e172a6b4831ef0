package telegram

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// A job that arrives while its chat's runner is ending must still run: it
// starts a new runner or is taken by the old one, never handed back
// unhandled while the dispatcher runs (in polling, an update handed back is
// held below the offset for good).
func TestDispatcherJobAtRunnerEnd(t *testing.T) {
	var handled, givenBack atomic.Int64
	d := newDispatcher(2, time.Minute, func(int64, *chat, job) {})
	const n = 20000
	for i := range n {
		j := job{at: time.Now(), done: func(ok bool) {
			if ok {
				handled.Add(1)
			} else {
				givenBack.Add(1)
			}
		}}
		if !d.enqueue(int64(i%3), j) {
			t.Fatal("enqueue refused before stop")
		}
		runtime.Gosched()
	}
	// Every job is answered, handled or given back, well before this.
	for deadline := time.Now().Add(10 * time.Second); handled.Load()+givenBack.Load() < n && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	d.stop()
	if handled.Load() != n || givenBack.Load() != 0 {
		t.Errorf("%d jobs: %d handled, %d given back; want all handled", n, handled.Load(), givenBack.Load())
	}
}
