package postgres

import (
	"math"

	"github.com/connectd/connectd/connectors/postgres/pgtypes"
)

// Debezium's PostgreSQL connector describes a column (for column.propagate.source.type,
// datatype.propagate.source.type and the column mappers' lengths) by pg_type.typname and by the
// precision and scale the PostgreSQL JDBC driver's TypeInfoCache gives its type and modifier:
// the same from the snapshot's metadata query and from pgoutput's relation messages. These
// functions reproduce them.

// pgTypNames are the typnames of the built-in types connectd maps, by OID.
var pgTypNames = map[uint32]string{
	16: "bool", 17: "bytea", 18: "char", 19: "name", 20: "int8", 21: "int2", 23: "int4", 25: "text", 26: "oid",
	114: "json", 142: "xml", 600: "point", 601: "lseg", 602: "path", 603: "box", 604: "polygon", 628: "line",
	650: "cidr", 700: "float4", 701: "float8", 718: "circle", 774: "macaddr8", 790: "money", 829: "macaddr",
	869: "inet", 1042: "bpchar", 1043: "varchar", 1082: "date", 1083: "time", 1114: "timestamp",
	1184: "timestamptz", 1186: "interval", 1266: "timetz", 1560: "bit", 1562: "varbit", 1700: "numeric",
	2950: "uuid", 3614: "tsvector", 3802: "jsonb", 3904: "int4range", 3906: "numrange", 3908: "tsrange",
	3910: "tstzrange", 3912: "daterange", 3926: "int8range",
	// Arrays are "_" and their element's typname.
	199: "_json", 1000: "_bool", 1001: "_bytea", 1005: "_int2", 1007: "_int4", 1009: "_text", 1014: "_bpchar",
	1015: "_varchar", 1016: "_int8", 1021: "_float4", 1022: "_float8", 1115: "_timestamp", 1182: "_date",
	1183: "_time", 1185: "_timestamptz", 1231: "_numeric", 2951: "_uuid", 3807: "_jsonb",
}

// pgTypName returns the typname of a column's type: the registry's for types it holds
// (enums, domains, extension types), the built-in table's otherwise, else fallback.
func pgTypName(reg *pgtypes.Registry, oid uint32, fallback string) string {
	if t := reg.Get(oid); t != nil && t.Name != "" {
		return t.Name
	}
	if n, ok := pgTypNames[oid]; ok {
		return n
	}
	return fallback
}

// unknownLength is the JDBC driver's length of types without one (Integer.MAX_VALUE).
const unknownLength = math.MaxInt32

// pgPrecision is TypeInfoCache.getPrecision, with its getDisplaySize when that is 0 (numeric
// without a modifier), as Debezium's column length.
func pgPrecision(oid uint32, typmod int32) int {
	switch oid {
	case 21:
		return 5
	case 23, 26:
		return 10
	case 20:
		return 19
	case 700:
		return 8
	case 701:
		return 17
	case 1700:
		if typmod == -1 {
			return 131089 // the display size: 1 + 131072 digits before and 16383 after the point, + 1
		}
		return int(((typmod - 4) & -65536) >> 16)
	case 18, 16:
		return 1
	case 1042, 1043:
		if typmod == -1 {
			return unknownLength
		}
		return int(typmod - 4)
	case 1082, 1083, 1266, 1186, 1114, 1184:
		return pgDisplaySize(oid, typmod)
	case 1560:
		return int(typmod)
	case 1562:
		if typmod == -1 {
			return unknownLength
		}
		return int(typmod)
	}
	return unknownLength
}

// pgDisplaySize is TypeInfoCache.getDisplaySize for the temporal types.
func pgDisplaySize(oid uint32, typmod int32) int {
	switch oid {
	case 1082:
		return 13 // "4713-01-01 BC"
	case 1186:
		return 49
	}
	var seconds int
	switch typmod {
	case -1:
		seconds = 6 + 1
	case 0:
		seconds = 0
	case 1:
		seconds = 2 + 1 // the driver's own rule: time(1) prints two digits
	default:
		seconds = int(typmod) + 1
	}
	switch oid {
	case 1083:
		return 8 + seconds
	case 1266:
		return 8 + seconds + 6
	case 1114:
		return 13 + 1 + 8 + seconds
	}
	return 13 + 1 + 8 + seconds + 6 // timestamptz
}

// pgScale is TypeInfoCache.getScale, as Debezium's column scale.
func pgScale(oid uint32, typmod int32) int {
	switch oid {
	case 700:
		return 8
	case 701:
		return 17
	case 1700:
		if typmod == -1 {
			return 0
		}
		return int((typmod - 4) & 0xFFFF)
	case 1083, 1266, 1114, 1184:
		if typmod == -1 {
			return 6
		}
		return int(typmod)
	case 1186:
		if typmod == -1 {
			return 6
		}
		return int(typmod & 0xFFFF)
	}
	return 0
}
