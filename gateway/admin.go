package gateway

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// AdminHandler serves /metrics (Prometheus), /healthz, /status (JSON) and
// POST /reload, behind the checks of its AdminSecurity (see
// admin_security.go): Host and Origin always, the token and Sec-Fetch-Site
// for state-changing requests.
type AdminHandler struct {
	g   *Gateway
	mux *http.ServeMux
	sec atomic.Pointer[AdminSecurity]
}

// AdminHandler returns the admin handler; reload re-reads the
// configuration file on POST /reload. Its security settings are those of
// the default loopback address without a token until SetSecurity.
func (g *Gateway) AdminHandler(reload func() error) *AdminHandler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(g.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if p := g.Healthy(); len(p) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, strings.Join(p, "\n"))
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(g.Status())
	})
	mux.HandleFunc("/reload", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "use POST", http.StatusMethodNotAllowed)
			return
		}
		if err := reload(); err != nil {
			http.Error(w, err.Error(), http.StatusUnprocessableEntity)
			return
		}
		fmt.Fprintln(w, "reloaded")
	})
	h := &AdminHandler{g: g, mux: mux}
	def, _ := NewAdminSecurity(config.Admin{Listen: config.DefaultAdmin})
	h.sec.Store(def)
	return h
}

// Handle mounts hd at pattern (http.ServeMux syntax) behind the same
// checks as the built-in paths: the web console mounts itself at "/".
func (h *AdminHandler) Handle(pattern string, hd http.Handler) { h.mux.Handle(pattern, hd) }

// SetSecurity makes h enforce s from the next request on.
func (h *AdminHandler) SetSecurity(s *AdminSecurity) { h.sec.Store(s) }

// Security returns the settings h enforces.
func (h *AdminHandler) Security() *AdminSecurity { return h.sec.Load() }

// ServeHTTP checks r against h's security settings, then serves it.
func (h *AdminHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if ref := h.sec.Load().check(r); ref != nil {
		h.g.metrics.admin.refused[ref.why].Add(1)
		h.g.log.Debug("admin request refused", "peer", r.RemoteAddr, "method", r.Method, "path", r.URL.Path, "reason", ref.why.String())
		if ref.status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fieldgate admin"`)
		}
		http.Error(w, "fieldgate admin: refused: "+ref.msg, ref.status)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// tlsConfig serves the certificate of h's current security settings, so
// that a reload that renews it takes effect without a new listener.
func (h *AdminHandler) tlsConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			if c := h.sec.Load().cert; c != nil {
				return c, nil
			}
			return nil, errors.New("admin.tls is not configured")
		},
	}
}

// ServeAdmin listens on addr and serves h until ctx is done, over TLS
// when useTLS is set: with the certificate of h's security settings at the
// time of each handshake (a handshake fails while they have none).
func ServeAdmin(ctx context.Context, addr string, h *AdminHandler, useTLS bool) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin listener: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    64 << 10,
		// TLS handshake failures and malformed requests from scanners
		// would otherwise each write a log line.
		ErrorLog: log.New(io.Discard, "", 0),
		// Requests end with the listener: long-lived ones (the console's
		// event stream) would otherwise outlive Shutdown.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	if useTLS {
		srv.TLSConfig = h.tlsConfig()
	}
	go func() {
		var err error
		if useTLS {
			err = srv.ServeTLS(ln, "", "")
		} else {
			err = srv.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			h.g.log.Error("admin listener stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
	context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	})
	return ln.Addr(), nil
}
