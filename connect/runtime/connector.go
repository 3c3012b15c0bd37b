package runtime

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/connect/workerconfig"
	"github.com/connectd/connectd/offsets"
)

// connectorRunner is one connector instance and its state machine, as Kafka Connect's
// WorkerConnector: the instance is started while the target state is STARTED and stopped while it
// is PAUSED or STOPPED; a failure sticks until the connector is restarted. Calls into the
// connector are serialised by mu, so a connector sees one goroutine at a time.
type connectorRunner struct {
	name        string
	w           *Worker
	log         *slog.Logger
	config      map[string]string // as stored: ${...} references unresolved
	resolved    map[string]string // config with references resolved at the last start
	secrets     []string          // resolved reference values, scrubbed from traces and logs
	conn        api.SourceConnector
	reconfigure func() // asks the herder to recompute task configs; must not block

	mu      sync.Mutex
	target  herder.TargetState
	started bool // conn.Start succeeded and conn.Stop was not called since
	failed  bool
}

// Offsets implements api.ConnectorContext.
func (c *connectorRunner) Offsets() api.OffsetReader { return offsets.ReaderFor(c.w.offsets, c.name) }

// RequestTaskReconfiguration implements api.ConnectorContext; the herder does the work on its own
// goroutine, so a connector may call it from anywhere, Start included.
func (c *connectorRunner) RequestTaskReconfiguration() {
	if c.reconfigure != nil {
		c.reconfigure()
	}
}

// RaiseError implements api.ConnectorContext: the connector fails with err as its trace. It runs
// on its own goroutine because a connector may raise from inside Start, while mu is held.
func (c *connectorRunner) RaiseError(err error) {
	go func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.failLocked("the connector raised an error", err)
	}()
}

func (c *connectorRunner) report(s herder.State, trace string) {
	c.w.listener.OnConnectorState(c.name, s, trace)
}

func (c *connectorRunner) failLocked(what string, err error) {
	if c.failed {
		return
	}
	c.failed = true
	c.stopInstanceLocked()
	msg := scrub(what+": "+err.Error(), c.secrets)
	if st := api.PanicStack(err); st != nil {
		c.log.Error("connector failed", "error", msg, "stack", string(st))
	} else {
		c.log.Error("connector failed", "error", msg)
	}
	c.report(herder.StateFailed, scrub(withStack(msg+fmt.Sprintf("\n\nThe connector stays FAILED until it is restarted; after fixing the cause, run POST /connectors/%s/restart.", c.name), err), c.secrets))
}

// transition moves the instance towards target and reports the resulting state.
func (c *connectorRunner) transition(target herder.TargetState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.target = target
	if c.failed {
		// As in Kafka Connect, a failed connector ignores target state changes until restarted.
		return
	}
	switch target {
	case herder.TargetStarted:
		if !c.started {
			// References are resolved at each start, so a changed secret is picked up by a restart
			// and the resolved values live only in this instance.
			resolved, err := c.w.providers.Transform(c.config)
			if err != nil {
				c.failLocked("the connector's configuration could not be resolved", err)
				return
			}
			c.resolved, c.secrets = resolved, secretValues(c.config, resolved)
			if err := safely(func() error { return c.conn.Start(c, resolved) }); err != nil {
				c.failLocked("the connector failed to start", err)
				return
			}
			c.started = true
		}
		c.report(herder.StateRunning, "")
	case herder.TargetPaused:
		c.stopInstanceLocked()
		c.report(herder.StatePaused, "")
	case herder.TargetStopped:
		c.stopInstanceLocked()
		c.report(herder.StateStopped, "")
	}
}

func (c *connectorRunner) stopInstanceLocked() {
	if !c.started {
		return
	}
	c.started = false
	if err := safely(c.conn.Stop); err != nil {
		c.log.Warn("the connector's Stop returned an error", "error", err)
	}
}

// shutdown stops the instance for good.
func (c *connectorRunner) shutdown() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopInstanceLocked()
	c.failed = true // no more transitions
}

// running reports whether the instance is started (target STARTED and not failed).
func (c *connectorRunner) running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.started && !c.failed
}

// taskConfigs asks the started connector for its task configurations, enforcing tasks.max as
// Kafka Connect does.
func (c *connectorRunner) taskConfigs(maxTasks int) ([]map[string]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.started || c.failed {
		return nil, fmt.Errorf("connector %s is not running", c.name)
	}
	var cfgs []map[string]string
	err := safely(func() error {
		var err error
		cfgs, err = c.conn.TaskConfigs(maxTasks)
		return err
	})
	if err != nil {
		c.failLocked("the connector failed to generate task configurations", err)
		return nil, err
	}
	// Task configs are stored and shown by REST: they get the raw references back.
	cfgs = workerconfig.ReverseTransform(c.config, c.resolved, cfgs)
	if len(cfgs) > maxTasks {
		err := fmt.Errorf("the connector %s has generated %d tasks, which is greater than %d, the maximum number of tasks it is configured to create; this is a bug in the connector, or raise tasks.max", c.name, len(cfgs), maxTasks)
		c.failLocked("the connector generated too many tasks", err)
		return nil, err
	}
	return cfgs, nil
}

// secretValues lists the values config providers put into resolved, longest first so that a
// secret containing another is scrubbed whole.
func secretValues(raw, resolved map[string]string) []string {
	var out []string
	for k, v := range raw {
		if workerconfig.HasVariables(v) && resolved[k] != v {
			for _, s := range resolvedParts(v, resolved[k]) {
				if s != "" {
					out = append(out, s)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// resolvedParts returns what the references of raw became in resolved: the whole resolved value
// when raw is a single reference, otherwise the resolved value minus raw's literal prefix and
// suffix.
func resolvedParts(raw, resolved string) []string {
	i := strings.Index(raw, "${")
	j := strings.LastIndex(raw, "}")
	if i < 0 || j < i {
		return nil
	}
	prefix, suffix := raw[:i], raw[j+1:]
	if !strings.HasPrefix(resolved, prefix) || !strings.HasSuffix(resolved, suffix) || len(resolved) < len(prefix)+len(suffix) {
		return []string{resolved}
	}
	return []string{resolved[len(prefix) : len(resolved)-len(suffix)]}
}

// scrub replaces every secret in s with [hidden], as Kafka Connect hides passwords. Values of one
// or two characters (a port digit, a flag) are left: hiding them would garble whole traces.
func scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 3 {
			s = strings.ReplaceAll(s, sec, "[hidden]")
		}
	}
	return s
}
