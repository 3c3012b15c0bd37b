// Package api is the connector-facing contract of connectd, the Go counterpart of Kafka's
// connect-api: the data model (Schema, Struct, SourceRecord) and the SourceConnector / SourceTask
// lifecycle. It imports nothing else of the project, so connectors and storage packages can depend
// on it without pulling in the runtime.
package api
