package console

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// TestEventStreamPlainAndTLS: over plain HTTP/1.1 (the admin server, and
// the console alone) the stream takes over
// the connection (its body ends with the connection, not chunked: the
// direct writes), over TLS (HTTP/1.1 and HTTP/2) it keeps net/http's
// writer; either way its events arrive, with the console's headers, and
// closing it removes the tap.
func TestEventStreamPlainAndTLS(t *testing.T) {
	for _, mode := range []string{"admin", "plain", "tls-http1", "tls-http2"} {
		t.Run(mode, func(t *testing.T) {
			r := startRig(t, config.Admin{})
			url, client := r.base+pathEvents, http.DefaultClient // the admin server of fieldgate run
			if mode != "admin" {
				srv := httptest.NewUnstartedServer(r.con)
				srv.EnableHTTP2 = mode == "tls-http2"
				if mode == "plain" {
					srv.Start()
				} else {
					srv.StartTLS()
				}
				defer srv.Close()
				url, client = srv.URL+pathEvents, srv.Client()
			}
			plain := mode == "admin" || mode == "plain"
			resp, err := client.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" ||
				resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Cache-Control") != "no-store" ||
				(resp.TLS != nil) == plain || (resp.ProtoMajor == 2) != (mode == "tls-http2") {
				t.Fatalf("GET %s: %s %s, header %v, TLS %v", pathEvents, resp.Proto, resp.Status, resp.Header, resp.TLS != nil)
			}
			if hijacked := resp.Close && len(resp.TransferEncoding) == 0; hijacked != plain {
				t.Errorf("%s: Connection: close %v, Transfer-Encoding %v: want the connection taken over only on plain HTTP", mode, resp.Close, resp.TransferEncoding)
			}
			names := make(chan string, 64)
			go func() {
				defer close(names)
				sc := bufio.NewScanner(resp.Body)
				sc.Buffer(make([]byte, 1<<20), 16<<20)
				for sc.Scan() {
					if n, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
						names <- n
					}
				}
			}()
			r.send(t, canFrame(0x123, 0xE8, 0x03, 0x50, 0x01, 0, 0, 0, 0))
			seen := map[string]bool{}
			deadline := time.After(30 * time.Second)
			for !seen["hello"] || !seen["trace"] {
				select {
				case n, ok := <-names:
					if !ok {
						t.Fatalf("the stream ended after %v", seen)
					}
					if !seen["hello"] && n != "hello" {
						t.Fatalf("first event %q, want hello", n)
					}
					seen[n] = true
				case <-deadline:
					t.Fatalf("after 30 s: events %v", seen)
				}
			}
			resp.Body.Close()
			waitFor(t, "the tap to be removed", func() bool { return r.con.Clients() == 0 })
		})
	}
}
