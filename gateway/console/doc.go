// Package console is fieldgate's web console: a page at / of the admin
// port that shows the gateway live. It has four views: Overview (every
// endpoint and route with frames/s, drops by reason, queue depth, a rate
// plot and a CAN bus load plot over the last ten minutes, and each CAN
// interface's error state), Trace (one row per ID and source endpoint
// with count, rate, period, the last data with changed bytes highlighted,
// and the signals of a configured DBC, narrowed by a filter box), Signals
// (time series of chosen signals or data bytes, with pause and zoom) and
// Drops (which route or endpoint drops, why, and since when).
//
// # Off the forwarding path
//
// The console reads the engine's counters (gateway.Status) once a second
// for the Overview and Drops views, keeping ten minutes of samples. The
// trace comes from a Tap (tap.go): a fixed table of 4096 slots that the
// engine's receive goroutines update with atomic operations and no
// allocation or lock, and that each browser's event stream reads at most
// ten times a second. The tap is installed when the first browser
// connects and removed when the last one leaves: with no console open the
// engine pays one atomic load per received batch, and with one a few
// atomic operations per batch. Signals are decoded when a stream reads a
// row whose data changed, not per frame, so the Signals view samples each
// ID at the stream's rate (≤ 10 Hz). A stream sends only the rows whose
// count or rate changed, and writes them by hand into a buffer it reuses
// (each row's fixed part and its decoded signals kept from the previous
// read), all of one read's events in one write: no allocation and no
// reflection per read (BenchmarkTraceTick). A stream does not wake on a
// timer of its own while frames flow: it arms the tap with the time of its
// next read, and the first batch received after that time wakes it
// (Tap.arm), so that it runs when the receiving goroutine blocks again; a
// 250 ms timer wakes it when no frames come. In the emulated rig a 10 Hz
// timer alone cost about 9 ms of CPU a second, more than the reads.
//
// On plain HTTP/1.x a stream takes over its connection (Hijack; the body
// ends with the connection) and writes each read's events with one
// non-blocking send(2) made without the runtime's system call bookkeeping
// (direct_linux.go), falling back to the poller when the socket is full:
// on a slow single CPU an ordinary write that wakes the reader outlasts a
// sysmon tick and hands the only P to another thread. Over TLS or HTTP/2
// the stream keeps net/http's writer.
//
// Updates reach the browser as Server-Sent Events (text/event-stream,
// standard library only): one-way, through proxies, reconnecting by
// itself, which is all a read-only view needs; WebSocket would need a
// dependency or a hand-written framing for no gain.
//
// # Front end
//
// The page is three hand-written files embedded in the binary (embed):
// app.js (views and the event stream), plot.js (a line plot on a canvas,
// about 150 lines) and style.css. It loads nothing from elsewhere, works
// without internet access, and needs no npm, bundler or lockfile in
// `make`: the plots are a few line series over time, which a canvas draws
// in less code than wiring up a plotting library (uPlot is ~45 kB minified
// and would need a vendoring step and license tracking for the same
// result). A Content-Security-Policy allows scripts, styles and
// connections to this origin only.
//
// # Security
//
// The console is mounted on the admin handler, so every request passes
// the admin checks first (Host and Origin name the listener, TLS when
// admin.tls is set). The console is read-only but for sending (below): it
// serves GET and HEAD and refuses other methods. Beyond loopback it also needs the admin token,
// since it shows every frame's data: ?token=TOKEN on the first load sets
// an HttpOnly, SameSite=Strict cookie (Secure over TLS), and an
// Authorization: Bearer header works too. Without admin.token_file an
// admin address beyond loopback serves no console.
//
// # Sending
//
// Sending is off unless the configuration declares an endpoint of kind
// console (package gateway/endpoints/console): the Trace view then shows a
// send form that posts to /console/send, and the frame enters the engine
// from that endpoint, untrusted, so it reaches a bus only through a
// route's allow list. The POST passes the admin rules for state-changing
// requests (Origin, Sec-Fetch-Site, the token beyond loopback).
package console
