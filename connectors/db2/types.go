package db2

import (
	"database/sql"
	"strconv"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/changetable"
	"github.com/connectd/connectd/connectors/envelope"
)

// jdbcTypes maps SYSCAT.COLUMNS.TYPENAME to the JDBC type codes IBM's JDBC driver reports
// ("Data types that map to database data types in Java applications", IBM Db2 documentation).
var jdbcTypes = map[string]int{
	"SMALLINT": relational.TypeSmallInt, "INTEGER": relational.TypeInteger, "BIGINT": relational.TypeBigInt,
	"DECIMAL": relational.TypeDecimal, "REAL": relational.TypeReal, "DOUBLE": relational.TypeDouble, "DECFLOAT": relational.TypeOther,
	"CHARACTER": relational.TypeChar, "VARCHAR": relational.TypeVarchar, "LONG VARCHAR": relational.TypeLongVarchar, "CLOB": relational.TypeClob,
	"GRAPHIC": relational.TypeChar, "VARGRAPHIC": relational.TypeVarchar, "DBCLOB": relational.TypeClob,
	"BINARY": relational.TypeBinary, "VARBINARY": relational.TypeVarbinary, "BLOB": relational.TypeBlob,
	"DATE": relational.TypeDate, "TIME": relational.TypeTime, "TIMESTAMP": relational.TypeTimestamp,
	"BOOLEAN": relational.TypeBoolean, "XML": relational.TypeSQLXML,
}

// column builds a relational column from SYSCAT.COLUMNS.
func column(name, typ string, length, scale int64, optional bool, def sql.NullString, identity, generated bool) relational.Column {
	c := relational.Column{Name: name, TypeName: typ, TypeExpression: typ, Optional: optional, AutoIncremented: identity, Generated: generated}
	c.JDBCType = relational.TypeOther
	if j, ok := jdbcTypes[typ]; ok {
		c.JDBCType = j
	}
	c.Length = relational.Int(int(length))
	if typ == "DECIMAL" || typ == "TIMESTAMP" {
		c.Scale = relational.Int(int(scale))
	}
	if def.Valid {
		c.DefaultValueExpression = sql.Null[string]{V: def.String, Valid: true}
	}
	return c
}

// Columns maps a table's columns to Connect as Debezium's Db2ValueConverters (the JDBC
// defaults) does.
func (d *dialect) Columns(t *relational.Table) ([]envelope.Column, error) {
	return changetable.MapColumns(t, func(col string) bool { return d.cfg.Filters.IncludeColumn(t.ID, col) },
		func(c *relational.Column) (envelope.Column, error) { return d.mapColumn(c), nil })
}

func asInt(raw any) (int64, bool) {
	switch x := raw.(type) {
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int:
		return int64(x), true
	case []byte:
		n, err := strconv.ParseInt(string(x), 10, 64)
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	}
	return 0, false
}

func asFloat(raw any) (float64, bool) {
	switch x := raw.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case []byte:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

func (d *dialect) mapColumn(c *relational.Column) envelope.Column {
	v := d.cfg.Values
	prec, scale := changetable.PrecisionScale(c)
	bad := func(raw any) error { return changetable.BadValue(c, raw) }
	col := envelope.Column{Name: c.Name}
	switch c.TypeName {
	case "SMALLINT", "INTEGER", "BIGINT":
		kind := map[string]*api.Schema{"SMALLINT": api.Int16Schema, "INTEGER": api.Int32Schema, "BIGINT": api.Int64Schema}[c.TypeName]
		col.Schema = kind
		col.Convert = func(raw any) (any, error) {
			n, ok := asInt(raw)
			if !ok {
				return nil, bad(raw)
			}
			switch c.TypeName {
			case "SMALLINT":
				return int16(n), nil
			case "INTEGER":
				return int32(n), nil
			}
			return n, nil
		}
	case "REAL", "DOUBLE":
		col.Schema = api.Float64Schema
		if c.TypeName == "REAL" {
			col.Schema = api.Float32Schema
		}
		col.Convert = func(raw any) (any, error) {
			f, ok := asFloat(raw)
			if !ok {
				return nil, bad(raw)
			}
			if c.TypeName == "REAL" {
				return float32(f), nil
			}
			return f, nil
		}
	case "DECIMAL":
		col = changetable.DecimalColumn(c, v.Decimal, prec, scale)
	case "CHARACTER", "VARCHAR", "LONG VARCHAR", "CLOB", "GRAPHIC", "VARGRAPHIC", "DBCLOB", "XML", "DECFLOAT":
		col = changetable.TextColumn(c, nil)
	case "BINARY", "VARBINARY", "BLOB":
		col = changetable.BinaryColumn(c, v.Binary)
	case "BOOLEAN":
		col.Schema = api.BooleanSchema
		col.Convert = func(raw any) (any, error) {
			if b, ok := raw.(bool); ok {
				return b, nil
			}
			n, ok := asInt(raw)
			if !ok {
				return nil, bad(raw)
			}
			return n != 0, nil
		}
	case "DATE":
		col = changetable.DateColumn(c, v.Time)
	case "TIME":
		col.Schema = envelope.TimeFieldSchema(v.Time, 0).Build()
		col.Convert = func(raw any) (any, error) {
			t, ok := raw.(time.Time)
			if !ok {
				return nil, bad(raw)
			}
			since := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second
			return envelope.TimeFieldValue(v.Time, 0, since), nil
		}
	case "TIMESTAMP":
		col.Schema = envelope.TimestampFieldSchema(v.Time, scale).Build()
		col.Convert = func(raw any) (any, error) {
			t, ok := raw.(time.Time)
			if !ok {
				return nil, bad(raw)
			}
			return envelope.TimestampFieldValue(v.Time, scale, t), nil
		}
	default:
		return envelope.Column{Name: c.Name}
	}
	return col
}
