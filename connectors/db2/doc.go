// Package db2 is connectd's Db2 (LUW) source connector, a stand-in for Debezium's
// io.debezium.connector.db2.Db2Connector: the same properties (database.dbname,
// cdc.control.schema, cdc.change.tables.schema, table.include.list, snapshot.mode, ...), topics
// (<topic.prefix>.<schema>.<table>), source block and offsets ({commit_lsn, change_lsn,
// event_serial_no} under the partition {server}).
//
// Like Debezium's, it reads the change-data (CD) tables the ASN capture program fills, listed in
// ASNCDC.IBMSNAP_REGISTER, ordered by IBMSNAP_COMMITSEQ and IBMSNAP_INTENTSEQ, with Debezium's
// query that turns a delete followed by an insert of the same commit into an update's before
// and after images. Ordering, pairing, restarts inside a transaction and capture switches are
// package changetable's.
//
// The driver, github.com/ibmdb/go_ibm_db, needs cgo and IBM's CLI driver (libdb2.so and its
// headers), so it is only linked into builds with the db2 build tag. The ibm_db wheel on PyPI
// bundles a usable clidriver (and, in ibm_db.libs/, the libraries libdb2.so needs);
// clidriver.sh fetches it and prints the environment:
//
//	eval "$(connectors/db2/clidriver.sh /opt/ibm-clidriver)"
//	go build -tags db2 ./cmd/connectd
//
// Without the tag the connector is registered but its tasks fail at start saying how to build
// with Db2 support. It is tested through a test double of the driver at the database/sql
// boundary on recorded rows; with the tag, a test also checks that the real driver loads and
// reaches the network. It has never been run against a real Db2.
package db2
