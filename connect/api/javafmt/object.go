package javafmt

// AppendMap appends m as the compact JSON object Jackson writes for the java.util.HashMap that m
// stands for, as Debezium fills it: the keys in DebeziumHashMapOrder, each quoted by AppendString
// and followed by ':' and what appendValue appends for its value. When appendValue fails,
// AppendMap stops and returns dst as written so far and the error as it is: appendValue is given
// the key, to say which one failed. It allocates nothing for maps of up to 16 keys.
func AppendMap[V any](dst []byte, m map[string]V, appendValue func(dst []byte, key string, value V) ([]byte, error)) ([]byte, error) {
	var stack [smallMap]string
	keys := stack[:0]
	for k := range m {
		keys = append(keys, k)
	}
	dst = append(dst, '{')
	for i, k := range DebeziumHashMapOrder(keys) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, k)
		dst = append(dst, ':')
		var err error
		if dst, err = appendValue(dst, k, m[k]); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// AppendStringMap is AppendMap for a map of strings, the values quoted by AppendString.
func AppendStringMap(dst []byte, m map[string]string) []byte {
	dst, _ = AppendMap(dst, m, appendStringValue)
	return dst
}

func appendStringValue(dst []byte, _ string, v string) ([]byte, error) {
	return AppendString(dst, v), nil
}
