// Package herder holds what the runtime's herders speak in: connector and task identities, target
// and observed states, the entities their methods return (Kafka Connect's REST entities, which are
// also its herder's) and the errors that carry the HTTP status Kafka Connect answers with.
//
// It lives under the runtime and imports nothing of it, so the runtime, the distributed herder and
// the REST layer share these types without the runtime importing the HTTP layer.
package herder
