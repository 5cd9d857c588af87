// Package gateway is the bridging service behind "fieldgate run": endpoints read
// frames with batch I/O, routes filter, transform and rate-limit them, bounded
// queues deliver them to destination endpoints, and every drop is counted by
// reason in the metrics.
package gateway
