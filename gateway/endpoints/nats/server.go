package nats

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// startServer runs the embedded NATS server of cfg and waits until it
// accepts clients. A listen address in use fails at once.
func startServer(cfg *Config, log *slog.Logger) (*server.Server, error) {
	host, ps, err := net.SplitHostPort(cfg.Server.Listen)
	if err != nil {
		return nil, fmt.Errorf("server.listen: %w", err)
	}
	port, err := strconv.Atoi(ps)
	if err != nil {
		return nil, fmt.Errorf("server.listen: port %q", ps)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	opts := &server.Options{
		ServerName:         "fieldgate-" + cfg.Gateway,
		Host:               host,
		Port:               port,
		MaxPayload:         int32(cfg.Server.MaxPayload),
		JetStream:          cfg.Server.StoreDir != "",
		StoreDir:           cfg.Server.StoreDir,
		JetStreamMaxMemory: cfg.Server.MaxMemory,
		JetStreamMaxStore:  cfg.Server.MaxStore,
		NoSigs:             true,
	}
	if opts.JetStreamMaxMemory == 0 {
		opts.JetStreamMaxMemory = -1 // the server's default
	}
	if opts.JetStreamMaxStore == 0 {
		opts.JetStreamMaxStore = -1
	}
	if cfg.Server.MQTTListen != "" {
		mh, mp, err := net.SplitHostPort(cfg.Server.MQTTListen)
		if err != nil {
			return nil, fmt.Errorf("server.mqtt_listen: %w", err)
		}
		if opts.MQTT.Port, err = strconv.Atoi(mp); err != nil {
			return nil, fmt.Errorf("server.mqtt_listen: port %q", mp)
		}
		opts.MQTT.Host = mh
		if opts.MQTT.Port == 0 {
			opts.MQTT.Port = server.RANDOM_PORT
		}
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded server: %w", err)
	}
	l := &serverLog{log: log.With("nats-server", cfg.Server.Listen)}
	s.SetLoggerV2(l, false, false, false)
	go s.Start()
	for start := time.Now(); !s.ReadyForConnections(50 * time.Millisecond); {
		if err := l.fatal(); err != nil || time.Since(start) > 30*time.Second {
			s.Shutdown()
			s.WaitForShutdown()
			if err == nil {
				err = errors.New("not ready after 30 s")
			}
			return nil, fmt.Errorf("embedded server on %s: %w", cfg.Server.Listen, err)
		}
	}
	return s, nil
}

// serverLog passes the embedded server's log to the endpoint's logger.
// A fatal error is logged and kept (the server's own logger would exit).
type serverLog struct {
	log *slog.Logger
	mu  sync.Mutex
	err error
}

func (l *serverLog) fatal() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

func (l *serverLog) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *serverLog) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l *serverLog) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *serverLog) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *serverLog) Tracef(format string, v ...any)  {}
func (l *serverLog) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.log.Error(msg)
	l.mu.Lock()
	if l.err == nil {
		l.err = errors.New(msg)
	}
	l.mu.Unlock()
}
