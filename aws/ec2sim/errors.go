package ec2sim

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors returned by the Go API of the simulator (not on the wire).
var (
	// ErrStateFile reports a state file that cannot be read or decoded.
	ErrStateFile = errors.New("ec2sim: unusable state file")
)

// EC2 error codes the simulator produces.
const (
	CodeInvalidAction                = "InvalidAction"
	CodeMissingParameter             = "MissingParameter"
	CodeInvalidParameterValue        = "InvalidParameterValue"
	CodeInvalidParameterCombination  = "InvalidParameterCombination"
	CodeInvalidPaginationToken       = "InvalidPaginationToken"
	CodeInvalidInstanceIDNotFound    = "InvalidInstanceID.NotFound"
	CodeInvalidInstanceIDMalformed   = "InvalidInstanceID.Malformed"
	CodeInvalidID                    = "InvalidID"
	CodeInvalidAMIIDNotFound         = "InvalidAMIID.NotFound"
	CodeInvalidAMIIDMalformed        = "InvalidAMIID.Malformed"
	CodeIdempotentParameterMismatch  = "IdempotentParameterMismatch"
	CodeIncorrectInstanceState       = "IncorrectInstanceState"
	CodeInsufficientInstanceCapacity = "InsufficientInstanceCapacity"
	CodeRequestLimitExceeded         = "RequestLimitExceeded"
	CodeTagLimitExceeded             = "TagLimitExceeded"
	CodeUnsupportedOperation         = "UnsupportedOperation"
	CodeOperationNotPermitted        = "OperationNotPermitted"
	CodeDryRunOperation              = "DryRunOperation"
	CodeInternalError                = "InternalError"
	CodeUnavailable                  = "Unavailable"
)

// apiError is an EC2 error as it goes on the wire.
type apiError struct {
	Code    string
	Message string
	Status  int
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// newAPIError builds an error with the HTTP status EC2 uses for code.
func newAPIError(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...), Status: statusFor(code)}
}

// statusFor maps an error code to its HTTP status: EC2 answers throttling and
// unavailability with 503, its own failures with 500, a dry run with 412 and
// everything the caller got wrong with 400.
func statusFor(code string) int {
	switch code {
	case CodeRequestLimitExceeded, CodeUnavailable, "ServiceUnavailable":
		return http.StatusServiceUnavailable
	case CodeInternalError, "InternalFailure", CodeInsufficientInstanceCapacity:
		return http.StatusInternalServerError
	case CodeDryRunOperation:
		return http.StatusPreconditionFailed
	default:
		return http.StatusBadRequest
	}
}

func errMissing(name string) *apiError {
	return newAPIError(CodeMissingParameter, "The request must contain the parameter %s", name)
}

func errInvalidValue(name, value string) *apiError {
	return newAPIError(CodeInvalidParameterValue, "Invalid value '%s' for %s", value, name)
}
