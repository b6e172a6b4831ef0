package redisconn

import (
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

func TestUpCollector(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(UpCollector(rdb))
	up := func() float64 {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil || len(mfs) != 1 || mfs[0].GetName() != "wotbot_redis_up" {
			t.Fatalf("gather: %v %v", mfs, err)
		}
		return mfs[0].GetMetric()[0].GetGauge().GetValue()
	}
	if v := up(); v != 1 {
		t.Errorf("wotbot_redis_up = %v with Redis running", v)
	}
	mr.Close()
	if v := up(); v != 0 {
		t.Errorf("wotbot_redis_up = %v with Redis stopped", v)
	}
}
