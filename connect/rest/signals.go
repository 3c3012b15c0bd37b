package rest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/connectd/connectd/signals"
)

// SignalRequest is the body of POST /connectors/{connector}/signals: Debezium's signal, whose
// data may be a JSON object or a string holding one.
type SignalRequest struct {
	ID   string          `json:"id"`
	Type string          `json:"type"`
	Data json.RawMessage `json:"data,omitempty"`
}

// postSignal hands a signal to the connector's tasks running in this worker (the REST signal
// channel). A malformed signal answers 400 with the reason, so the caller sees it at once.
func (s *Server) postSignal(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("connector")
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, "cannot read the request body: "+err.Error())
		return
	}
	var req SignalRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, `the body is not a JSON signal {"id", "type", "data"}: `+err.Error())
		return
	}
	sig := signals.Signal{ID: req.ID, Type: req.Type}
	if len(req.Data) > 0 && req.Data[0] == '"' {
		if err := json.Unmarshal(req.Data, &sig.Data); err != nil {
			writeError(w, http.StatusBadRequest, "the signal's data: "+err.Error())
			return
		}
	} else if len(req.Data) > 0 {
		sig.Data = string(req.Data)
	}
	switch err := signals.Deliver(name, sig); {
	case err == nil:
		writeJSON(w, http.StatusAccepted, req)
	case errors.Is(err, signals.ErrNoTask):
		writeError(w, http.StatusNotFound, "no task of connector "+name+" runs in this worker: send the signal to the worker that runs its task, or use the signal table or Kafka channel")
	case errors.Is(err, signals.ErrBusy):
		writeError(w, http.StatusServiceUnavailable, err.Error())
	default:
		writeError(w, http.StatusBadRequest, "malformed signal: "+err.Error())
	}
}

// getNotifications lists the recent notifications of the connector's tasks in this worker.
func (s *Server) getNotifications(w http.ResponseWriter, r *http.Request) {
	type notification struct {
		ID             string            `json:"id"`
		AggregateType  string            `json:"aggregate_type"`
		Type           string            `json:"type"`
		AdditionalData map[string]string `json:"additional_data"`
		Timestamp      int64             `json:"timestamp"`
	}
	out := []notification{}
	for _, n := range signals.Notifications(r.PathValue("connector")) {
		out = append(out, notification{ID: n.ID, AggregateType: n.AggregateType, Type: n.Type, AdditionalData: n.AdditionalData, Timestamp: n.Timestamp})
	}
	writeJSON(w, http.StatusOK, out)
}
