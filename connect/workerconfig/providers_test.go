package workerconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestProvidersResolveFileDirectoryAndEnv(t *testing.T) {
	dir := t.TempDir()
	props := filepath.Join(dir, "db.properties")
	writeFile(t, props, "user=cdc\npassword = s3cr=t\\u0021\n")
	writeFile(t, filepath.Join(dir, "token"), "abc\n")
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CONNECTD_PT_HOST", "db.internal")
	t.Setenv("CONNECTD_PT_OTHER", "nope")
	p, err := NewProviders(map[string]string{
		"config.providers":                             "file, dir ,env",
		"config.providers.file.class":                  FileConfigProviderClass,
		"config.providers.dir.class":                   DirectoryConfigProviderClass,
		"config.providers.env.class":                   EnvVarConfigProviderClass,
		"config.providers.env.param.allowlist.pattern": "CONNECTD_PT_HOST",
	})
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]string{
		"database.user":     "${file:" + props + ":user}",
		"database.password": "${file:" + props + ":password}",
		"token":             "${dir:" + dir + ":token}",
		"subdir":            "${dir:" + dir + ":sub}",
		"url":               "jdbc://${env:CONNECTD_PT_HOST}:${env::CONNECTD_PT_HOST}/x",
		"not.allowed":       "${env:CONNECTD_PT_OTHER}",
		"missing.key":       "${file:" + props + ":nothing}",
		"unknown.provider":  "${vault:secret/db:password}",
		"plain":             "$notavariable{x}",
	}
	out, err := p.Transform(in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"database.user":     "cdc",
		"database.password": "s3cr=t!",
		"token":             "abc\n", // the whole file, as DirectoryConfigProvider reads it
		"subdir":            in["subdir"],
		"url":               "jdbc://db.internal:db.internal/x",
		"not.allowed":       in["not.allowed"],
		"missing.key":       in["missing.key"],
		"unknown.provider":  in["unknown.provider"],
		"plain":             in["plain"],
	}
	for k, v := range want {
		if out[k] != v {
			t.Errorf("%s = %q, want %q", k, out[k], v)
		}
	}
	if in["database.user"] != "${file:"+props+":user}" {
		t.Error("Transform changed its input")
	}

	tasks := ReverseTransform(in, out, []map[string]string{{"database.password": "s3cr=t!", "database.user": "other", "task.id": "0"}})
	if tasks[0]["database.password"] != in["database.password"] || tasks[0]["database.user"] != "other" || tasks[0]["task.id"] != "0" {
		t.Errorf("ReverseTransform = %v", tasks[0])
	}
}

func TestProvidersRefuseWhatTheyMayNotRead(t *testing.T) {
	dir := t.TempDir()
	allowed := filepath.Join(dir, "allowed")
	if err := os.Mkdir(allowed, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(allowed, "a.properties"), "k=v\n")
	writeFile(t, filepath.Join(dir, "b.properties"), "k=secret-of-b\n")
	p, err := NewProviders(map[string]string{
		"config.providers":                          "file,env",
		"config.providers.file.class":               FileConfigProviderClass,
		"config.providers.file.param.allowed.paths": allowed,
		"config.providers.env.class":                EnvVarConfigProviderClass,
	})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := p.Transform(map[string]string{"x": "${file:" + allowed + "/a.properties:k}"}); err != nil || out["x"] != "v" {
		t.Errorf("allowed file: %v, %v", out, err)
	}
	for _, path := range []string{filepath.Join(dir, "b.properties"), allowed + "/../b.properties", allowed + "x/b.properties", "b.properties"} {
		_, err := p.Transform(map[string]string{"x": "${file:" + path + ":k}"})
		if err == nil || !strings.Contains(err.Error(), "allowed.paths") {
			t.Errorf("file %s outside allowed.paths: err = %v", path, err)
		}
	}
	_, err = p.Transform(map[string]string{"x": "${env:/etc:HOME}"})
	if err == nil || !strings.Contains(err.Error(), "path is not supported") {
		t.Errorf("env with a path: err = %v", err)
	}
	writeFile(t, filepath.Join(allowed, "bad.properties"), "k=ok\nsecret-line-value\\u12\n")
	if _, err = p.Transform(map[string]string{"x": "${file:" + filepath.Join(allowed, "bad.properties") + ":k}"}); err == nil || strings.Contains(err.Error(), "secret-line-value") {
		t.Errorf("invalid properties file: err = %v; want an error that does not quote the file", err)
	}
	_, err = p.Transform(map[string]string{"x": "${file:" + filepath.Join(allowed, "missing.properties") + ":k}"})
	if err == nil || !strings.Contains(err.Error(), "could not read properties from file") {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestProvidersConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		props map[string]string
		want  string
	}{
		{map[string]string{"config.providers": "file"}, "config.providers.file.class is not set"},
		{map[string]string{"config.providers": "v", "config.providers.v.class": "io.confluent.VaultProvider"}, "is not supported"},
		{map[string]string{"config.providers": "f", "config.providers.f.class": FileConfigProviderClass, "config.providers.f.param.allowed.paths": "relative/dir"}, "not an absolute path"},
		{map[string]string{"config.providers": "e", "config.providers.e.class": EnvVarConfigProviderClass, "config.providers.e.param.allowlist.pattern": "("}, "not a valid regular expression"},
	} {
		if _, err := NewProviders(tc.props); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.props, err, tc.want)
		}
		props := map[string]string{"offset.storage.file.filename": "/tmp/x"}
		for k, v := range tc.props {
			props[k] = v
		}
		if _, _, err := Parse(props, Standalone); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse %v: err = %v, want %q", tc.props, err, tc.want)
		}
	}
}

func TestWorkerSettingsUseTheWorkersProviders(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "w.properties"), "servers=127.0.0.1:19092\n")
	w, _, err := Parse(map[string]string{
		"config.providers":             "file",
		"config.providers.file.class":  FileConfigProviderClass,
		"bootstrap.servers":            "${file:" + filepath.Join(dir, "w.properties") + ":servers}",
		"offset.storage.file.filename": "/tmp/offsets",
	}, Standalone)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.BootstrapServers) != 1 || w.BootstrapServers[0] != "127.0.0.1:19092" || w.Providers == nil {
		t.Errorf("bootstrap.servers = %v, providers %v", w.BootstrapServers, w.Providers)
	}
}
