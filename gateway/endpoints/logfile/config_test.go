package logfile

import (
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// TestQueueDefaults: a recording log's queue is QueueSize frames unless
// the file says otherwise; a replayed log keeps the general default.
func TestQueueDefaults(t *testing.T) {
	c, err := config.Parse("l.yaml", []byte(`
endpoints:
  in: {kind: log, mode: read, path: /tmp/in.log}
  a: {kind: log, path: /tmp/a.log}
  b: {kind: log, path: /tmp/b.log, queue: {size: 100, overflow: backpressure}}
routes:
  - {from: [in], to: [a, b]}
`))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]config.Queue{
		"in": {Size: config.DefaultQueueSize, Overflow: config.DropOldest},
		"a":  {Size: QueueSize, Overflow: config.DropOldest},
		"b":  {Size: 100, Overflow: config.Backpressure},
	} {
		if got := c.Endpoint(name).Queue; got != want {
			t.Errorf("%s: queue %+v, want %+v", name, got, want)
		}
	}
}
