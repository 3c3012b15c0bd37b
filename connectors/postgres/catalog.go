package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/postgres/pgtypes"
)

// catalogColumn is one column as pg_attribute describes it.
type catalogColumn struct {
	Name       string
	TypeOID    uint32
	Typmod     int32
	NotNull    bool
	TypeName   string // format_type(): "character varying(255)"
	Default    string // pg_get_expr of the default, "" when none
	HasDefault bool
	Identity   bool
}

// catalogTable is one table as the catalog describes it.
type catalogTable struct {
	OID uint32
	ID  relational.TableID
	// ReplIdent is relreplident: 'd' default, 'f' full, 'i' index, 'n' nothing.
	ReplIdent byte
	// Partitioned marks a partitioned table (relkind 'p'): it holds no rows of its own, its
	// partitions' changes are streamed under their own names, but the snapshot reads it (all its
	// partitions' rows) into its own topic, as Debezium does.
	Partitioned bool
	Columns     []catalogColumn
	// PK is the primary key, or for a table without one the columns of its first unique index
	// (see uniqueIndexesSQL); UniqueKey tells the latter.
	PK        []string
	UniqueKey bool
}

const typesSQL = `SELECT t.oid, t.typname, n.nspname, t.typtype, t.typcategory, t.typelem, t.typbasetype, t.typtypmod,
  COALESCE(array_to_json(ARRAY(SELECT e.enumlabel FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder))::text, '[]')
FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype IN ('b', 'd', 'e', 'r', 'm')`

// loadTypes loads the non-built-in types (enums, domains, extension types and their arrays) into
// reg; with oid set only that type.
func loadTypes(ctx context.Context, conn *pgconn.PgConn, reg *pgtypes.Registry, oid uint32) error {
	sql := typesSQL + ` AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`
	var args []string
	if oid != 0 {
		sql = typesSQL + ` AND t.oid = $1`
		args = []string{strconv.FormatUint(uint64(oid), 10)}
	}
	rows, err := query(ctx, conn, sql, args...)
	if err != nil {
		return fmt.Errorf("cannot read the database's types from pg_type: %w", err)
	}
	types := make([]*pgtypes.Type, 0, len(rows))
	for _, r := range rows {
		t := &pgtypes.Type{
			OID: uint32(atoi64(r[0])), Name: string(r[1]), Namespace: string(r[2]),
			Elem: uint32(atoi64(r[5])), Base: uint32(atoi64(r[6])), BaseTypmod: int32(atoi64(r[7])),
		}
		if len(r[3]) > 0 {
			t.Kind = r[3][0]
		}
		if len(r[4]) > 0 {
			t.Category = r[4][0]
		}
		if t.Kind == 'e' {
			if err := json.Unmarshal(r[8], &t.EnumLabels); err != nil {
				return fmt.Errorf("cannot read the labels of enum %s: %w", t.Name, err)
			}
		}
		types = append(types, t)
	}
	reg.Put(types...)
	return nil
}

// userTablesSQL lists ordinary and partitioned tables outside the system schemas (both a
// partitioned table and its partitions, as Debezium's PostgresConnection lists TABLE and
// PARTITIONED TABLE).
const userTablesSQL = `SELECT c.oid, n.nspname, c.relname, c.relreplident, c.relkind
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'`

// listTables returns the user tables, without their columns.
func listTables(ctx context.Context, conn *pgconn.PgConn, oid uint32) ([]*catalogTable, error) {
	sql := userTablesSQL + ` ORDER BY n.nspname, c.relname`
	var args []string
	if oid != 0 {
		sql = userTablesSQL + ` AND c.oid = $1`
		args = []string{strconv.FormatUint(uint64(oid), 10)}
	}
	rows, err := query(ctx, conn, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot list the database's tables: %w", err)
	}
	out := make([]*catalogTable, 0, len(rows))
	for _, r := range rows {
		t := &catalogTable{OID: uint32(atoi64(r[0])), ID: relational.TableID{Schema: string(r[1]), Table: string(r[2])}}
		if len(r[3]) > 0 {
			t.ReplIdent = r[3][0]
		}
		t.Partitioned = string(r[4]) == "p"
		out = append(out, t)
	}
	return out, nil
}

const columnsSQL = `SELECT a.attrelid, a.attname, a.atttypid, a.atttypmod, a.attnotnull,
  pg_catalog.format_type(a.atttypid, a.atttypmod), COALESCE(pg_catalog.pg_get_expr(d.adbin, d.adrelid), ''),
  d.adbin IS NOT NULL, a.attidentity <> ''
FROM pg_catalog.pg_attribute a
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
ORDER BY a.attrelid, a.attnum`

const primaryKeysSQL = `SELECT i.indrelid, a.attname
FROM pg_catalog.pg_index i
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indisprimary AND i.indrelid = ANY($1::oid[])
ORDER BY i.indrelid, k.ord`

// uniqueIndexesSQL lists the columns of the unique indexes of tables, in the order pgjdbc's
// DatabaseMetaData.getIndexInfo returns them (index name, then position), which is where
// Debezium looks for a key when a table has no primary key (JdbcConnection.readTableUniqueIndices):
// the first index by name whose columns are all plain columns, nullable or not, whatever the
// replica identity. An expression column has no attname.
const uniqueIndexesSQL = `SELECT i.indrelid, ic.relname, a.attname
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
WHERE i.indisunique AND NOT i.indisprimary AND i.indrelid = ANY($1::oid[])
ORDER BY i.indrelid, ic.relname, k.ord`

// loadColumns fills the columns and primary keys of tables. Generated columns are left out:
// pgoutput never sends them, so the snapshot leaves them out too and both phases agree.
func loadColumns(ctx context.Context, conn *pgconn.PgConn, tables []*catalogTable) error {
	if len(tables) == 0 {
		return nil
	}
	byOID := make(map[uint32]*catalogTable, len(tables))
	oids := make([]string, 0, len(tables))
	for _, t := range tables {
		t.Columns, t.PK = nil, nil
		byOID[t.OID] = t
		oids = append(oids, strconv.FormatUint(uint64(t.OID), 10))
	}
	arr := "{" + strings.Join(oids, ",") + "}"
	rows, err := query(ctx, conn, columnsSQL, arr)
	if err != nil {
		return fmt.Errorf("cannot read the columns of the captured tables: %w", err)
	}
	for _, r := range rows {
		t := byOID[uint32(atoi64(r[0]))]
		if t == nil {
			continue
		}
		t.Columns = append(t.Columns, catalogColumn{
			Name: string(r[1]), TypeOID: uint32(atoi64(r[2])), Typmod: int32(atoi64(r[3])),
			NotNull: string(r[4]) == "t", TypeName: string(r[5]), Default: string(r[6]),
			HasDefault: string(r[7]) == "t", Identity: string(r[8]) == "t",
		})
	}
	rows, err = query(ctx, conn, primaryKeysSQL, arr)
	if err != nil {
		return fmt.Errorf("cannot read the primary keys of the captured tables: %w", err)
	}
	for _, r := range rows {
		if t := byOID[uint32(atoi64(r[0]))]; t != nil {
			t.PK = append(t.PK, string(r[1]))
		}
	}
	var keyless []string
	for _, t := range tables {
		if len(t.PK) == 0 {
			keyless = append(keyless, strconv.FormatUint(uint64(t.OID), 10))
		}
	}
	if len(keyless) == 0 {
		return nil
	}
	rows, err = query(ctx, conn, uniqueIndexesSQL, "{"+strings.Join(keyless, ",")+"}")
	if err != nil {
		return fmt.Errorf("cannot read the unique indexes of the captured tables without a primary key: %w", err)
	}
	pickUniqueKeys(byOID, rows)
	return nil
}

// pickUniqueKeys sets the key of each table without a primary key to the columns of its first
// unique index (rows of uniqueIndexesSQL) that has no expression column.
func pickUniqueKeys(byOID map[uint32]*catalogTable, rows [][][]byte) {
	type pick struct {
		index    string
		cols     []string
		excluded bool
		done     bool
	}
	picks := map[uint32]*pick{}
	for _, r := range rows {
		oid := uint32(atoi64(r[0]))
		t := byOID[oid]
		if t == nil || len(t.PK) > 0 {
			continue
		}
		p := picks[oid]
		if p == nil {
			p = &pick{}
			picks[oid] = p
		}
		if p.done {
			continue
		}
		index := string(r[1])
		if index != p.index {
			if p.index != "" && !p.excluded && len(p.cols) > 0 {
				p.done = true // the first complete index wins
				continue
			}
			p.index, p.cols, p.excluded = index, nil, false
		}
		if r[2] == nil {
			p.excluded, p.cols = true, nil // an expression: the whole index is skipped
			continue
		}
		if !p.excluded {
			p.cols = append(p.cols, string(r[2]))
		}
	}
	for oid, p := range picks {
		if !p.excluded && len(p.cols) > 0 {
			t := byOID[oid]
			t.PK, t.UniqueKey = p.cols, true
		}
	}
}

// readTable reads one table's current structure by OID; nil when it no longer exists.
func readTable(ctx context.Context, conn *pgconn.PgConn, oid uint32) (*catalogTable, error) {
	ts, err := listTables(ctx, conn, oid)
	if err != nil || len(ts) == 0 {
		return nil, err
	}
	if err := loadColumns(ctx, conn, ts); err != nil {
		return nil, err
	}
	return ts[0], nil
}
