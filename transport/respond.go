package transport

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// MaxRequestBody limits JSON request bodies (snapshot restores are
// limited separately by the server).
const MaxRequestBody = 1 << 20

// StatusForCode maps an error code to its HTTP status.
func StatusForCode(code string) int {
	switch code {
	case CodeBadRequest, CodeFutureRevision:
		return http.StatusBadRequest
	case CodeNotFound:
		return http.StatusNotFound
	case CodeMethod:
		return http.StatusMethodNotAllowed
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeCompacted:
		return http.StatusGone
	case CodeUnauthorized:
		return http.StatusUnauthorized
	case CodeForbidden:
		return http.StatusForbidden
	case CodeConflict:
		return http.StatusConflict
	case CodeNoLeader, CodeNotLeader, CodeStale, CodeUnavailable:
		return http.StatusServiceUnavailable
	case CodeTimeout:
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}

// WriteJSON writes v as a JSON answer with the given status.
func WriteJSON[T any](w http.ResponseWriter, status int, v *T) {
	w.Header().Set("Content-Type", ContentTypeJSON)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError writes {"error":{"code":...,"message":...}} with the status of
// e.Code.
func WriteError(w http.ResponseWriter, e *APIError) {
	body := ErrorBody{Error: *e}
	WriteJSON(w, StatusForCode(e.Code), &body)
}

// Errorf builds an *APIError.
func Errorf(code, format string, args ...any) *APIError {
	return &APIError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// DecodeBody decodes a size-limited JSON request body into v, rejecting
// unknown fields and trailing data.
func DecodeBody[T any](w http.ResponseWriter, r *http.Request, v *T) *APIError {
	return DecodeBodyLimit(w, r, v, MaxRequestBody)
}

// DecodeBodyLimit is DecodeBody with its own size limit.
func DecodeBodyLimit[T any](w http.ResponseWriter, r *http.Request, v *T, limit int64) *APIError {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return Errorf(CodeTooLarge, "request body over %d bytes", tooLarge.Limit)
		}
		return Errorf(CodeBadRequest, "bad request body: %v", err)
	}
	if dec.More() {
		return Errorf(CodeBadRequest, "bad request body: trailing data after the JSON value")
	}
	return nil
}
