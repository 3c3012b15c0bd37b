package sqlserver

import (
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/changetable"
	"github.com/connectd/connectd/connectors/envelope"
)

// jdbcDateTimeOffset is microsoft.sql.Types.DATETIMEOFFSET, the JDBC type SQL Server's driver
// reports for datetimeoffset columns (and Debezium stores in the history).
const jdbcDateTimeOffset = -155

// jdbcTypes maps SQL Server type names (INFORMATION_SCHEMA.COLUMNS.DATA_TYPE) to the JDBC type
// codes Microsoft's JDBC driver reports for them ("Understanding the JDBC driver data types",
// learn.microsoft.com/sql/connect/jdbc/understanding-the-jdbc-driver-data-types).
var jdbcTypes = map[string]int{
	"bit": relational.TypeBit, "tinyint": relational.TypeTinyInt, "smallint": relational.TypeSmallInt,
	"int": relational.TypeInteger, "bigint": relational.TypeBigInt,
	"real": relational.TypeReal, "float": relational.TypeDouble,
	"decimal": relational.TypeDecimal, "numeric": relational.TypeNumeric,
	"money": relational.TypeDecimal, "smallmoney": relational.TypeDecimal,
	"char": relational.TypeChar, "varchar": relational.TypeVarchar, "text": relational.TypeLongVarchar,
	"nchar": relational.TypeNChar, "nvarchar": relational.TypeNVarchar, "ntext": relational.TypeLongNVarchar,
	"xml": relational.TypeSQLXML, "uniqueidentifier": relational.TypeChar,
	"binary": relational.TypeBinary, "varbinary": relational.TypeVarbinary, "image": relational.TypeLongVarbinary,
	"timestamp": relational.TypeBinary, "rowversion": relational.TypeBinary,
	"date": relational.TypeDate, "time": relational.TypeTime,
	"datetime": relational.TypeTimestamp, "datetime2": relational.TypeTimestamp, "smalldatetime": relational.TypeTimestamp,
	"datetimeoffset": jdbcDateTimeOffset,
}

// column builds a relational column from INFORMATION_SCHEMA.COLUMNS.
func column(name, typ string, length, precision, scale, dtPrecision sql.NullInt64, optional bool, def sql.NullString, identity, computed bool) relational.Column {
	typ = strings.ToLower(typ)
	c := relational.Column{Name: name, TypeName: typ, Optional: optional, Generated: computed}
	c.JDBCType = relational.TypeOther
	if j, ok := jdbcTypes[typ]; ok {
		c.JDBCType = j
	}
	if identity {
		// The JDBC driver's metadata names an identity column's type "int identity" and does
		// not flag it auto-incremented; Debezium stores that (sqlserver.adoc, the schema change
		// event example: "typeName": "int identity", "autoIncremented": false).
		c.TypeName += " identity"
	}
	c.TypeExpression = c.TypeName
	switch {
	case length.Valid:
		c.Length = relational.Int(int(length.Int64))
	case precision.Valid:
		c.Length = relational.Int(int(precision.Int64))
	}
	switch {
	case scale.Valid:
		c.Scale = relational.Int(int(scale.Int64))
	case dtPrecision.Valid:
		c.Scale = relational.Int(int(dtPrecision.Int64))
	}
	if def.Valid {
		c.DefaultValueExpression = sql.Null[string]{V: def.String, Valid: true}
	}
	return c
}

// Columns maps a table's columns to Connect as Debezium's SqlServerValueConverters does.
func (d *dialect) Columns(t *relational.Table) ([]envelope.Column, error) {
	return changetable.MapColumns(t, func(col string) bool { return d.cfg.Filters.IncludeColumn(filterID(t.ID), col) }, d.mapColumn)
}

func (d *dialect) mapColumn(c *relational.Column) (envelope.Column, error) {
	v := d.cfg.Values
	prec, scale := changetable.PrecisionScale(c)
	col := envelope.Column{Name: c.Name}
	base := strings.TrimSuffix(c.TypeName, " identity")
	switch base {
	case "bit":
		col.Schema = api.BooleanSchema
		col.Convert = func(raw any) (any, error) {
			switch x := raw.(type) {
			case bool:
				return x, nil
			case int64:
				return x != 0, nil
			}
			return nil, typeError(c, raw)
		}
	case "tinyint", "smallint":
		// Debezium maps TINYINT to INT16 too: SQL Server's tinyint is unsigned (0..255).
		col.Schema = api.Int16Schema
		col.Convert = func(raw any) (any, error) {
			n, ok := raw.(int64)
			if !ok {
				return nil, typeError(c, raw)
			}
			return int16(n), nil
		}
	case "int":
		col.Schema = api.Int32Schema
		col.Convert = func(raw any) (any, error) {
			n, ok := raw.(int64)
			if !ok {
				return nil, typeError(c, raw)
			}
			return int32(n), nil
		}
	case "bigint":
		col.Schema = api.Int64Schema
		col.Convert = func(raw any) (any, error) {
			n, ok := raw.(int64)
			if !ok {
				return nil, typeError(c, raw)
			}
			return n, nil
		}
	case "real":
		col.Schema = api.Float32Schema
		col.Convert = func(raw any) (any, error) {
			switch x := raw.(type) {
			case float32:
				return x, nil
			case float64:
				return float32(x), nil
			}
			return nil, typeError(c, raw)
		}
	case "float":
		col.Schema = api.Float64Schema
		col.Convert = func(raw any) (any, error) {
			switch x := raw.(type) {
			case float32:
				return float64(x), nil
			case float64:
				return x, nil
			}
			return nil, typeError(c, raw)
		}
	case "decimal", "numeric", "money", "smallmoney":
		if base == "money" {
			prec, scale = 19, 4
		} else if base == "smallmoney" {
			prec, scale = 10, 4
		}
		col = changetable.DecimalColumn(c, v.Decimal, prec, scale)
	case "char", "varchar", "text", "nchar", "nvarchar", "ntext", "xml":
		var schema *api.Schema
		if base == "xml" {
			schema = api.XMLSchema().Build() // io.debezium.data.Xml (sqlserver.adoc, data type mappings)
		}
		col = changetable.TextColumn(c, schema)
	case "uniqueidentifier":
		col.Schema = api.StringSchema
		col.Convert = func(raw any) (any, error) {
			switch x := raw.(type) {
			case string:
				return strings.ToUpper(x), nil
			case []byte:
				return guidString(x)
			}
			return nil, typeError(c, raw)
		}
	case "binary", "varbinary", "image", "timestamp", "rowversion":
		col = changetable.BinaryColumn(c, v.Binary)
	case "date":
		col = changetable.DateColumn(c, v.Time)
	case "time":
		col.Schema = envelope.TimeFieldSchema(v.Time, scale).Build()
		col.Convert = func(raw any) (any, error) {
			t, ok := raw.(time.Time)
			if !ok {
				return nil, typeError(c, raw)
			}
			since := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
			return envelope.TimeFieldValue(v.Time, scale, since), nil
		}
	case "datetime", "smalldatetime", "datetime2":
		p := scale
		if base != "datetime2" {
			p = 3 // Debezium maps datetime and smalldatetime to io.debezium.time.Timestamp
		}
		col.Schema = envelope.TimestampFieldSchema(v.Time, p).Build()
		col.Convert = func(raw any) (any, error) {
			t, ok := raw.(time.Time)
			if !ok {
				return nil, typeError(c, raw)
			}
			return envelope.TimestampFieldValue(v.Time, p, t), nil
		}
	case "datetimeoffset":
		col.Schema = envelope.ZonedTimestampFieldSchema().Build()
		col.Convert = func(raw any) (any, error) {
			t, ok := raw.(time.Time)
			if !ok {
				return nil, typeError(c, raw)
			}
			return envelope.ZonedTimestampString(t, 0), nil
		}
	default:
		// sql_variant, hierarchyid, geometry, geography: Debezium has no mapping either.
		return envelope.Column{Name: c.Name}, nil
	}
	return col, nil
}

var typeError = changetable.BadValue

// guidString formats a uniqueidentifier as SQL Server prints it: the driver returns the 16 bytes
// in the server's order, whose first three groups are little-endian.
func guidString(b []byte) (string, error) {
	if len(b) != 16 {
		return "", fmt.Errorf("uniqueidentifier of %d bytes", len(b))
	}
	o := []byte{b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]}
	return strings.ToUpper(fmt.Sprintf("%x-%x-%x-%x-%x", o[0:4], o[4:6], o[6:8], o[8:10], o[10:16])), nil
}
