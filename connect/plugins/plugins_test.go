package plugins

import (
	"testing"

	"github.com/connectd/connectd/connect/api"
)

func demo(class string, aliases ...string) api.Plugin {
	return api.Plugin{Class: class, Aliases: aliases, New: func() api.SourceConnector { return nil },
		Spec: api.ConfigSpec{{Name: "database.password", Type: api.ConfigPassword}, {Name: "database.user", Type: api.ConfigString}}}
}

func TestLookupByClassAliasAndShortNames(t *testing.T) {
	r, err := New(demo("io.debezium.connector.mysql.MySqlConnector", "io.connectd.MySQL"), demo("io.debezium.connector.postgresql.PostgresConnector"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"io.debezium.connector.mysql.MySqlConnector": "io.debezium.connector.mysql.MySqlConnector",
		"io.connectd.MySQL":                          "io.debezium.connector.mysql.MySqlConnector",
		"MySqlConnector":                             "io.debezium.connector.mysql.MySqlConnector",
		"MySql":                                      "io.debezium.connector.mysql.MySqlConnector",
		" PostgresConnector ":                        "io.debezium.connector.postgresql.PostgresConnector",
	} {
		p, ok := r.Lookup(name)
		if !ok || p.Class != want {
			t.Errorf("Lookup(%q) = %v, %v; want %s", name, p, ok, want)
		}
	}
	if _, ok := r.Lookup("Oracle"); ok {
		t.Error("an unknown name was found")
	}
	if got := r.List(); len(got) != 2 || got[0].Class > got[1].Class {
		t.Errorf("List = %v, want 2 plugins sorted by class", got)
	}
	if _, err := New(demo("a.B", "x"), demo("c.D", "x")); err == nil {
		t.Error("two plugins claiming the same alias were accepted")
	}
}

func TestMaskAndUnmask(t *testing.T) {
	r, _ := New(demo("io.example.DemoConnector"))
	stored := map[string]string{"connector.class": "io.example.DemoConnector", "database.password": "s3cret",
		"database.user": "bob", "producer.override.sasl.jaas.config": "jaas secret", "empty.password": "",
		"producer.override.ssl.keystore.key": "-----BEGIN PRIVATE KEY-----"}
	masked := r.Mask(stored)
	for k, want := range map[string]string{"database.password": Hidden, "producer.override.sasl.jaas.config": Hidden,
		"producer.override.ssl.keystore.key": Hidden,
		"database.user":                      "bob", "empty.password": ""} {
		if masked[k] != want {
			t.Errorf("Mask: %s = %q, want %q", k, masked[k], want)
		}
	}
	if stored["database.password"] != "s3cret" {
		t.Fatal("Mask changed its input")
	}
	// A GET → PUT round trip keeps the secrets.
	back := r.Unmask(masked, stored)
	if back["database.password"] != "s3cret" || back["producer.override.sasl.jaas.config"] != "jaas secret" {
		t.Errorf("Unmask lost a secret: %v", back)
	}
	// A new password replaces the stored one.
	masked["database.password"] = "new"
	if got := r.Unmask(masked, stored)["database.password"]; got != "new" {
		t.Errorf("a changed password = %q, want new", got)
	}
	// The mask is never stored as a password.
	if _, ok := r.Unmask(map[string]string{"connector.class": "io.example.DemoConnector", "database.password": Hidden}, nil)["database.password"]; ok {
		t.Error("a hidden password without a stored value was kept")
	}
}
