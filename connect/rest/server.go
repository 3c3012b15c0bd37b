// Package rest is connectd's HTTP API, the Kafka Connect 4.x REST API with the same paths, status
// codes and bodies (errors are {"error_code":N,"message":"..."}), plus the offset history
// extension GET /connectors/{c}/offsets/history. It serves any Herder (standalone or distributed)
// and forwards requests that only the leader may serve. The whole API is described by
// openapi.json, served at /openapi.json.
//
// Secrets never leave the process: configuration values the plugin declares PASSWORD (and keys
// named like passwords) are shown as plugins.Hidden ("[hidden]"), and a configuration sent back
// with "[hidden]" keeps the stored secret. Deliberate differences from Kafka Connect: malformed
// request bodies are answered 400 (Kafka: 500 with Jackson's message), numbers and booleans in a
// configuration are taken as their text (as Jackson does), and GET /connectors/{c}/topics of an
// unknown connector is 404 (Kafka: an empty list).
package rest

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/connectd/connectd/connect/runtime/herder"
)

// OpenAPI is the OpenAPI 3 document of the API, kept in the repository next to this file.
//
//go:embed openapi.json
var OpenAPI []byte

// DefaultRequestTimeout bounds one request to the herder, as Kafka Connect's 90 s REST timeout.
const DefaultRequestTimeout = 90 * time.Second

// Route is one method and path pattern the server answers; path parameters are in braces.
type Route struct {
	Method, Path string
	handler      func(http.ResponseWriter, *http.Request)
}

// Server is the REST API over a Herder.
type Server struct {
	herder   Herder
	loggers  Loggers
	log      *slog.Logger
	timeout  time.Duration
	client   *http.Client
	routes   []Route
	mux      *http.ServeMux
	draining atomic.Bool
	http     *http.Server
	security *Security
}

// Options configures a Server. Herder is required.
type Options struct {
	Herder  Herder
	Loggers Loggers      // nil disables nothing: /admin/loggers then answers with root only
	Logger  *slog.Logger // nil means slog.Default()
	// RequestTimeout bounds each herder call; 0 means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Client forwards requests to the leader; nil means a client with RequestTimeout.
	Client *http.Client
	// Metrics writes the worker's metrics in the Prometheus text format for GET /metrics (not a
	// Kafka Connect route, so not in openapi.json); nil serves no /metrics.
	Metrics func(io.Writer) error
	// Security wraps the API with basic authentication and CORS and gives the forwarding client
	// its TLS settings; nil means none. Serve uses it; callers that serve the Server through
	// their own http.Server wrap it with Security.Handler themselves.
	Security *Security
}

// NewServer builds the API. It does not listen until Serve.
func NewServer(o Options) *Server {
	s := &Server{herder: o.Herder, loggers: o.Loggers, log: o.Logger, timeout: o.RequestTimeout, client: o.Client, security: o.Security}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.timeout <= 0 {
		s.timeout = DefaultRequestTimeout
	}
	if s.client == nil {
		s.client = s.security.Client(s.timeout)
	}
	if s.loggers == nil {
		s.loggers = noLoggers{}
	}
	s.routes = []Route{
		{"GET", "/", s.serverInfo},
		{"GET", "/health", s.health},
		{"GET", "/openapi.json", s.openAPI},
		{"GET", "/connectors", s.listConnectors},
		{"POST", "/connectors", s.createConnector},
		{"GET", "/connectors/{connector}", s.getConnector},
		{"DELETE", "/connectors/{connector}", s.deleteConnector},
		{"GET", "/connectors/{connector}/config", s.getConnectorConfig},
		{"PUT", "/connectors/{connector}/config", s.putConnectorConfig},
		{"PATCH", "/connectors/{connector}/config", s.patchConnectorConfig},
		{"GET", "/connectors/{connector}/status", s.getConnectorStatus},
		{"POST", "/connectors/{connector}/restart", s.restartConnector},
		{"PUT", "/connectors/{connector}/pause", s.pauseConnector},
		{"PUT", "/connectors/{connector}/resume", s.resumeConnector},
		{"PUT", "/connectors/{connector}/stop", s.stopConnector},
		{"GET", "/connectors/{connector}/tasks", s.getTasks},
		{"GET", "/connectors/{connector}/tasks/{task}/status", s.getTaskStatus},
		{"POST", "/connectors/{connector}/tasks/{task}/restart", s.restartTask},
		{"GET", "/connectors/{connector}/offsets", s.getOffsets},
		{"PATCH", "/connectors/{connector}/offsets", s.alterOffsets},
		{"DELETE", "/connectors/{connector}/offsets", s.resetOffsets},
		{"GET", "/connectors/{connector}/offsets/history", s.getOffsetHistory},
		{"GET", "/connectors/{connector}/topics", s.getActiveTopics},
		{"PUT", "/connectors/{connector}/topics/reset", s.resetActiveTopics},
		{"POST", "/connectors/{connector}/signals", s.postSignal},
		{"GET", "/connectors/{connector}/notifications", s.getNotifications},
		{"GET", "/connector-plugins", s.listPlugins},
		{"GET", "/connector-plugins/{plugin}/config", s.getPluginConfig},
		{"PUT", "/connector-plugins/{plugin}/config/validate", s.validateConfig},
		{"GET", "/admin/loggers", s.listLoggers},
		{"GET", "/admin/loggers/{logger}", s.getLogger},
		{"PUT", "/admin/loggers/{logger}", s.setLogger},
	}
	s.mux = http.NewServeMux()
	byPath := map[string]map[string]func(http.ResponseWriter, *http.Request){}
	var order []string
	for _, rt := range s.routes {
		if byPath[rt.Path] == nil {
			byPath[rt.Path] = map[string]func(http.ResponseWriter, *http.Request){}
			order = append(order, rt.Path)
		}
		byPath[rt.Path][rt.Method] = rt.handler
	}
	for _, p := range order {
		methods := byPath[p]
		pattern := p
		if p == "/" {
			pattern = "/{$}"
		}
		s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			h, ok := methods[r.Method]
			if !ok && r.Method == http.MethodHead {
				h, ok = methods[http.MethodGet]
			}
			if !ok {
				writeError(w, http.StatusMethodNotAllowed, "HTTP 405 Method Not Allowed")
				return
			}
			h(w, r)
		})
	}
	if o.Metrics != nil {
		s.mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
			if err := o.Metrics(w); err != nil {
				s.log.Warn("could not write the metrics", "error", err)
			}
		})
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "HTTP 404 Not Found")
	})
	return s
}

// Routes returns every method and path the server answers, for tests and documentation.
func (s *Server) Routes() []Route { return s.routes }

// ServeHTTP makes the Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Jersey matches a path with or without a trailing slash; so do we.
	if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
		r2 := *r
		u := *r.URL
		u.Path = strings.TrimRight(p, "/")
		if u.RawPath != "" {
			u.RawPath = strings.TrimRight(u.RawPath, "/")
		}
		r2.URL = &u
		r = &r2
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && s.draining.Load() {
		writeError(w, http.StatusServiceUnavailable, "The worker is shutting down and no longer accepts changes; send the request to another worker or retry after it restarts")
		return
	}
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("REST handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v)
			writeError(w, http.StatusInternalServerError, "internal error while handling the request; see the worker log")
		}
	}()
	s.mux.ServeHTTP(w, r)
}

// Drain makes the server refuse every request that would change something (503) while it keeps
// answering reads, so a worker that is shutting down can still be watched.
func (s *Server) Drain() { s.draining.Store(true) }

// Serve answers requests on l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	s.http = &http.Server{Handler: s.security.Handler(s), ReadHeaderTimeout: 30 * time.Second}
	err := s.http.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops listening and waits for requests in progress, up to ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.http == nil {
		return nil
	}
	return s.http.Shutdown(ctx)
}

// ---- writing responses ----

// ErrorMessage is the body of every error response.
type ErrorMessage struct {
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, ErrorMessage{ErrorCode: status, Message: msg})
}

// fail writes err as Kafka Connect would: *Error with its status, a timeout as 500 "Request timed
// out", anything else as 500 with its message.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var re *herder.Error
	switch {
	case errors.As(err, &re):
		writeError(w, re.Status, re.Message)
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusInternalServerError, "Request timed out")
	default:
		s.log.Error("REST request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

func (s *Server) ctx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), s.timeout)
}

type noLoggers struct{}

func (noLoggers) Levels() map[string]herder.LoggerLevel {
	return map[string]herder.LoggerLevel{"root": {Level: "INFO"}}
}
func (noLoggers) Level(name string) (herder.LoggerLevel, bool) {
	if name == "root" {
		return herder.LoggerLevel{Level: "INFO"}, true
	}
	return herder.LoggerLevel{}, false
}
func (noLoggers) SetLevel(string, string) ([]string, error) {
	return nil, herder.BadRequest("this worker does not support changing log levels")
}
