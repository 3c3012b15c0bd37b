package diff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Kind is the JSON type of a Node.
type Kind uint8

// The JSON types. Numbers keep their literal text, so 1 and 1.0 differ: Kafka's JsonConverter
// writes doubles as 1.0 and a compatible converter must too.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

// String names the kind as JSON does.
func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Bool:
		return "boolean"
	case Number:
		return "number"
	case String:
		return "string"
	case Array:
		return "array"
	case Object:
		return "object"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Member is one name/value pair of a JSON object, kept in document order.
type Member struct {
	// Name is the member's name.
	Name string
	// Value is the member's value.
	Value *Node
}

// Node is a parsed JSON value that keeps what encoding/json's maps lose: the order of object
// members (Debezium's field order is part of the format) and the literal text of numbers.
type Node struct {
	// Kind is the JSON type.
	Kind Kind
	// Bool holds a boolean's value.
	Bool bool
	// Text holds a string's value or a number's literal text.
	Text string
	// Elems holds an array's elements.
	Elems []*Node
	// Members holds an object's members in document order.
	Members []Member
}

// Get returns the value of the object member name, or nil when n is not an object or has no
// such member.
func (n *Node) Get(name string) *Node {
	if n == nil || n.Kind != Object {
		return nil
	}
	for _, m := range n.Members {
		if m.Name == name {
			return m.Value
		}
	}
	return nil
}

// ParseJSON parses one JSON document, keeping member order and number literals.
func ParseJSON(data []byte) (*Node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := parseValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return n, nil
}

func parseValue(dec *json.Decoder) (*Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case nil:
		return &Node{Kind: Null}, nil
	case bool:
		return &Node{Kind: Bool, Bool: t}, nil
	case json.Number:
		return &Node{Kind: Number, Text: t.String()}, nil
	case string:
		return &Node{Kind: String, Text: t}, nil
	case json.Delim:
		switch t {
		case '[':
			n := &Node{Kind: Array, Elems: []*Node{}}
			for dec.More() {
				e, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				n.Elems = append(n.Elems, e)
			}
			_, err := dec.Token() // ']'
			return n, err
		case '{':
			n := &Node{Kind: Object, Members: []Member{}}
			for dec.More() {
				nt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				name, ok := nt.(string)
				if !ok {
					return nil, fmt.Errorf("object member name is %v, not a string", nt)
				}
				v, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				n.Members = append(n.Members, Member{Name: name, Value: v})
			}
			_, err := dec.Token() // '}'
			return n, err
		}
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// Compact renders n as compact JSON, in its own member order; strings are escaped as
// encoding/json escapes them. It is for reports, so it never fails.
func (n *Node) Compact() string {
	var b strings.Builder
	n.write(&b)
	return b.String()
}

func (n *Node) write(b *strings.Builder) {
	if n == nil {
		b.WriteString("(absent)")
		return
	}
	switch n.Kind {
	case Null:
		b.WriteString("null")
	case Bool:
		b.WriteString(strconv.FormatBool(n.Bool))
	case Number:
		b.WriteString(n.Text)
	case String:
		q, _ := json.Marshal(n.Text)
		b.Write(q)
	case Array:
		b.WriteByte('[')
		for i, e := range n.Elems {
			if i > 0 {
				b.WriteByte(',')
			}
			e.write(b)
		}
		b.WriteByte(']')
	case Object:
		b.WriteByte('{')
		for i, m := range n.Members {
			if i > 0 {
				b.WriteByte(',')
			}
			q, _ := json.Marshal(m.Name)
			b.Write(q)
			b.WriteByte(':')
			m.Value.write(b)
		}
		b.WriteByte('}')
	}
}
