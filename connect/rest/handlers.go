package rest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime/herder"
)

// ---- root ----

func (s *Server) serverInfo(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	info, err := s.herder.ServerInfo(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if !s.herder.Ready() {
		writeJSON(w, http.StatusServiceUnavailable, WorkerStatus{Status: "starting", Message: "Worker is still starting up."})
		return
	}
	writeJSON(w, http.StatusOK, WorkerStatus{Status: "healthy", Message: "Worker has completed startup and is ready to handle requests."})
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(OpenAPI)
}

// ---- connectors ----

func (s *Server) listConnectors(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	names, err := s.herder.Connectors(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	if _, ok := q["expand"]; !ok {
		if names == nil {
			names = []string{}
		}
		writeJSON(w, http.StatusOK, names)
		return
	}
	out := make(map[string]map[string]any, len(names))
	for _, name := range names {
		exp := map[string]any{}
		gone := false
		for _, e := range q["expand"] {
			switch e {
			case "status":
				st, err := s.herder.ConnectorStatus(ctx, name)
				if err != nil {
					gone = isNotFound(err)
					if !gone {
						s.fail(w, r, err)
						return
					}
					continue
				}
				exp["status"] = st
			case "info":
				info, err := s.herder.ConnectorInfo(ctx, name)
				if err != nil {
					gone = isNotFound(err)
					if !gone {
						s.fail(w, r, err)
						return
					}
					continue
				}
				exp["info"] = s.maskInfo(info)
			default:
				// Kafka Connect ignores unknown expansions.
			}
		}
		// A connector deleted while we looked it up is left out, as in Kafka Connect.
		if !gone {
			out[name] = exp
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func isNotFound(err error) bool {
	var re *herder.Error
	return errors.As(err, &re) && re.Status == http.StatusNotFound
}

func (s *Server) maskInfo(info herder.ConnectorInfo) herder.ConnectorInfo {
	info.Config = s.herder.Plugins().Mask(info.Config)
	if info.Tasks == nil {
		info.Tasks = []herder.TaskID{}
	}
	return info
}

func (s *Server) createConnector(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req, err := parseCreate(body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := strings.TrimSpace(req.Name)
	if err := checkName(name, req.Config); err != nil {
		s.fail(w, r, err)
		return
	}
	initial, err := initialState(req.InitialState)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	info, _, err := s.herder.PutConnectorConfig(ctx, name, req.Config, initial, false)
	if err != nil {
		s.failOrForward(w, r, body, err)
		return
	}
	w.Header().Set("Location", location(r, name))
	writeJSON(w, http.StatusCreated, s.maskInfo(info))
}

func initialState(s string) (herder.TargetState, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "":
		return "", nil
	case "RUNNING":
		return herder.TargetStarted, nil
	case "PAUSED":
		return herder.TargetPaused, nil
	case "STOPPED":
		return herder.TargetStopped, nil
	}
	return "", herder.BadRequest("Invalid initial_state %q: must be one of RUNNING, PAUSED, STOPPED", s)
}

// checkName puts the connector name into its config, refusing a config that names another
// connector (Kafka Connect's checkAndPutConnectorConfigName, with its message).
func checkName(name string, config map[string]string) error {
	if included, ok := config["name"]; ok {
		if included != name {
			return herder.BadRequest("Connector name configuration (%s) doesn't match connector name in the URL (%s)", included, name)
		}
		return nil
	}
	config["name"] = name
	return nil
}

func location(r *http.Request, name string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/connectors/" + url.PathEscape(name)
}

func (s *Server) getConnector(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	info, err := s.herder.ConnectorInfo(ctx, r.PathValue("connector"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.maskInfo(info))
}

func (s *Server) getConnectorConfig(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	info, err := s.herder.ConnectorInfo(ctx, r.PathValue("connector"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.herder.Plugins().Mask(info.Config))
}

func (s *Server) putConnectorConfig(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("connector")
	body, err := readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cfg, err := parseConfig(body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := checkName(name, cfg); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	info, created, err := s.herder.PutConnectorConfig(ctx, name, cfg, "", true)
	if err != nil {
		s.failOrForward(w, r, body, err)
		return
	}
	status := http.StatusOK
	if created {
		w.Header().Set("Location", location(r, name))
		status = http.StatusCreated
	}
	writeJSON(w, status, s.maskInfo(info))
}

func (s *Server) patchConnectorConfig(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	patch, err := parsePatch(body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	info, err := s.herder.PatchConnectorConfig(ctx, r.PathValue("connector"), patch)
	if err != nil {
		s.failOrForward(w, r, body, err)
		return
	}
	writeJSON(w, http.StatusOK, s.maskInfo(info))
}

func (s *Server) deleteConnector(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	if err := s.herder.DeleteConnector(ctx, r.PathValue("connector")); err != nil {
		s.failOrForward(w, r, nil, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getConnectorStatus(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	st, err := s.herder.ConnectorStatus(ctx, r.PathValue("connector"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if st.Tasks == nil {
		st.Tasks = []herder.TaskState{}
	}
	writeJSON(w, http.StatusOK, st)
}

func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, herder.Errorf(http.StatusNotFound, "HTTP 404 Not Found")
	}
	return b, nil
}

func (s *Server) restartConnector(w http.ResponseWriter, r *http.Request) {
	includeTasks, err := boolParam(r, "includeTasks")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	onlyFailed, err := boolParam(r, "onlyFailed")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req := herder.RestartRequest{Connector: r.PathValue("connector"), OnlyFailed: onlyFailed, IncludeTasks: includeTasks}
	ctx, cancel := s.ctx(r)
	defer cancel()
	if req.ForceRestartConnectorOnly() {
		// Kafka Connect keeps the legacy behaviour: restart the connector instance, 204.
		if err := s.herder.RestartConnector(ctx, req.Connector); err != nil {
			s.failOrForward(w, r, nil, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	st, err := s.herder.RestartConnectorAndTasks(ctx, req)
	if err != nil {
		s.failOrForward(w, r, nil, err)
		return
	}
	if st.Tasks == nil {
		st.Tasks = []herder.TaskState{}
	}
	writeJSON(w, http.StatusAccepted, st)
}

func (s *Server) pauseConnector(w http.ResponseWriter, r *http.Request) {
	s.changeTargetState(w, r, s.herder.PauseConnector, http.StatusAccepted)
}

func (s *Server) resumeConnector(w http.ResponseWriter, r *http.Request) {
	s.changeTargetState(w, r, s.herder.ResumeConnector, http.StatusAccepted)
}

func (s *Server) stopConnector(w http.ResponseWriter, r *http.Request) {
	s.changeTargetState(w, r, s.herder.StopConnector, http.StatusNoContent)
}

// changeTargetState serves PUT /connectors/{c}/pause|resume|stop: one herder call, then a
// bodiless answer (Kafka Connect's 202 for pause and resume, 204 for stop).
func (s *Server) changeTargetState(w http.ResponseWriter, r *http.Request, change func(context.Context, string) error, status int) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	if err := change(ctx, r.PathValue("connector")); err != nil {
		s.failOrForward(w, r, nil, err)
		return
	}
	w.WriteHeader(status)
}

// ---- tasks ----

func (s *Server) getTasks(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	name := r.PathValue("connector")
	tasks, err := s.herder.TaskConfigs(ctx, name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]herder.TaskInfo, 0, len(tasks))
	for _, t := range tasks {
		// Task configs usually carry the connector's settings, secrets included.
		t.Config = s.maskTaskConfig(ctx, name, t.Config)
		out = append(out, t)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) maskTaskConfig(ctx context.Context, connector string, cfg map[string]string) map[string]string {
	reg := s.herder.Plugins()
	if _, ok := cfg["connector.class"]; ok {
		return reg.Mask(cfg)
	}
	var spec api.ConfigSpec
	if info, err := s.herder.ConnectorInfo(ctx, connector); err == nil {
		spec = reg.Spec(info.Config)
	}
	return plugins.MaskWith(spec, cfg)
}

func taskParam(r *http.Request) (herder.TaskID, error) {
	n, err := strconv.Atoi(r.PathValue("task"))
	if err != nil || n < 0 {
		// Jersey does not match a non-integer path parameter: 404.
		return herder.TaskID{}, herder.NotFound("HTTP 404 Not Found")
	}
	return herder.TaskID{Connector: r.PathValue("connector"), Task: n}, nil
}

func (s *Server) getTaskStatus(w http.ResponseWriter, r *http.Request) {
	id, err := taskParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	st, err := s.herder.TaskStatus(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) restartTask(w http.ResponseWriter, r *http.Request) {
	id, err := taskParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	if err := s.herder.RestartTask(ctx, id); err != nil {
		s.failOrForward(w, r, nil, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ---- offsets ----

func (s *Server) getOffsets(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	offs, err := s.herder.ConnectorOffsets(ctx, r.PathValue("connector"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if offs.Offsets == nil {
		offs.Offsets = []herder.ConnectorOffset{}
	}
	writeJSON(w, http.StatusOK, wireOffsets(offs))
}

func (s *Server) alterOffsets(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	offs, err := parseOffsets(body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(offs.Offsets) == 0 {
		s.fail(w, r, herder.BadRequest(msgNoOffsets))
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	msg, err := s.herder.AlterConnectorOffsets(ctx, r.PathValue("connector"), offs)
	if err != nil {
		s.failOrForward(w, r, body, err)
		return
	}
	writeJSON(w, http.StatusOK, msg)
}

func (s *Server) resetOffsets(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	msg, err := s.herder.ResetConnectorOffsets(ctx, r.PathValue("connector"))
	if err != nil {
		s.failOrForward(w, r, nil, err)
		return
	}
	writeJSON(w, http.StatusOK, msg)
}

func (s *Server) getOffsetHistory(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	h, err := s.herder.ConnectorOffsetHistory(ctx, r.PathValue("connector"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if h.History == nil {
		h.History = []herder.OffsetHistoryEntry{}
	}
	writeJSON(w, http.StatusOK, h)
}

// ---- topics ----

func (s *Server) getActiveTopics(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	name := r.PathValue("connector")
	topics, err := s.herder.ConnectorActiveTopics(ctx, name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if topics == nil {
		topics = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]ActiveTopics{name: {Topics: topics}})
}

func (s *Server) resetActiveTopics(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	if err := s.herder.ResetConnectorActiveTopics(ctx, r.PathValue("connector")); err != nil {
		s.failOrForward(w, r, nil, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// ---- plugins ----

func (s *Server) listPlugins(w http.ResponseWriter, r *http.Request) {
	connectorsOnly := true
	if v := r.URL.Query().Get("connectorsOnly"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.fail(w, r, herder.NotFound("HTTP 404 Not Found"))
			return
		}
		connectorsOnly = b
	}
	var out []PluginInfo
	for _, p := range s.herder.Plugins().List() {
		out = append(out, PluginInfo{Class: p.Class, Type: herder.ConnectorTypeSource, Version: p.Version})
	}
	if !connectorsOnly {
		for _, c := range converterClasses {
			out = append(out, PluginInfo{Class: c, Type: "converter"})
		}
	}
	if out == nil {
		out = []PluginInfo{}
	}
	writeJSON(w, http.StatusOK, out)
}

// converterClasses are the converter plugins listed by GET /connector-plugins?connectorsOnly=false.
var converterClasses = []string{
	"org.apache.kafka.connect.converters.ByteArrayConverter",
	"org.apache.kafka.connect.json.JsonConverter",
	"org.apache.kafka.connect.storage.StringConverter",
}

func (s *Server) getPluginConfig(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	defs, err := s.herder.ConnectorPluginConfig(ctx, r.PathValue("plugin"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if defs == nil {
		defs = []herder.ConfigKeyInfo{}
	}
	writeJSON(w, http.StatusOK, defs)
}

// normalizedPluginName drops a "Connector" suffix so full and short names compare, as Kafka does.
func normalizedPluginName(n string) string {
	if s, ok := strings.CutSuffix(n, "Connector"); ok && s != "" {
		return s
	}
	return n
}

func (s *Server) validateConfig(w http.ResponseWriter, r *http.Request) {
	plugin := r.PathValue("plugin")
	body, err := readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cfg, err := parseConfig(body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if included, ok := cfg["connector.class"]; ok {
		if !strings.HasSuffix(normalizedPluginName(included), normalizedPluginName(plugin)) {
			s.fail(w, r, herder.BadRequest("Included connector type %s does not match request type %s", included, plugin))
			return
		}
	} else {
		// Kafka requires connector.class in the body; the path already names the plugin, so
		// connectd takes it from there.
		cfg["connector.class"] = plugin
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	infos, err := s.herder.ValidateConnectorConfig(ctx, cfg)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, infos)
}

// ---- loggers ----

func (s *Server) listLoggers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.loggers.Levels())
}

func (s *Server) getLogger(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("logger")
	lvl, ok := s.loggers.Level(name)
	if !ok {
		s.fail(w, r, herder.NotFound("Logger %s not found.", name))
		return
	}
	writeJSON(w, http.StatusOK, lvl)
}

func (s *Server) setLogger(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("logger")
	body, err := readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m, err := parseConfig(body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	level, ok := m["level"]
	if !ok {
		s.fail(w, r, herder.BadRequest("Desired 'level' parameter was not specified in request."))
		return
	}
	affected, err := s.loggers.SetLevel(name, level)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if strings.EqualFold(r.URL.Query().Get("scope"), "cluster") {
		// A standalone worker is the whole cluster; a distributed herder would fan out here.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	sort.Strings(affected)
	if affected == nil {
		affected = []string{}
	}
	writeJSON(w, http.StatusOK, affected)
}

// ---- forwarding ----

// failOrForward forwards the request to the leader when the herder says only the leader can
// serve it, as Kafka Connect's HerderRequestHandler does: the first worker forwards with
// forward=true (one more hop allowed), the second with forward=false; a third refusal is a 409.
func (s *Server) failOrForward(w http.ResponseWriter, r *http.Request, body []byte, err error) {
	var nl *herder.NotLeaderError
	if !errors.As(err, &nl) {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	fwd := q.Get("forward")
	if fwd == "false" {
		writeError(w, http.StatusConflict, "Cannot complete request because of a conflicting operation (e.g. worker rebalance)")
		return
	}
	if nl.LeaderURL == "" {
		writeError(w, http.StatusConflict, "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.")
		return
	}
	q.Set("forward", strconv.FormatBool(fwd == ""))
	target := strings.TrimRight(nl.LeaderURL, "/") + r.URL.EscapedPath() + "?" + q.Encode()
	req, err := http.NewRequestWithContext(r.Context(), r.Method, target, bytes.NewReader(body))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	// The leader authenticates the user again, as Kafka Connect's RestClient forwards the
	// Authorization header.
	if a := r.Header.Get("Authorization"); a != "" {
		req.Header.Set("Authorization", a)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "IO Error trying to forward REST request: "+err.Error())
		return
	}
	defer resp.Body.Close()
	for _, h := range []string{"Content-Type", "Location"} {
		if v := resp.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}
