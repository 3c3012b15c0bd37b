package api

// ExactlyOnceSupport is what a source connector answers when asked whether it can deliver
// exactly once with a configuration (Kafka Connect's SourceConnector.exactlyOnceSupport).
type ExactlyOnceSupport int

const (
	// ExactlyOnceUnsupported: the connector cannot resume exactly where its last committed
	// transaction ended with this configuration.
	ExactlyOnceUnsupported ExactlyOnceSupport = iota
	// ExactlyOnceSupported: every record carries the offset a restart resumes after, so writing
	// records and offsets in one transaction delivers each record once.
	ExactlyOnceSupported
)

// ExactlyOnceSupporter is implemented by a SourceConnector that answers the preflight check of
// exactly.once.support=required. A connector without it is refused with Kafka Connect's message
// that it does not implement the API.
type ExactlyOnceSupporter interface {
	ExactlyOnceSupport(config map[string]string) ExactlyOnceSupport
}

// TransactionBoundaryDefiner is implemented by a SourceConnector whose tasks can define their
// own transaction boundaries (transaction.boundary=connector). connectd's runtime offers no way
// for a task to do so yet, so every connector is refused that setting, as Kafka Connect refuses
// a connector that answers UNSUPPORTED.
type TransactionBoundaryDefiner interface {
	CanDefineTransactionBoundaries(config map[string]string) bool
}
