//go:build db2

package db2

// The real driver: go_ibm_db registers itself as "go_ibm_db". It needs cgo and IBM's clidriver.
import _ "github.com/ibmdb/go_ibm_db"

func init() { driverLinked = true }
