package redisconn

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// UpCollector reports wotbot_redis_up: 1 when rdb answered a PING at scrape
// time (within two seconds), 0 otherwise. Replicas and desks both register
// it, so one alert covers every process that cannot reach Redis.
func UpCollector(rdb redis.UniversalClient) prometheus.Collector {
	return upCollector{rdb: rdb, desc: prometheus.NewDesc("wotbot_redis_up",
		"1 when Redis answered a PING at scrape time, 0 when it did not.", nil, nil)}
}

type upCollector struct {
	rdb  redis.UniversalClient
	desc *prometheus.Desc
}

func (c upCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c upCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	up := 0.0
	if c.rdb.Ping(ctx).Err() == nil {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, up)
}
