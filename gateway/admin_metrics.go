package gateway

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

var descAdminRefused = prometheus.NewDesc("fieldgate_admin_refused_requests_total",
	"Requests the admin listener refused, by reason (host, origin, cross_site, token_missing, token_invalid, token_not_configured).",
	[]string{"reason"}, nil)

// adminMetrics counts the requests the admin listener refused, by reason.
type adminMetrics struct {
	refused [numAdminRefusals]atomic.Uint64
}

// Describe implements prometheus.Collector.
func (a *adminMetrics) Describe(ch chan<- *prometheus.Desc) { ch <- descAdminRefused }

// Collect implements prometheus.Collector.
func (a *adminMetrics) Collect(ch chan<- prometheus.Metric) {
	for i := range a.refused {
		ch <- prometheus.MustNewConstMetric(descAdminRefused, prometheus.CounterValue, float64(a.refused[i].Load()), adminRefusal(i).String())
	}
}
