package herder

import (
	"fmt"
	"net/http"
)

// Error is a failure with the HTTP status Kafka Connect answers it with. The REST layer writes it
// as {"error_code":<Status>,"message":<Message>}; a herder returns it for anything the user did
// wrong (unknown connector, invalid config, wrong state).
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// NotFound is a 404 error (Kafka's NotFoundException).
func NotFound(format string, args ...any) *Error { return Errorf(http.StatusNotFound, format, args...) }

// BadRequest is a 400 error (Kafka's BadRequestException).
func BadRequest(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, format, args...)
}

// Conflict is a 409 error (Kafka's AlreadyExistsException, or a request racing a rebalance).
func Conflict(format string, args ...any) *Error { return Errorf(http.StatusConflict, format, args...) }

// ConnectorNotFound is Kafka's message for an unknown connector name.
func ConnectorNotFound(name string) *Error { return NotFound("Connector %s not found", name) }

// NotLeaderError says that only the leader of a distributed cluster can serve a request. The REST
// layer forwards the request to LeaderURL (as Kafka Connect's HerderRequestHandler does); an empty
// LeaderURL means no leader is known at the moment.
type NotLeaderError struct {
	Message   string
	LeaderURL string
}

func (e *NotLeaderError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return "this worker is not the leader of the Connect cluster"
}
