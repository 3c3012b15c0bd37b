package changetable

import (
	"fmt"
	"strconv"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/envelope"
)

// The mappings of the column types both change-table connectors read the same way, from the
// values database/sql drivers hand over; a value of another Go type is an error naming the
// column (BadValue).

// BadValue is the error for a driver value of an unexpected Go type.
func BadValue(c *relational.Column, raw any) error {
	return fmt.Errorf("column %s (%s): unexpected driver value %T", c.Name, c.TypeName, raw)
}

// DecimalColumn maps a DECIMAL(prec, scale) column (text, or a float64) as decimal.handling.mode
// says.
func DecimalColumn(c *relational.Column, m envelope.DecimalMode, prec, scale int) envelope.Column {
	return envelope.Column{Name: c.Name, Schema: envelope.DecimalFieldSchema(m, prec, scale).Build(), Convert: func(raw any) (any, error) {
		var s string
		switch x := raw.(type) {
		case []byte:
			s = string(x)
		case string:
			s = x
		case float64:
			s = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			return nil, BadValue(c, raw)
		}
		dec, err := api.ParseDecimal(s)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		if dec, err = envelope.Rescale(dec, int32(scale)); err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		return envelope.DecimalFieldValue(m, dec, scale)
	}}
}

// TextColumn maps a character column to a string of schema (api.StringSchema unless set).
func TextColumn(c *relational.Column, schema *api.Schema) envelope.Column {
	if schema == nil {
		schema = api.StringSchema
	}
	return envelope.Column{Name: c.Name, Schema: schema, Convert: func(raw any) (any, error) {
		switch x := raw.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
		return nil, BadValue(c, raw)
	}}
}

// BinaryColumn maps a binary column as binary.handling.mode says.
func BinaryColumn(c *relational.Column, m envelope.BinaryMode) envelope.Column {
	return envelope.Column{Name: c.Name, Schema: envelope.BinaryFieldSchema(m).Build(), Convert: func(raw any) (any, error) {
		b, ok := raw.([]byte)
		if !ok {
			return nil, BadValue(c, raw)
		}
		return envelope.BinaryFieldValue(m, b), nil
	}}
}

// DateColumn maps a DATE column as time.precision.mode says.
func DateColumn(c *relational.Column, m envelope.TimePrecisionMode) envelope.Column {
	return envelope.Column{Name: c.Name, Schema: envelope.DateFieldSchema(m).Build(), Convert: func(raw any) (any, error) {
		t, ok := raw.(time.Time)
		if !ok {
			return nil, BadValue(c, raw)
		}
		return envelope.DateFieldValue(m, t), nil
	}}
}

// PrecisionScale returns a column's length (its precision) and scale, 0 when unknown.
func PrecisionScale(c *relational.Column) (prec, scale int) {
	if c.Length.Valid {
		prec = c.Length.V
	}
	if c.Scale.Valid {
		scale = c.Scale.V
	}
	return prec, scale
}
