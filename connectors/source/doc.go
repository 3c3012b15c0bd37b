// Package source holds what every relational change-data-capture source task needs whatever
// its database: the task skeleton (Task, run by a connector's Engine), the streaming supervisor that reconnects after retriable errors with one backoff
// policy (Debezium's errors.max.retries, errors.retry.delay.initial.ms and
// errors.retry.delay.max.ms), Debezium's context headers with their run id, and the snapshot
// driver that holds one row back so the first and last snapshot markers can be set. A connector
// supplies only what is specific to its database: how to connect and read its log, how to read
// its tables and convert its types.
package source
