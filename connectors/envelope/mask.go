package envelope

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/filters"
)

// ColumnMappers are a connector's column.truncate.to.N.chars, column.mask.with.N.chars and
// column.mask.hash[.v2].<algorithm>.with.salt.<salt> rules, as Debezium's ColumnMappers: the
// first rule whose column list matches a column ("<table id>.<column>") maps its values in the
// value schema (never the key). Built once per connector; nil maps nothing.
type ColumnMappers struct {
	rules []mapperRule
}

type mapperKind int

const (
	mapTruncate mapperKind = iota
	mapMask
	mapHash
)

type mapperRule struct {
	key     string // the configuration key, for errors
	columns filters.List
	kind    mapperKind
	n       int    // truncate: the maximum length in UTF-16 units, as Java's String.length
	mask    string // mask: the replacement
	newHash func() hash.Hash
	salt    []byte
	v2      bool // hash: hash the string's bytes (v2) instead of its Java serialization (v1)
}

var (
	truncateKey = regexp.MustCompile(`^column\.truncate\.to\.(\d+)\.chars$`)
	maskKey     = regexp.MustCompile(`^column\.mask\.with\.(\d+)\.chars$`)
	hashKey     = regexp.MustCompile(`^column\.mask\.hash\.([^.]+)\.with\.salt\.(.+)$`)
	hashV2Key   = regexp.MustCompile(`^column\.mask\.hash\.v2\.([^.]+)\.with\.salt\.(.+)$`)
)

// IsColumnMapperKey reports whether a configuration key is one of the column mapping patterns, so
// a connector's validation accepts it.
func IsColumnMapperKey(k string) bool {
	return truncateKey.MatchString(k) || maskKey.MatchString(k) || hashKey.MatchString(k) || hashV2Key.MatchString(k)
}

// digests are the java.security.MessageDigest algorithm names Debezium accepts, by upper case.
var digests = map[string]func() hash.Hash{
	"MD5": md5.New, "SHA": sha1.New, "SHA1": sha1.New, "SHA-1": sha1.New,
	"SHA-224": sha256.New224, "SHA-256": sha256.New, "SHA-384": sha512.New384, "SHA-512": sha512.New,
	"SHA-512/224": sha512.New512_224, "SHA-512/256": sha512.New512_256,
	"SHA3-224": func() hash.Hash { return sha3.New224() }, "SHA3-256": func() hash.Hash { return sha3.New256() },
	"SHA3-384": func() hash.Hash { return sha3.New384() }, "SHA3-512": func() hash.Hash { return sha3.New512() },
}

// ParseColumnMappers reads the column mapping rules of a connector configuration. The rules keep
// Debezium's precedence: truncation rules, then masks, then v1 hashes, then v2 hashes (keys of one
// kind in name order).
func ParseColumnMappers(config map[string]string) (*ColumnMappers, error) {
	keys := make([]string, 0, 8)
	for k := range config {
		if strings.HasPrefix(k, "column.") && IsColumnMapperKey(k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	sort.Strings(keys)
	var groups [4][]mapperRule
	for _, k := range keys {
		cols, err := filters.ParseList(config[k])
		if err != nil {
			return nil, fmt.Errorf("invalid %s: %w", k, err)
		}
		r := mapperRule{key: k, columns: cols}
		group := 0
		switch {
		case truncateKey.MatchString(k):
			n, err := strconv.Atoi(truncateKey.FindStringSubmatch(k)[1])
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("invalid %s: the maximum length must be a positive number of characters", k)
			}
			r.kind, r.n = mapTruncate, n
		case maskKey.MatchString(k):
			n, err := strconv.Atoi(maskKey.FindStringSubmatch(k)[1])
			if err != nil || n > 1<<20 {
				return nil, fmt.Errorf("invalid %s: the mask length must be a number of characters up to 1048576", k)
			}
			r.kind, r.mask, group = mapMask, strings.Repeat("*", n), 1
		default:
			m, v2 := hashKey.FindStringSubmatch(k), false
			if mv2 := hashV2Key.FindStringSubmatch(k); mv2 != nil {
				m, v2 = mv2, true
			}
			nh, ok := digests[strings.ToUpper(m[1])]
			if !ok {
				names := make([]string, 0, len(digests))
				for n := range digests {
					names = append(names, n)
				}
				sort.Strings(names)
				return nil, fmt.Errorf("invalid %s: hash algorithm %q is not supported; use one of %s", k, m[1], strings.Join(names, ", "))
			}
			r.kind, r.newHash, r.salt, r.v2, group = mapHash, nh, []byte(m[2]), v2, 2
			if v2 {
				group = 3
			}
		}
		groups[group] = append(groups[group], r)
	}
	cm := &ColumnMappers{}
	for _, g := range groups {
		cm.rules = append(cm.rules, g...)
	}
	return cm, nil
}

// ruleFor returns the first rule matching a column, as Debezium's mapperFor.
func (cm *ColumnMappers) ruleFor(id relational.TableID, column string) *mapperRule {
	if cm == nil {
		return nil
	}
	fq := id.String() + "." + column
	for i := range cm.rules {
		if cm.rules[i].columns.Matches(fq) {
			return &cm.rules[i]
		}
	}
	return nil
}

// isCharacterColumn reports the JDBC types Debezium's MaskStrings masks; other columns keep their
// values (but still get the "masked" parameter).
func isCharacterColumn(c *relational.Column) bool {
	switch c.JDBCType {
	case relational.TypeChar, relational.TypeVarchar, relational.TypeLongVarchar, relational.TypeClob,
		relational.TypeNChar, relational.TypeNVarchar, relational.TypeLongNVarchar, relational.TypeNClob,
		relational.TypeDatalink:
		return true
	}
	return false
}

func columnLength(c *relational.Column) int {
	if c.Length.Valid {
		return c.Length.V
	}
	return -1
}

// mapping returns the schema parameter a rule adds to the column's value field and the function
// applied to its converted values (nil: values unchanged).
func (r *mapperRule) mapping(c *relational.Column) (param *api.Param, fn func(any) any) {
	switch r.kind {
	case mapTruncate:
		if l := columnLength(c); l >= 0 && l <= r.n {
			return nil, nil // nothing can be longer than the limit
		}
		n := r.n
		return &api.Param{Key: "truncateLength", Value: strconv.Itoa(n)}, func(v any) any {
			if s, ok := v.(string); ok {
				return truncateUTF16(s, n)
			}
			return v
		}
	case mapMask:
		param = &api.Param{Key: "masked", Value: "true"}
		if !isCharacterColumn(c) {
			return param, nil
		}
		mask := r.mask
		// Debezium's mask replaces every value, NULL included.
		return param, func(any) any { return mask }
	default:
		param = &api.Param{Key: "masked", Value: "true"}
		if !isCharacterColumn(c) {
			return param, nil
		}
		newHash, salt, v2, l := r.newHash, r.salt, r.v2, columnLength(c)
		return param, func(v any) any {
			s, ok := v.(string)
			if !ok {
				return nil // Debezium hashes Serializable values; a NULL stays NULL
			}
			h := newHash()
			h.Write(salt)
			if v2 {
				h.Write([]byte(s))
			} else {
				h.Write(javaSerializedString(s))
			}
			out := hex.EncodeToString(h.Sum(nil))
			if l > 0 {
				out = truncateUTF16(out, l)
			}
			return out
		}
	}
}

// truncateUTF16 keeps the first n UTF-16 code units of s, as Java's String.substring(0, n). A
// surrogate pair cut in half loses its first half too, since Go strings cannot hold a lone
// surrogate (Java would emit one, which its JSON writer escapes).
func truncateUTF16(s string, n int) string {
	if len(s) <= n {
		return s // at most len(s) units
	}
	units := 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if units+w > n {
			return s[:i]
		}
		units += w
	}
	return s
}

// javaSerializedString is what Java's ObjectOutputStream.writeObject writes for a String: the
// stream header, then TC_STRING with a 2-byte length (TC_LONGSTRING with 8 bytes past 65535
// bytes) and the modified UTF-8 encoding of the UTF-16 units.
func javaSerializedString(s string) []byte {
	var enc []byte
	for _, r := range s {
		if r == utf8.RuneError {
			r = 0xFFFD
		}
		units := []rune{r}
		if r >= 0x10000 {
			hi, lo := utf16.EncodeRune(r)
			units = []rune{hi, lo}
		}
		for _, u := range units {
			switch {
			case u >= 0x01 && u <= 0x7F:
				enc = append(enc, byte(u))
			case u <= 0x7FF:
				enc = append(enc, byte(0xC0|(u>>6)), byte(0x80|(u&0x3F)))
			default:
				enc = append(enc, byte(0xE0|(u>>12)), byte(0x80|((u>>6)&0x3F)), byte(0x80|(u&0x3F)))
			}
		}
	}
	out := []byte{0xAC, 0xED, 0x00, 0x05}
	if len(enc) <= 0xFFFF {
		out = append(out, 0x74)
		out = binary.BigEndian.AppendUint16(out, uint16(len(enc)))
	} else {
		out = append(out, 0x7C)
		out = binary.BigEndian.AppendUint64(out, uint64(len(enc)))
	}
	return append(out, enc...)
}
