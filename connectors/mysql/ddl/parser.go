package ddl

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ErrSyntax marks a statement of the supported subset that could not be read; the error's text
// says where.
var ErrSyntax = errors.New("cannot parse DDL statement")

// Parse reads one statement. It returns (nil, nil) for a statement that does not change table
// structures (DML, GRANT, CREATE VIEW, FLUSH, ...), a Statement for one that does, and an error
// wrapping ErrSyntax for a schema-changing statement it cannot read.
func Parse(sql string) (Statement, error) {
	return ParseWith(sql, Options{})
}

// Options say which server ran the statements, which decides the executable comments whose
// content counts as part of a statement.
type Options struct {
	// MySQL is true for a MySQL server, which ignores MariaDB's /*M!...*/ comments.
	MySQL bool
	// ServerVersion is the server's version as in executable comments (MariaDB 10.11.6 is
	// 101106, MySQL 8.0.36 is 80036). Zero runs every versioned comment, which is right for the
	// comments a current server writes itself (mysqldump, SHOW CREATE TABLE).
	ServerVersion int
}

// ParseWith is Parse for statements run by the server described by opts.
func ParseWith(sql string, opts Options) (Statement, error) {
	toks, err := lex(sql, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	p := &parser{toks: toks, sql: sql}
	st, err := p.statement()
	if err != nil {
		return nil, err
	}
	return st, nil
}

type parser struct {
	toks []token
	i    int
	sql  string
}

// parseError is a syntax error at the current token.
func (p *parser) errorf(format string, args ...any) error {
	t := p.peek()
	at := "end of statement"
	if t.kind != tokEOF {
		at = fmt.Sprintf("%q at offset %d", t.raw, t.pos)
	}
	return fmt.Errorf("%w: %s near %s", ErrSyntax, fmt.Sprintf(format, args...), at)
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekN(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}
func (p *parser) atEnd() bool {
	t := p.peek()
	return t.kind == tokEOF || t.kind == tokPunct && t.text == ";"
}

// is reports whether the current token is the keyword kw (bare word, any case).
func (p *parser) is(kw string) bool {
	t := p.peek()
	return t.kind == tokIdent && strings.EqualFold(t.text, kw)
}

func (p *parser) isAt(n int, kw string) bool {
	t := p.peekN(n)
	return t.kind == tokIdent && strings.EqualFold(t.text, kw)
}

// accept consumes the keyword sequence kws if it is next.
func (p *parser) accept(kws ...string) bool {
	for k, kw := range kws {
		if !p.isAt(k, kw) {
			return false
		}
	}
	p.i += len(kws)
	return true
}

func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tokPunct && t.text == s
}

func (p *parser) acceptPunct(s string) bool {
	if p.isPunct(s) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectPunct(s string) error {
	if !p.acceptPunct(s) {
		return p.errorf("expected %q", s)
	}
	return nil
}

func (p *parser) expect(kw string) error {
	if !p.accept(kw) {
		return p.errorf("expected %s", kw)
	}
	return nil
}

// ident reads an identifier (quoted, or a bare word).
func (p *parser) ident() (string, error) {
	t := p.peek()
	if t.kind == tokQuoted || t.kind == tokIdent || t.kind == tokString && t.raw[0] == '"' {
		p.i++
		return t.text, nil
	}
	return "", p.errorf("expected an identifier")
}

// word reads a charset or collation name, which MySQL also accepts quoted ('utf8').
func (p *parser) word() (string, error) {
	if t := p.peek(); t.kind == tokString {
		p.i++
		return t.text, nil
	}
	return p.ident()
}

// name reads [db.]table.
func (p *parser) name() (Name, error) {
	a, err := p.ident()
	if err != nil {
		return Name{}, err
	}
	if p.acceptPunct(".") {
		b, err := p.ident()
		if err != nil {
			return Name{}, err
		}
		return Name{DB: a, Table: b}, nil
	}
	return Name{Table: a}, nil
}

// skipBalanced skips a parenthesised group starting at the current "(".
func (p *parser) skipBalanced() error {
	if !p.isPunct("(") {
		return p.errorf("expected \"(\"")
	}
	depth := 0
	for {
		t := p.next()
		switch {
		case t.kind == tokEOF:
			return p.errorf("unbalanced parentheses")
		case t.kind == tokPunct && t.text == "(":
			depth++
		case t.kind == tokPunct && t.text == ")":
			depth--
			if depth == 0 {
				return nil
			}
		}
	}
}

// textFrom returns the source text from token index start up to (not including) the current one.
func (p *parser) textFrom(start int) string {
	if start >= p.i {
		return ""
	}
	from := p.toks[start].pos
	last := p.toks[p.i-1]
	return strings.TrimSpace(p.sql[from : last.pos+len(last.raw)])
}

func (p *parser) statement() (Statement, error) {
	// MariaDB's SET STATEMENT var=value [, ...] FOR <statement>.
	if p.is("SET") && p.isAt(1, "STATEMENT") {
		for !p.atEnd() && !p.is("FOR") {
			p.next()
		}
		if !p.accept("FOR") {
			return nil, nil
		}
	}
	switch {
	case p.accept("CREATE"):
		return p.create()
	case p.accept("ALTER"):
		return p.alter()
	case p.accept("DROP"):
		return p.drop()
	case p.accept("RENAME"):
		if p.accept("TABLE") || p.accept("TABLES") {
			return p.renameTable()
		}
		return nil, nil
	case p.accept("TRUNCATE"):
		p.accept("TABLE")
		n, err := p.name()
		if err != nil {
			return nil, err
		}
		return &TruncateTable{Name: n}, nil
	case p.accept("USE"):
		n, err := p.ident()
		if err != nil {
			return nil, err
		}
		return &Use{Name: n}, nil
	}
	return nil, nil
}

func (p *parser) create() (Statement, error) {
	orReplace := p.accept("OR", "REPLACE")
	// Skip definer and algorithm clauses that precede views, triggers and routines.
	temporary := p.accept("TEMPORARY")
	switch {
	case p.accept("TABLE"):
		return p.createTable(orReplace, temporary)
	case p.accept("DATABASE") || p.accept("SCHEMA"):
		ifNot := p.accept("IF", "NOT", "EXISTS")
		n, err := p.ident()
		if err != nil {
			return nil, err
		}
		cs, coll := p.databaseOptions()
		return &CreateDatabase{Name: n, IfNotExists: ifNot, Charset: charsetOf(cs, coll)}, nil
	case p.is("UNIQUE") || p.is("INDEX") || p.is("FULLTEXT") || p.is("SPATIAL") || p.is("ONLINE") || p.is("OFFLINE"):
		p.accept("ONLINE")
		p.accept("OFFLINE")
		unique := p.accept("UNIQUE")
		p.accept("FULLTEXT")
		p.accept("SPATIAL")
		if !p.accept("INDEX") {
			return nil, p.errorf("expected INDEX")
		}
		p.accept("IF", "NOT", "EXISTS")
		if _, err := p.ident(); err != nil {
			return nil, err
		}
		if p.accept("USING") {
			p.next()
		}
		if err := p.expect("ON"); err != nil {
			return nil, err
		}
		n, err := p.name()
		if err != nil {
			return nil, err
		}
		cols, err := p.keyColumns()
		if err != nil {
			return nil, err
		}
		return &CreateIndex{Table: n, Unique: unique, Columns: cols}, nil
	}
	return nil, nil
}

// databaseOptions reads [DEFAULT] CHARACTER SET / CHARSET / COLLATE options.
func (p *parser) databaseOptions() (charset, collation string) {
	for !p.atEnd() {
		p.accept("DEFAULT")
		switch {
		case p.accept("CHARACTER", "SET") || p.accept("CHAR", "SET") || p.accept("CHARSET"):
			p.acceptPunct("=")
			charset, _ = p.word()
		case p.accept("COLLATE"):
			p.acceptPunct("=")
			collation, _ = p.word()
		default:
			p.next()
		}
	}
	return charset, collation
}

func (p *parser) createTable(orReplace, temporary bool) (Statement, error) {
	ct := &CreateTable{OrReplace: orReplace, Temporary: temporary}
	ct.IfNotExists = p.accept("IF", "NOT", "EXISTS")
	n, err := p.name()
	if err != nil {
		return nil, err
	}
	ct.Name = n
	if p.accept("LIKE") {
		like, err := p.name()
		if err != nil {
			return nil, err
		}
		ct.Like = &like
		return ct, nil
	}
	if p.acceptPunct("(") {
		if p.accept("LIKE") {
			like, err := p.name()
			if err != nil {
				return nil, err
			}
			ct.Like = &like
			return ct, p.expectPunct(")")
		}
		for {
			if err := p.tableElement(ct); err != nil {
				return nil, err
			}
			if p.acceptPunct(",") {
				continue
			}
			if err := p.expectPunct(")"); err != nil {
				return nil, err
			}
			break
		}
	}
	if err := p.tableOptions(ct); err != nil {
		return nil, err
	}
	ct.Charset = charsetOf(ct.Charset, ct.Collation)
	if len(ct.Periods) > 0 {
		ct.PrimaryKey = ExpandPeriods(ct.PrimaryKey, ct.Periods)
		for i := range ct.UniqueKeys {
			ct.UniqueKeys[i] = ExpandPeriods(ct.UniqueKeys[i], ct.Periods)
		}
	}
	for _, c := range ct.Columns {
		if c.Versioned {
			ct.SystemVersioned = true
		}
		if c.PrimaryKey && len(ct.PrimaryKey) == 0 {
			ct.PrimaryKey = []string{c.Name}
		}
		if c.Unique {
			ct.UniqueKeys = append(ct.UniqueKeys, []string{c.Name})
		}
	}
	for _, pk := range ct.PrimaryKey {
		for _, c := range ct.Columns {
			if strings.EqualFold(c.Name, pk) {
				c.Nullable = false
			}
		}
	}
	return ct, nil
}

// tableOptions reads the options after the column list (ENGINE=..., DEFAULT CHARSET=...), and
// stops at partitioning or AS SELECT, which do not change columns.
func (p *parser) tableOptions(ct *CreateTable) error {
	for !p.atEnd() {
		switch {
		case p.acceptPunct(","):
		case p.is("PARTITION"):
			return nil
		case p.is("AS") || p.is("SELECT") || p.is("IGNORE") || p.is("REPLACE") || p.isPunct("("):
			// CREATE TABLE ... SELECT: the columns come from the query, which a row-based
			// binlog never carries (it logs the table's full definition instead).
			return p.errorf("CREATE TABLE ... SELECT cannot be read without the query's result columns")
		case p.accept("DEFAULT"):
		case p.accept("CHARACTER", "SET") || p.accept("CHAR", "SET") || p.accept("CHARSET"):
			p.acceptPunct("=")
			v, err := p.word()
			if err != nil {
				return err
			}
			ct.Charset = v
		case p.accept("COLLATE"):
			p.acceptPunct("=")
			v, err := p.word()
			if err != nil {
				return err
			}
			ct.Collation = v
		case p.accept("COMMENT"):
			p.acceptPunct("=")
			t := p.next()
			ct.Comment = t.text
		case p.accept("WITH", "SYSTEM", "VERSIONING"):
			ct.SystemVersioned = true
		default:
			// NAME [=] value, value possibly parenthesised (UNION=(a,b)).
			p.next()
			p.acceptPunct("=")
			if p.isPunct("(") {
				if err := p.skipBalanced(); err != nil {
					return err
				}
			} else if !p.atEnd() && !p.isPunct(",") {
				p.next()
			}
		}
	}
	return nil
}

// tableElement reads one column definition or table constraint inside CREATE TABLE ( ... ).
func (p *parser) tableElement(ct *CreateTable) error {
	if p.accept("CONSTRAINT") {
		if !p.is("PRIMARY") && !p.is("UNIQUE") && !p.is("FOREIGN") && !p.is("CHECK") {
			if _, err := p.ident(); err != nil {
				return err
			}
		}
	}
	switch {
	case p.accept("PRIMARY", "KEY"):
		cols, err := p.indexTail()
		if err != nil {
			return err
		}
		ct.PrimaryKey = cols
		return nil
	case p.is("UNIQUE"):
		p.next()
		if !p.accept("KEY") {
			p.accept("INDEX")
		}
		cols, err := p.indexTail()
		if err != nil {
			return err
		}
		ct.UniqueKeys = append(ct.UniqueKeys, cols)
		return nil
	case p.is("KEY") || p.is("INDEX") || p.is("FULLTEXT") || p.is("SPATIAL"):
		// KEY and INDEX are reserved words: a column of that name is always quoted, so a bare
		// one starts an index definition.
		p.next()
		p.accept("KEY")
		p.accept("INDEX")
		_, err := p.indexTail()
		return err
	case p.accept("FOREIGN", "KEY"):
		return p.skipUntilElementEnd()
	case p.is("CHECK") && p.peekN(1).kind == tokPunct && p.peekN(1).text == "(":
		return p.skipUntilElementEnd()
	case p.accept("PERIOD", "FOR"):
		per, err := p.period()
		if err != nil {
			return err
		}
		if per != nil {
			ct.Periods = append(ct.Periods, *per)
		}
		return nil
	}
	col, err := p.columnDef()
	if err != nil {
		return err
	}
	ct.Columns = append(ct.Columns, col)
	return nil
}

// period reads [IF NOT EXISTS] name (start, end) after PERIOD FOR; nil for SYSTEM_TIME, whose
// columns are known by their ROW START and ROW END attributes.
func (p *parser) period() (*Period, error) {
	p.accept("IF", "NOT", "EXISTS")
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	cols, err := p.keyColumns()
	if err != nil {
		return nil, err
	}
	if len(cols) != 2 {
		return nil, p.errorf("expected the start and end columns of period %s", name)
	}
	if strings.EqualFold(name, "SYSTEM_TIME") {
		return nil, nil
	}
	return &Period{Name: name, Start: cols[0], End: cols[1]}, nil
}

// ExpandPeriods returns key with each period name replaced by the period's end and start
// columns, which is how MariaDB stores a key part "period WITHOUT OVERLAPS".
func ExpandPeriods(key []string, periods []Period) []string {
	var out []string
	for _, k := range key {
		i := slices.IndexFunc(periods, func(per Period) bool { return strings.EqualFold(per.Name, k) })
		if i < 0 {
			out = append(out, k)
			continue
		}
		out = append(out, periods[i].End, periods[i].Start)
	}
	return out
}

// skipUntilElementEnd skips to the "," or ")" that ends the current element.
func (p *parser) skipUntilElementEnd() error {
	for {
		if p.atEnd() {
			// The end of an ALTER TABLE; inside CREATE TABLE the caller then misses its ")".
			return nil
		}
		if p.isPunct(",") || p.isPunct(")") {
			return nil
		}
		if p.isPunct("(") {
			if err := p.skipBalanced(); err != nil {
				return err
			}
			continue
		}
		p.next()
	}
}

// indexTail reads [name] [USING x] (columns) [options] of an index definition.
func (p *parser) indexTail() ([]string, error) {
	if !p.isPunct("(") && !p.is("USING") {
		if _, err := p.ident(); err != nil {
			return nil, err
		}
	}
	if p.accept("USING") {
		p.next()
	}
	cols, err := p.keyColumns()
	if err != nil {
		return nil, err
	}
	return cols, p.skipUntilElementEnd()
}

// keyColumns reads (col[(len)] [ASC|DESC], ...).
func (p *parser) keyColumns() ([]string, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	var cols []string
	for {
		if p.isPunct("(") {
			// A functional key part: no column of its own.
			if err := p.skipBalanced(); err != nil {
				return nil, err
			}
		} else {
			c, err := p.ident()
			if err != nil {
				return nil, err
			}
			cols = append(cols, c)
			if p.isPunct("(") {
				if err := p.skipBalanced(); err != nil {
					return nil, err
				}
			}
		}
		p.accept("ASC")
		p.accept("DESC")
		p.accept("WITHOUT", "OVERLAPS")
		if p.acceptPunct(",") {
			continue
		}
		return cols, p.expectPunct(")")
	}
}

// typeAliases maps type names to the name MySQL reports for them.
var typeAliases = map[string]string{
	"INTEGER": "INT", "INT4": "INT", "INT8": "BIGINT", "INT1": "TINYINT", "INT2": "SMALLINT", "INT3": "MEDIUMINT",
	"MIDDLEINT": "MEDIUMINT", "DEC": "DECIMAL", "NUMERIC": "DECIMAL", "FIXED": "DECIMAL", "REAL": "DOUBLE",
	"FLOAT4": "FLOAT", "FLOAT8": "DOUBLE", "CHARACTER": "CHAR", "NCHAR": "CHAR", "NVARCHAR": "VARCHAR",
	"VARCHARACTER": "VARCHAR", "BOOL": "TINYINT", "BOOLEAN": "TINYINT", "LONG": "MEDIUMTEXT",
	"VARCHAR2": "VARCHAR", "NUMBER": "DECIMAL", "RAW": "VARBINARY", "CLOB": "LONGTEXT",
}

// knownTypes are the data types this parser understands, after alias resolution.
var knownTypes = map[string]bool{
	"BIT": true, "TINYINT": true, "SMALLINT": true, "MEDIUMINT": true, "INT": true, "BIGINT": true,
	"DECIMAL": true, "FLOAT": true, "DOUBLE": true, "DATE": true, "TIME": true, "DATETIME": true,
	"TIMESTAMP": true, "YEAR": true, "CHAR": true, "VARCHAR": true, "BINARY": true, "VARBINARY": true,
	"TINYBLOB": true, "BLOB": true, "MEDIUMBLOB": true, "LONGBLOB": true, "TINYTEXT": true, "TEXT": true,
	"MEDIUMTEXT": true, "LONGTEXT": true, "ENUM": true, "SET": true, "JSON": true, "GEOMETRY": true,
	"POINT": true, "LINESTRING": true, "POLYGON": true, "MULTIPOINT": true, "MULTILINESTRING": true,
	"MULTIPOLYGON": true, "GEOMETRYCOLLECTION": true, "GEOMCOLLECTION": true, "SERIAL": true,
	"INET4": true, "INET6": true, "UUID": true, "VECTOR": true,
}

// columnDef reads name type [attributes].
func (p *parser) columnDef() (*Column, error) {
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	col := &Column{Name: name, Length: -1, Scale: -1, Nullable: true}
	if err := p.dataType(col); err != nil {
		return nil, err
	}
	if err := p.columnAttributes(col); err != nil {
		return nil, err
	}
	finishColumn(col)
	return col, nil
}

// finishColumn applies what the server derives from a column's written attributes: the charset
// of a collation given alone, and the binary types that CHARACTER SET binary turns character
// types into.
func finishColumn(col *Column) {
	if strings.EqualFold(col.Charset, "DEFAULT") {
		col.Charset = ""
	}
	col.Charset = charsetOf(col.Charset, col.Collation)
	if strings.EqualFold(col.Charset, "binary") {
		if b, ok := binaryTypes[col.Type]; ok {
			col.Type, col.Charset, col.Collation = b, "", ""
		}
	}
	if col.Type == "FLOAT" && col.Length >= 0 && col.Scale < 0 {
		// FLOAT(p) is a precision in bits: FLOAT up to 24, DOUBLE above.
		if col.Length > 24 {
			col.Type = "DOUBLE"
		}
		col.Length = -1
	}
	if col.Type == "BLOB" && col.Length >= 0 {
		// BLOB(M) is the smallest BLOB type that holds M bytes.
		col.Type, col.Length = BlobType(int64(col.Length), "BLOB"), -1
	}
}

// binaryTypes are the types that a character type with CHARACTER SET binary becomes.
var binaryTypes = map[string]string{
	"CHAR": "BINARY", "VARCHAR": "VARBINARY", "TINYTEXT": "TINYBLOB", "TEXT": "BLOB",
	"MEDIUMTEXT": "MEDIUMBLOB", "LONGTEXT": "LONGBLOB",
}

// BlobType returns the smallest of the TEXT (kind "TEXT") or BLOB (kind "BLOB") types that
// holds n bytes, as the server picks it for TEXT(M), BLOB(M) and charset conversions.
func BlobType(n int64, kind string) string {
	switch {
	case n <= 255:
		return "TINY" + kind
	case n <= 65535:
		return kind
	case n <= 16777215:
		return "MEDIUM" + kind
	}
	return "LONG" + kind
}

// charsetOf returns charset, or when it is empty the charset that collation belongs to (every
// collation's name starts with its charset's: latin1_swedish_ci, utf8mb4_general_ci, binary).
// DEFAULT, which means "inherit", is returned as empty.
func charsetOf(charset, collation string) string {
	if strings.EqualFold(charset, "DEFAULT") {
		charset = ""
	}
	if charset != "" || collation == "" || strings.EqualFold(collation, "DEFAULT") {
		return charset
	}
	if i := strings.IndexByte(collation, '_'); i > 0 {
		return strings.ToLower(collation[:i])
	}
	return strings.ToLower(collation)
}

// dataType reads a data type into col.
func (p *parser) dataType(col *Column) error {
	var err error
	start := p.i
	t := p.peek()
	if t.kind != tokIdent {
		return p.errorf("expected a data type for column %q", col.Name)
	}
	p.next()
	typ := t.upper()
	switch typ {
	case "DOUBLE":
		p.accept("PRECISION")
	case "CHARACTER", "CHAR":
		if p.accept("VARYING") {
			typ = "VARCHAR"
		}
	case "NATIONAL":
		switch {
		case p.accept("CHAR", "VARYING") || p.accept("CHARACTER", "VARYING") || p.accept("VARCHAR"):
			typ = "VARCHAR"
		case p.accept("CHAR") || p.accept("CHARACTER"):
			typ = "CHAR"
		default:
			return p.errorf("unknown NATIONAL type")
		}
	case "NCHAR":
		if p.accept("VARCHAR") || p.accept("VARYING") {
			typ = "NVARCHAR"
		}
	case "LONG":
		switch {
		case p.accept("VARBINARY"):
			typ = "MEDIUMBLOB"
		case p.accept("VARCHAR") || p.accept("CHAR", "VARYING"):
			typ = "MEDIUMTEXT"
		}
	}
	bool1 := typ == "BOOL" || typ == "BOOLEAN"
	if a, ok := typeAliases[typ]; ok {
		typ = a
	}
	if !knownTypes[typ] {
		return p.errorf("unknown data type %s for column %q", t.raw, col.Name)
	}
	col.Type = typ
	if bool1 {
		col.Length = 1
	}
	if typ == "SERIAL" {
		// SERIAL is BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE.
		col.Type, col.Unsigned, col.Nullable, col.AutoIncrement, col.Unique = "BIGINT", true, false, true, true
	}
	if p.acceptPunct("(") {
		if typ == "ENUM" || typ == "SET" {
			for {
				v := p.next()
				if v.kind != tokString {
					return p.errorf("expected a quoted %s value", typ)
				}
				col.Values = append(col.Values, v.text)
				col.RawValues = append(col.RawValues, v.raw)
				if p.acceptPunct(",") {
					continue
				}
				if err := p.expectPunct(")"); err != nil {
					return err
				}
				break
			}
		} else {
			n := p.next()
			if n.kind != tokNumber {
				return p.errorf("expected a length")
			}
			// The server reads a decimal length such as DECIMAL(19.5) as its integer part.
			l, _, _ := strings.Cut(n.text, ".")
			if col.Length, err = strconv.Atoi(l); err != nil || col.Length < 0 {
				return p.errorf("invalid length %s", n.raw)
			}
			if p.acceptPunct(",") {
				s := p.next()
				if s.kind != tokNumber {
					return p.errorf("expected a scale")
				}
				if col.Scale, err = strconv.Atoi(s.text); err != nil {
					return p.errorf("invalid scale %s", s.raw)
				}
			}
			if err := p.expectPunct(")"); err != nil {
				return err
			}
		}
	}
	for {
		switch {
		case p.accept("UNSIGNED"):
			col.Unsigned = true
		case p.accept("SIGNED"):
		case p.accept("ZEROFILL"):
			col.Zerofill, col.Unsigned = true, true
		case p.is("BINARY") && (col.Type == "CHAR" || col.Type == "VARCHAR" || strings.HasSuffix(col.Type, "TEXT")):
			p.next() // a binary collation of the column's charset
		case p.accept("BYTE"):
			// CHAR(n) BYTE is BINARY(n).
			col.Charset = "binary"
		case p.accept("ASCII"):
			col.Charset = "latin1"
		case p.accept("UNICODE"):
			col.Charset = "ucs2"
		case p.accept("CHARACTER", "SET") || p.accept("CHAR", "SET") || p.accept("CHARSET"):
			cs, err := p.word()
			if err != nil {
				return err
			}
			col.Charset = cs
		case p.accept("COLLATE"):
			c, err := p.word()
			if err != nil {
				return err
			}
			col.Collation = c
		default:
			col.TypeExpression = p.textFrom(start)
			if bool1 {
				col.TypeExpression = "TINYINT(1)"
			}
			if (col.Type == "VARCHAR" || col.Type == "CHAR") && col.Charset == "" && strings.HasPrefix(strings.ToUpper(t.text), "N") {
				// NCHAR, NVARCHAR and NATIONAL ... are utf8mb3, whatever the table's charset.
				col.Charset = "utf8mb3"
			}
			return nil
		}
	}
}

// columnAttributes reads the attributes after a column's type, in any order.
func (p *parser) columnAttributes(col *Column) error {
	for !p.atEnd() && !p.isPunct(",") && !p.isPunct(")") {
		switch {
		case p.accept("NOT", "NULL"):
			col.Nullable = false
		case p.accept("NULL"):
			col.Nullable = true
		case p.is("DEFAULT") && p.isAt(1, "VALUE"):
			// The tail of SERIAL DEFAULT VALUE after a SERIAL type, which servers refuse.
			return p.errorf("SERIAL DEFAULT VALUE needs a data type before it")
		case p.accept("DEFAULT"):
			d, err := p.defaultValue()
			if err != nil {
				return err
			}
			col.Default = d
		case p.accept("AUTO_INCREMENT"):
			col.AutoIncrement = true
		case p.accept("PRIMARY", "KEY") || p.accept("KEY"):
			col.PrimaryKey = true
			col.Nullable = false
		case p.accept("UNIQUE"):
			p.accept("KEY")
			col.Unique = true
		case p.accept("COMMENT"):
			t := p.next()
			col.Comment = t.text
		case p.accept("ON", "UPDATE"):
			if _, err := p.expression(); err != nil {
				return err
			}
		case p.accept("GENERATED", "ALWAYS", "AS", "ROW", "START") || p.accept("AS", "ROW", "START"):
			col.RowStart, col.Generated, col.Nullable = true, true, false
		case p.accept("GENERATED", "ALWAYS", "AS", "ROW", "END") || p.accept("AS", "ROW", "END"):
			col.RowEnd, col.Generated, col.Nullable = true, true, false
		case p.accept("GENERATED", "ALWAYS", "AS") || p.is("AS") && p.peekN(1).kind == tokPunct && p.peekN(1).text == "(":
			p.accept("AS")
			if err := p.skipBalanced(); err != nil {
				return err
			}
			col.Generated = true
		case p.accept("VIRTUAL") || p.accept("STORED") || p.accept("PERSISTENT"):
		case p.accept("COLUMN_FORMAT") || p.accept("STORAGE") || p.accept("SRID") || p.accept("REF_SYSTEM_ID") || p.accept("ENGINE_ATTRIBUTE") || p.accept("SECONDARY_ENGINE_ATTRIBUTE"):
			p.acceptPunct("=")
			p.next()
		case p.accept("SERIAL", "DEFAULT", "VALUE"):
			// An alias of NOT NULL AUTO_INCREMENT UNIQUE.
			col.Nullable, col.AutoIncrement, col.Unique = false, true, true
		case p.accept("INVISIBLE") || p.accept("VISIBLE") || p.accept("COMPRESSED"):
			if p.acceptPunct("=") {
				p.next()
			}
		case p.accept("CHARACTER", "SET") || p.accept("CHAR", "SET") || p.accept("CHARSET"):
			cs, err := p.word()
			if err != nil {
				return err
			}
			col.Charset = cs
		case p.accept("COLLATE"):
			c, err := p.word()
			if err != nil {
				return err
			}
			col.Collation = c
		case p.accept("CHECK"):
			if err := p.skipBalanced(); err != nil {
				return err
			}
		case p.accept("CONSTRAINT"):
			if !p.is("CHECK") {
				p.next()
			}
		case p.accept("REFERENCES"):
			if _, err := p.name(); err != nil {
				return err
			}
			if p.isPunct("(") {
				if err := p.skipBalanced(); err != nil {
					return err
				}
			}
			for p.accept("ON", "DELETE") || p.accept("ON", "UPDATE") || p.accept("MATCH") {
				for p.is("RESTRICT") || p.is("CASCADE") || p.is("SET") || p.is("NULL") || p.is("NO") || p.is("ACTION") || p.is("DEFAULT") || p.is("FULL") || p.is("PARTIAL") || p.is("SIMPLE") {
					p.next()
				}
			}
		case p.accept("WITH", "SYSTEM", "VERSIONING"):
			col.Versioned = true
		case p.accept("WITHOUT", "SYSTEM", "VERSIONING"):
		case p.is("FIRST") || p.is("AFTER"):
			return nil // position, read by ALTER TABLE
		default:
			return p.errorf("unexpected attribute for column %q", col.Name)
		}
	}
	return nil
}

// defaultValue reads the value after DEFAULT.
func (p *parser) defaultValue() (*Default, error) {
	t := p.peek()
	switch {
	case t.kind == tokString:
		p.next()
		return &Default{Literal: true, Value: t.text}, nil
	case t.kind == tokNumber || t.kind == tokHexBit:
		p.next()
		return &Default{Literal: true, Value: t.text}, nil
	case t.kind == tokPunct && (t.text == "-" || t.text == "+") && p.peekN(1).kind == tokNumber:
		p.next()
		n := p.next()
		v := n.text
		if t.text == "-" {
			v = "-" + v
		}
		return &Default{Literal: true, Value: v}, nil
	case p.is("NULL"):
		p.next()
		return &Default{Null: true}, nil
	case p.is("TRUE"):
		p.next()
		return &Default{Literal: true, Value: "1"}, nil
	case p.is("FALSE"):
		p.next()
		return &Default{Literal: true, Value: "0"}, nil
	case p.is("NEXT") && p.isAt(1, "VALUE") || p.is("PREVIOUS") && p.isAt(1, "VALUE"):
		// MariaDB's NEXT / PREVIOUS VALUE FOR sequence.
		start := p.i
		p.i += 2
		if err := p.expect("FOR"); err != nil {
			return nil, err
		}
		if _, err := p.name(); err != nil {
			return nil, err
		}
		return &Default{Value: p.textFrom(start)}, nil
	}
	expr, err := p.expression()
	if err != nil {
		return nil, err
	}
	return &Default{Value: expr}, nil
}

// expression reads a simple expression: a word with an optional argument list, or a
// parenthesised expression, and returns its text.
func (p *parser) expression() (string, error) {
	start := p.i
	if p.isPunct("(") {
		if err := p.skipBalanced(); err != nil {
			return "", err
		}
		return p.textFrom(start), nil
	}
	t := p.next()
	if t.kind == tokEOF {
		return "", p.errorf("expected an expression")
	}
	if p.isPunct("(") {
		if err := p.skipBalanced(); err != nil {
			return "", err
		}
	}
	return p.textFrom(start), nil
}

func (p *parser) alter() (Statement, error) {
	p.accept("ONLINE")
	p.accept("OFFLINE")
	p.accept("IGNORE")
	switch {
	case p.accept("TABLE"):
	case p.accept("DATABASE") || p.accept("SCHEMA"):
		name := ""
		if !p.is("DEFAULT") && !p.is("CHARACTER") && !p.is("CHARSET") && !p.is("COLLATE") && !p.is("UPGRADE") {
			n, err := p.ident()
			if err != nil {
				return nil, err
			}
			name = n
		}
		cs, coll := p.databaseOptions()
		return &AlterDatabase{Name: name, Charset: charsetOf(cs, coll)}, nil
	default:
		return nil, nil
	}
	p.accept("IF", "EXISTS")
	n, err := p.name()
	if err != nil {
		return nil, err
	}
	at := &AlterTable{Name: n}
	p.waitClause()
	for !p.atEnd() {
		if err := p.alterSpec(at); err != nil {
			return nil, err
		}
		if !p.acceptPunct(",") {
			break
		}
	}
	if !p.atEnd() && !p.is("PARTITION") {
		return nil, p.errorf("unexpected text after ALTER TABLE specification")
	}
	return at, nil
}

// waitClause skips MariaDB's WAIT n / NOWAIT lock timeout after a table name.
func (p *parser) waitClause() {
	if p.is("WAIT") && p.peekN(1).kind == tokNumber {
		p.i += 2
	} else {
		p.accept("NOWAIT")
	}
}

// position reads FIRST or AFTER col into s.
func (p *parser) position(s *AlterSpec) error {
	if p.accept("FIRST") {
		s.First = true
	} else if p.accept("AFTER") {
		a, err := p.ident()
		if err != nil {
			return err
		}
		s.After = a
	}
	return nil
}

func (p *parser) alterSpec(at *AlterTable) error {
	switch {
	case p.accept("ADD"):
		if p.accept("SYSTEM", "VERSIONING") {
			at.Specs = append(at.Specs, AlterSpec{Kind: AddSystemVersioning})
			return nil
		}
		column := p.accept("COLUMN")
		ifNot := p.accept("IF", "NOT", "EXISTS")
		if p.acceptPunct("(") {
			// ADD [COLUMN] (element, ...): columns and, as MariaDB allows, keys.
			for {
				if err := p.addElement(at, ifNot, column, true); err != nil {
					return err
				}
				if p.acceptPunct(",") {
					continue
				}
				return p.expectPunct(")")
			}
		}
		return p.addElement(at, ifNot, column, false)
	case p.accept("DROP"):
		switch {
		case p.accept("PRIMARY", "KEY"):
			at.Specs = append(at.Specs, AlterSpec{Kind: DropPrimaryKey})
			return nil
		case p.accept("SYSTEM", "VERSIONING"):
			at.Specs = append(at.Specs, AlterSpec{Kind: DropSystemVersioning})
			return nil
		case p.is("INDEX") || p.is("KEY") || p.is("FOREIGN") || p.is("CONSTRAINT") || p.is("CHECK") || p.is("PARTITION") || p.is("SYSTEM") || p.is("PERIOD"):
			return p.skipUntilElementEnd()
		}
		p.accept("COLUMN")
		ifExists := p.accept("IF", "EXISTS")
		c, err := p.ident()
		if err != nil {
			return err
		}
		p.accept("RESTRICT")
		p.accept("CASCADE")
		at.Specs = append(at.Specs, AlterSpec{Kind: DropColumn, Old: c, IfExists: ifExists})
		return nil
	case p.accept("MODIFY"):
		p.accept("COLUMN")
		ifExists := p.accept("IF", "EXISTS")
		col, err := p.columnDef()
		if err != nil {
			return err
		}
		s := AlterSpec{Kind: ModifyColumn, Column: col, Old: col.Name, IfExists: ifExists}
		if err := p.position(&s); err != nil {
			return err
		}
		at.Specs = append(at.Specs, s)
		return nil
	case p.accept("CHANGE"):
		p.accept("COLUMN")
		ifExists := p.accept("IF", "EXISTS")
		old, err := p.ident()
		if err != nil {
			return err
		}
		col, err := p.columnDef()
		if err != nil {
			return err
		}
		s := AlterSpec{Kind: ChangeColumn, Column: col, Old: old, IfExists: ifExists}
		if err := p.position(&s); err != nil {
			return err
		}
		at.Specs = append(at.Specs, s)
		return nil
	case p.accept("RENAME"):
		switch {
		case p.accept("COLUMN"):
			p.accept("IF", "EXISTS")
			old, err := p.ident()
			if err != nil {
				return err
			}
			if err := p.expect("TO"); err != nil {
				return err
			}
			nw, err := p.ident()
			if err != nil {
				return err
			}
			at.Specs = append(at.Specs, AlterSpec{Kind: RenameColumn, Old: old, New: nw})
			return nil
		case p.is("INDEX") || p.is("KEY"):
			return p.skipUntilElementEnd()
		}
		if !p.accept("TO") {
			p.accept("AS")
		}
		n, err := p.name()
		if err != nil {
			return err
		}
		at.Specs = append(at.Specs, AlterSpec{Kind: RenameTo, NewName: n})
		return nil
	case p.accept("ALTER"):
		if p.is("INDEX") || p.is("KEY") || p.is("CHECK") || p.is("CONSTRAINT") {
			return p.skipUntilElementEnd()
		}
		p.accept("COLUMN")
		p.accept("IF", "EXISTS")
		c, err := p.ident()
		if err != nil {
			return err
		}
		switch {
		case p.accept("SET", "DEFAULT"):
			d, err := p.defaultValue()
			if err != nil {
				return err
			}
			at.Specs = append(at.Specs, AlterSpec{Kind: SetDefault, Old: c, Default: d})
		case p.accept("DROP", "DEFAULT"):
			at.Specs = append(at.Specs, AlterSpec{Kind: DropDefault, Old: c})
		default:
			return p.skipUntilElementEnd()
		}
		return nil
	case p.accept("CONVERT", "TO"):
		if !p.accept("CHARACTER", "SET") && !p.accept("CHARSET") {
			return p.errorf("expected CHARACTER SET")
		}
		cs, err := p.word()
		if err != nil {
			return err
		}
		s := AlterSpec{Kind: ConvertCharset, Charset: cs}
		if p.accept("COLLATE") {
			s.Collation, _ = p.word()
		}
		at.Specs = append(at.Specs, s)
		return nil
	case p.is("DEFAULT") || p.is("CHARACTER") || p.is("CHAR") || p.is("CHARSET") || p.is("COLLATE"):
		p.accept("DEFAULT")
		s := AlterSpec{Kind: TableCharset}
		for {
			p.accept("DEFAULT")
			if p.accept("CHARACTER", "SET") || p.accept("CHAR", "SET") || p.accept("CHARSET") {
				p.acceptPunct("=")
				s.Charset, _ = p.word()
			} else if p.accept("COLLATE") {
				p.acceptPunct("=")
				s.Collation, _ = p.word()
			} else {
				break
			}
		}
		if strings.EqualFold(s.Charset, "DEFAULT") {
			// The database's default; the model resolves it.
			s.Charset = "DEFAULT"
		} else {
			s.Charset = charsetOf(s.Charset, s.Collation)
		}
		at.Specs = append(at.Specs, s)
		return nil
	case p.accept("COMMENT"):
		p.acceptPunct("=")
		t := p.next()
		at.Specs = append(at.Specs, AlterSpec{Kind: TableComment, Comment: t.text})
		return nil
	}
	// Everything else (ENGINE=, ALGORITHM=, LOCK=, FORCE, ORDER BY, partition maintenance, ...)
	// leaves the columns alone.
	return p.skipUntilSpecEnd()
}

// addElement reads what follows ADD [COLUMN] [IF NOT EXISTS], or one element of its
// parenthesised list: a column definition, or (unless column is set outside a list) a key or
// constraint. In a list, columns take no FIRST/AFTER.
func (p *parser) addElement(at *AlterTable, ifNot, column, inList bool) error {
	if !column || inList {
		if p.accept("CONSTRAINT") {
			p.accept("IF", "NOT", "EXISTS")
			if !p.is("PRIMARY") && !p.is("UNIQUE") && !p.is("FOREIGN") && !p.is("CHECK") {
				if _, err := p.ident(); err != nil {
					return err
				}
			}
		}
		switch {
		case p.accept("PRIMARY", "KEY"):
			ifNotPK := p.accept("IF", "NOT", "EXISTS") || ifNot
			cols, err := p.indexTail()
			if err != nil {
				return err
			}
			at.Specs = append(at.Specs, AlterSpec{Kind: AddPrimaryKey, Columns: cols, IfNotExists: ifNotPK})
			return nil
		case p.accept("UNIQUE"):
			if !p.accept("KEY") {
				p.accept("INDEX")
			}
			p.accept("IF", "NOT", "EXISTS")
			cols, err := p.indexTail()
			if err != nil {
				return err
			}
			at.Specs = append(at.Specs, AlterSpec{Kind: AddUnique, Columns: cols})
			return nil
		case p.is("INDEX") || p.is("KEY") || p.is("FULLTEXT") || p.is("SPATIAL"):
			p.next()
			p.accept("INDEX")
			p.accept("KEY")
			p.accept("IF", "NOT", "EXISTS")
			_, err := p.indexTail()
			return err
		case p.accept("PERIOD", "FOR"):
			per, err := p.period()
			if err != nil {
				return err
			}
			if per != nil {
				at.Specs = append(at.Specs, AlterSpec{Kind: AddPeriod, Period: *per})
			}
			return nil
		case p.is("FOREIGN") || p.is("CHECK") || p.is("PARTITION"):
			return p.skipUntilElementEnd()
		}
	}
	col, err := p.columnDef()
	if err != nil {
		return err
	}
	s := AlterSpec{Kind: AddColumn, Column: col, IfNotExists: ifNot}
	if !inList {
		if err := p.position(&s); err != nil {
			return err
		}
	}
	at.Specs = append(at.Specs, s)
	return nil
}

// skipUntilSpecEnd skips to the "," that ends an ALTER specification, or the statement's end.
func (p *parser) skipUntilSpecEnd() error {
	for !p.atEnd() && !p.isPunct(",") {
		if p.isPunct("(") {
			if err := p.skipBalanced(); err != nil {
				return err
			}
			continue
		}
		p.next()
	}
	return nil
}

func (p *parser) drop() (Statement, error) {
	temporary := p.accept("TEMPORARY")
	switch {
	case p.accept("TABLE") || p.accept("TABLES"):
		dt := &DropTable{Temporary: temporary}
		dt.IfExists = p.accept("IF", "EXISTS")
		for {
			n, err := p.name()
			if err != nil {
				return nil, err
			}
			dt.Names = append(dt.Names, n)
			if !p.acceptPunct(",") {
				break
			}
		}
		return dt, nil
	case p.accept("DATABASE") || p.accept("SCHEMA"):
		ifExists := p.accept("IF", "EXISTS")
		n, err := p.ident()
		if err != nil {
			return nil, err
		}
		return &DropDatabase{Name: n, IfExists: ifExists}, nil
	case p.accept("INDEX"):
		p.accept("IF", "EXISTS")
		if _, err := p.ident(); err != nil {
			return nil, err
		}
		if err := p.expect("ON"); err != nil {
			return nil, err
		}
		n, err := p.name()
		if err != nil {
			return nil, err
		}
		return &DropIndex{Table: n}, nil
	}
	return nil, nil
}

func (p *parser) renameTable() (Statement, error) {
	rt := &RenameTable{}
	// MariaDB's IF EXISTS: a missing table is skipped, which the model does anyway.
	p.accept("IF", "EXISTS")
	for {
		from, err := p.name()
		if err != nil {
			return nil, err
		}
		p.waitClause()
		if err := p.expect("TO"); err != nil {
			return nil, err
		}
		to, err := p.name()
		if err != nil {
			return nil, err
		}
		rt.From = append(rt.From, from)
		rt.To = append(rt.To, to)
		if !p.acceptPunct(",") {
			return rt, nil
		}
	}
}
