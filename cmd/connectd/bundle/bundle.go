// Package bundle lists the connector plugins shipped in the connectd binary. Each connector
// package adds its plugin here; test-only connectors never do (they are registered by test
// binaries).
package bundle

import (
	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/db2"
	"github.com/connectd/connectd/connectors/mysql"
	"github.com/connectd/connectd/connectors/postgres"
	"github.com/connectd/connectd/connectors/sqlserver"
)

// Plugins returns the product's connector plugins.
func Plugins() []api.Plugin {
	var ps []api.Plugin
	ps = append(ps, mysql.Plugins()...)
	ps = append(ps, postgres.Plugin())
	ps = append(ps, sqlserver.Plugin())
	ps = append(ps, db2.Plugin())
	return ps
}
