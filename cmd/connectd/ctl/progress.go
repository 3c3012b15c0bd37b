package ctl

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// taskProgress is connectd's progress addition to a task status (absent from Kafka Connect's).
type taskProgress struct {
	Phase             string   `json:"phase"`
	Table             string   `json:"table,omitempty"`
	RowsDone          int64    `json:"rows_done"`
	RowsEstimated     *int64   `json:"rows_estimated,omitempty"`
	Percent           *float64 `json:"percent,omitempty"`
	Rate              float64  `json:"rate"`
	ETASeconds        *float64 `json:"eta_seconds,omitempty"`
	TablesDone        int64    `json:"tables_done"`
	TablesTotal       int64    `json:"tables_total"`
	SnapshotCompleted bool     `json:"snapshot_completed"`
	EventsSeen        int64    `json:"events_seen"`
}

// taskLag is connectd's lag addition to a streaming task's status.
type taskLag struct {
	MsBehindSource    *int64 `json:"ms_behind_source,omitempty"`
	BinlogFile        string `json:"binlog_file,omitempty"`
	BinlogPosition    *int64 `json:"binlog_position,omitempty"`
	BinlogBytesBehind *int64 `json:"binlog_bytes_behind,omitempty"`
	SlotLagBytes      *int64 `json:"slot_lag_bytes,omitempty"`
	Error             string `json:"error,omitempty"`
}

// describeProgress is the PROGRESS column of `status`: the snapshot's table, rows, percent, rate
// and ETA, or the streamed events and the lag; "-" when the worker reports nothing.
func describeProgress(p *taskProgress, l *taskLag) string {
	if p == nil {
		return "-"
	}
	var parts []string
	switch p.Phase {
	case "snapshot":
		rows := count(p.RowsDone)
		if p.RowsEstimated != nil {
			rows += "/~" + count(*p.RowsEstimated)
		}
		s := "snapshot"
		if p.Table != "" {
			s += " " + p.Table
		}
		parts = append(parts, s, fmt.Sprintf("table %d/%d", min(p.TablesDone+1, p.TablesTotal), p.TablesTotal), rows+" rows")
		if p.Percent != nil {
			parts = append(parts, strconv.FormatFloat(*p.Percent, 'f', 1, 64)+"%")
		}
		parts = append(parts, count(int64(p.Rate))+" rows/s")
		if p.ETASeconds != nil {
			parts = append(parts, "ETA "+(time.Duration(*p.ETASeconds)*time.Second).String())
		}
	case "streaming":
		parts = append(parts, "streaming", count(p.EventsSeen)+" events")
		if p.SnapshotCompleted {
			parts = append(parts, "snapshot "+count(p.RowsDone)+" rows")
		}
	default:
		parts = append(parts, p.Phase)
	}
	if l != nil {
		if l.MsBehindSource != nil {
			parts = append(parts, count(*l.MsBehindSource)+" ms behind")
		}
		if l.BinlogFile != "" && l.BinlogPosition != nil {
			parts = append(parts, "binlog "+l.BinlogFile+":"+strconv.FormatInt(*l.BinlogPosition, 10))
		}
		if l.BinlogBytesBehind != nil {
			parts = append(parts, count(*l.BinlogBytesBehind)+" binlog bytes behind")
		}
		if l.SlotLagBytes != nil {
			parts = append(parts, "slot lag "+count(*l.SlotLagBytes)+" bytes")
		}
	}
	return strings.Join(parts, ", ")
}

// count writes n with thousands separators.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
