package converter

import (
	"strings"
	"testing"

	"github.com/connectd/connectd/connect/api"
)

func TestStringConverter(t *testing.T) {
	c, err := New(StringClass, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		v    any
		want string
	}{{"héllo", "héllo"}, {int64(-7), "-7"}, {true, "true"}, {1.0, "1.0"}, {0.5, "0.5"}, {1e10, "1.0E10"}, {float32(2.5), "2.5"}} {
		b, err := c.FromConnectData("t", nil, tc.v)
		if err != nil || string(b) != tc.want {
			t.Errorf("%#v: %q %v, want %q", tc.v, b, err, tc.want)
		}
	}
	if b, err := c.FromConnectData("t", nil, nil); b != nil || err != nil {
		t.Errorf("nil: %q %v, want a null record part", b, err)
	}
	if _, err := New(StringClass, map[string]string{"converter.encoding": "ISO-8859-1"}, false); err == nil {
		t.Error("a non-UTF-8 encoding was accepted")
	}
}

func TestByteArrayConverter(t *testing.T) {
	c, _ := New("ByteArrayConverter", nil, true)
	if b, err := c.FromConnectData("t", api.NewSchema(api.TypeBytes).Build(), []byte{1, 2}); err != nil || string(b) != "\x01\x02" {
		t.Errorf("bytes: %q %v", b, err)
	}
	if _, err := c.FromConnectData("t", nil, "text"); err == nil || !strings.Contains(err.Error(), "not compatible") {
		t.Errorf("string value: %v", err)
	}
	if _, err := c.FromConnectData("t", api.NewSchema(api.TypeString).Build(), []byte("x")); err == nil {
		t.Error("a string schema was accepted")
	}
}

func TestJSONConverterAdapter(t *testing.T) {
	c, err := New(JSONClass, map[string]string{"schemas.enable": "false"}, true)
	if err != nil {
		t.Fatal(err)
	}
	s := api.StructSchema().Field("seq", api.NewSchema(api.TypeInt64).Build()).Build()
	st := api.NewStruct(s)
	st.PutIndex(0, int64(5))
	if b, err := c.FromConnectData("t", s, st); err != nil || string(b) != `{"seq":5}` {
		t.Errorf("struct: %s %v", b, err)
	}
	if b, err := c.FromConnectData("t", nil, nil); b != nil || err != nil {
		t.Errorf("tombstone: %q %v", b, err)
	}
	if _, err := New("io.example.AvroConverter", nil, false); err == nil || !strings.Contains(err.Error(), "not available") {
		t.Errorf("unknown class: %v", err)
	}
}

func TestAvroClasses(t *testing.T) {
	for _, c := range []string{AvroClass, ApicurioAvroClass, "AvroConverter"} {
		if !Known(c) {
			t.Errorf("%s is not known", c)
		}
	}
	if Known("io.example.AvroConverter") {
		t.Error("a class of another package was taken for its simple name")
	}
	if _, err := New("AvroConverter", map[string]string{"schema.registry.url": "http://127.0.0.1:1"}, false); err != nil {
		t.Errorf("the simple name should resolve to Confluent's converter: %v", err)
	}
	if _, err := New(AvroClass, nil, false); err == nil || !strings.Contains(err.Error(), "schema.registry.url is not set") {
		t.Errorf("no registry URL: %v", err)
	}
}
