package endpoint

// An EOFEnder is the Settings of a finite source (a log file replayed)
// that can end the gateway's run: when every source whose EndsRunAtEOF
// reports true has returned io.EOF from Receive and every queue is
// drained, the gateway reports its run finished (Gateway.Finished) and
// `fieldgate run` stops as on SIGTERM, with exit status 0. Sources that
// do not implement it, or report false, end without stopping the run.
type EOFEnder interface {
	EndsRunAtEOF() bool
}
