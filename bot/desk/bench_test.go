package desk

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// benchDesk runs one desk posting to the fake Bot API; posted gets each ref.
func benchDesk(b *testing.B) (*env, chan string) {
	e := newEnv(b, nil)
	posted := make(chan string, 1<<16)
	d := e.desk("bench", func(c *Config, deps *Deps) {
		c.MinIdle = time.Minute
		deps.OnPosted = func(ref string) { posted <- ref }
	})
	if err := d.store.ensureGroup(context.Background()); err != nil {
		b.Fatal(err)
	}
	run(b, d)
	return e, posted
}

// BenchmarkDeskThroughput: requests put on the stream as fast as a producer
// can (XADD through the hand-off queue) and posted to the staff chat by one
// desk. req/s is the end-to-end rate.
func BenchmarkDeskThroughput(b *testing.B) {
	e, posted := benchDesk(b)
	var sent sync.Map
	all := make(chan struct{})
	var lat []time.Duration
	go func() {
		for i := 0; i < b.N; i++ {
			ref := <-posted
			if t, ok := sent.Load(ref); ok {
				lat = append(lat, time.Since(t.(time.Time)))
			}
		}
		close(all)
	}()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		r := e.request()
		sent.Store(r.Ref, time.Now())
		e.enqueue(r)
	}
	<-all
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "req/s")
	report(b, lat)
}

// BenchmarkDeskLatency: one request at a time, from Versturen (the Enqueue
// call) to the post in the staff chat.
func BenchmarkDeskLatency(b *testing.B) {
	e, posted := benchDesk(b)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := e.request()
		start := time.Now()
		e.enqueue(r)
		for ref := <-posted; ref != r.Ref; ref = <-posted {
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	report(b, lat)
}

func report(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
