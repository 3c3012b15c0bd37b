// Package speccheck holds the test that connectd's connector specs declare every property
// Debezium's connectors and Kafka Connect declare: each one is honoured, or refused at validation
// with an error saying connectd does not support it, never accepted and ignored. The property
// lists are Debezium's own, fetched from the reference worker by tests/speccheck/refresh into
// testdata/; under CI=true the test also compares them with the live reference worker.
package speccheck
