package runtime

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/connectd/connectd/connect/rest"
	"github.com/connectd/connectd/connect/workerconfig"
)

// Listen opens the REST listeners the listeners property names with listen (nil: plain TCP) and
// returns them with their addresses (a port 0 resolved). On error none stays open; otherwise the
// caller closes them, or the HTTP servers that serve them do.
func Listen(cfg *workerconfig.Worker, listen func(scheme, addr string) (net.Listener, error)) ([]net.Listener, []string, error) {
	if listen == nil {
		listen = func(_, addr string) (net.Listener, error) { return net.Listen("tcp", addr) }
	}
	listeners := make([]net.Listener, 0, len(cfg.Listeners))
	addrs := make([]string, 0, len(cfg.Listeners))
	for _, l := range cfg.Listeners {
		ln, err := listen(l.Scheme, l.Addr())
		if err != nil {
			CloseListeners(listeners)
			return nil, nil, fmt.Errorf("could not listen on %s://%s (listeners): %w", l.Scheme, l.Addr(), err)
		}
		listeners = append(listeners, ln)
		addrs = append(addrs, ln.Addr().String())
	}
	return listeners, addrs, nil
}

// ListenREST opens the REST listeners with the worker's REST security (HTTPS, basic
// authentication, CORS: rest.NewSecurity), which the servers and the forwarding client use too.
func ListenREST(cfg *workerconfig.Worker) (*rest.Security, []net.Listener, []string, error) {
	https := false
	for _, l := range cfg.Listeners {
		https = https || l.Scheme == "https"
	}
	sec, err := rest.NewSecurity(cfg.Props, https)
	if err != nil {
		return nil, nil, nil, err
	}
	listeners, addrs, err := Listen(cfg, sec.Listen)
	return sec, listeners, addrs, err
}

// CloseListeners closes listeners no server took over.
func CloseListeners(listeners []net.Listener) {
	for _, l := range listeners {
		_ = l.Close()
	}
}

// OffsetHistorySize reads offset.history.size, the offsets kept per partition; 0 when unset
// leaves the store's default.
func OffsetHistorySize(cfg *workerconfig.Worker) (int, error) {
	v, ok := cfg.Props["offset.history.size"]
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("offset.history.size=%s: expected a positive number of entries per partition", v)
	}
	return n, nil
}
