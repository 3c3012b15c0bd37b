// Package metrics writes metrics in the Prometheus text exposition format (version 0.0.4), named
// as the Prometheus JMX exporter rules that Strimzi ships turn Kafka Connect's MBeans into, so an
// existing dashboard keeps working (see docs/metrics.md).
package metrics

import (
	"io"
	"math"
	"strconv"
)

// Label is one label of a sample.
type Label struct{ Name, Value string }

// Writer appends metric families to a buffer; Flush writes them out. Families must be written
// whole (HELP, TYPE, then every sample), one after the other.
type Writer struct {
	b []byte
}

// Family starts a metric family: its HELP and TYPE lines. typ is "gauge", "counter" or "untyped".
func (w *Writer) Family(name, typ, help string) {
	w.b = append(w.b, "# HELP "...)
	w.b = append(w.b, name...)
	w.b = append(w.b, ' ')
	for i := 0; i < len(help); i++ {
		switch help[i] {
		case '\\':
			w.b = append(w.b, `\\`...)
		case '\n':
			w.b = append(w.b, `\n`...)
		default:
			w.b = append(w.b, help[i])
		}
	}
	w.b = append(w.b, "\n# TYPE "...)
	w.b = append(w.b, name...)
	w.b = append(w.b, ' ')
	w.b = append(w.b, typ...)
	w.b = append(w.b, '\n')
}

// Sample writes one sample of the current family.
func (w *Writer) Sample(name string, v float64, labels ...Label) {
	w.b = append(w.b, name...)
	if len(labels) > 0 {
		w.b = append(w.b, '{')
		for i, l := range labels {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = append(w.b, l.Name...)
			w.b = append(w.b, `="`...)
			for j := 0; j < len(l.Value); j++ {
				switch c := l.Value[j]; c {
				case '\\':
					w.b = append(w.b, `\\`...)
				case '"':
					w.b = append(w.b, `\"`...)
				case '\n':
					w.b = append(w.b, `\n`...)
				default:
					w.b = append(w.b, c)
				}
			}
			w.b = append(w.b, '"')
		}
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, ' ')
	switch {
	case math.IsNaN(v):
		w.b = append(w.b, "NaN"...)
	case math.IsInf(v, 1):
		w.b = append(w.b, "+Inf"...)
	case math.IsInf(v, -1):
		w.b = append(w.b, "-Inf"...)
	default:
		w.b = strconv.AppendFloat(w.b, v, 'g', -1, 64)
	}
	w.b = append(w.b, '\n')
}

// Flush writes what was appended and resets the buffer.
func (w *Writer) Flush(out io.Writer) error {
	_, err := out.Write(w.b)
	w.b = w.b[:0]
	return err
}

// Bytes returns what was appended so far.
func (w *Writer) Bytes() []byte { return w.b }

// ContentType is the Content-Type of the text exposition format.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"
