package postgres

import "github.com/connectd/connectd/connect/api"

// ExactlyOnceSupport implements api.ExactlyOnceSupporter: every record carries the offset a
// restart resumes after, so records and offsets written in one transaction are delivered once
// (Debezium's connector answers SUPPORTED too).
func (c *Connector) ExactlyOnceSupport(map[string]string) api.ExactlyOnceSupport {
	return api.ExactlyOnceSupported
}
