package transport

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// MaxRequestBody limits JSON request bodies (snapshot restores are
// limited separately by the server).
const MaxRequestBody = 1 << 20

// codeStatus is the HTTP status of one error code.
type codeStatus struct {
	code   string
	status int
}

// codeStatuses is the one table from error codes to HTTP statuses. The
// client reads it backwards for answers without a JSON error body (a
// proxy's, say): the first code of a status wins, so each status lists its
// generic code first.
func codeStatuses() []codeStatus {
	return []codeStatus{
		{CodeBadRequest, http.StatusBadRequest},
		{CodeFutureRevision, http.StatusBadRequest},
		{CodeUnauthorized, http.StatusUnauthorized},
		{CodeForbidden, http.StatusForbidden},
		{CodeNotFound, http.StatusNotFound},
		{CodeMethod, http.StatusMethodNotAllowed},
		{CodeConflict, http.StatusConflict},
		{CodeCompacted, http.StatusGone},
		{CodeTooLarge, http.StatusRequestEntityTooLarge},
		{CodeInternal, http.StatusInternalServerError},
		{CodeOutcomeUnknown, http.StatusInternalServerError},
		{CodeUnavailable, http.StatusServiceUnavailable},
		{CodeNoLeader, http.StatusServiceUnavailable},
		{CodeNotLeader, http.StatusServiceUnavailable},
		{CodeStale, http.StatusServiceUnavailable},
		{CodeTimeout, http.StatusGatewayTimeout},
	}
}

// StatusForCode maps an error code to its HTTP status (500 for a code
// this build does not know).
func StatusForCode(code string) int {
	for _, cs := range codeStatuses() {
		if cs.code == code {
			return cs.status
		}
	}
	return http.StatusInternalServerError
}

// codeForStatus is the generic error code of an HTTP status (internal for
// a status no code has).
func codeForStatus(status int) string {
	for _, cs := range codeStatuses() {
		if cs.status == status {
			return cs.code
		}
	}
	return CodeInternal
}

// WriteJSON writes v as a JSON answer with the given status.
func WriteJSON[T any](w http.ResponseWriter, status int, v *T) {
	w.Header().Set("Content-Type", ContentTypeJSON)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteRevision answers a committed write with 200 and
// {"revision":N}: the bytes WriteJSON writes for a ProposeResponse
// (newline included), built without reflection and written at once with
// its Content-Length. It is the answer of every write on the hot path.
func WriteRevision(w http.ResponseWriter, rev uint64) {
	var buf [len(`{"revision":}`) + 20 + 1]byte
	b := append(buf[:0], `{"revision":`...)
	b = strconv.AppendUint(b, rev, 10)
	b = append(b, '}', '\n')
	h := w.Header()
	h.Set("Content-Type", ContentTypeJSON)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
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
