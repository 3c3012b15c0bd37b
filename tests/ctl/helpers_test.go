package ctl

import (
	"fmt"
	"regexp"
)

func matches(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

func at(ss []string, i int) string {
	if i < len(ss) {
		return ss[i]
	}
	return ""
}

// num formats a JSON number (decoded as float64) as an integer.
func num(v any) string {
	if f, ok := v.(float64); ok {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprint(v)
}
