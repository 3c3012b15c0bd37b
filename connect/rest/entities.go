package rest

import (
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/offsets"
)

type WorkerStatus struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

type CreateConnectorRequest struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
	// InitialState is RUNNING, PAUSED or STOPPED (case-insensitive); empty means RUNNING.
	InitialState string `json:"initial_state,omitempty"`
}

type wireOffsets herder.ConnectorOffsets

func (o wireOffsets) MarshalJSON() ([]byte, error) {
	b := append(make([]byte, 0, 256), `{"offsets":[`...)
	var err error
	for i, off := range o.Offsets {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"partition":`...)
		if b, err = appendJSONMap(b, off.Partition); err != nil {
			return nil, err
		}
		b = append(b, `,"offset":`...)
		if b, err = appendJSONMap(b, off.Offset); err != nil {
			return nil, err
		}
		b = append(b, '}')
	}
	return append(b, "]}"...), nil
}

func appendJSONMap(dst []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(dst, "null"...), nil
	}
	return offsets.AppendOffset(dst, m)
}

type PluginInfo struct {
	Class   string `json:"class"`
	Type    string `json:"type"`
	Version string `json:"version,omitempty"`
}

type ActiveTopics struct {
	Topics []string `json:"topics"`
}
