package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Request headers of every delivery.
const (
	HeaderSignature  = "Ovi-Signature"  // t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
	HeaderEventID    = "Ovi-Event-Id"   // the event id, as in the body
	HeaderEventType  = "Ovi-Event-Type" // the event type, as in the body
	HeaderAttempt    = "Ovi-Attempt"    // 1 for the first request of an event, then 2, 3, ...
	HeaderReceiver   = "Ovi-Receiver"   // the receiver's name in the agent configuration
	DefaultTolerance = 5 * time.Minute  // how old a signature Verify accepts
)

// Signature errors returned by Verify.
var (
	ErrBadSignature = errors.New("notify: signature does not match")
	ErrStale        = errors.New("notify: signature timestamp outside the tolerance")
)

// Sign returns the Ovi-Signature header value for body sent at ts:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with key>".
// Signing the timestamp with the body lets a receiver refuse a replayed
// request (Verify's tolerance) as well as a forged one.
func Sign(key, body []byte, ts time.Time) string {
	t := strconv.FormatInt(ts.Unix(), 10)
	return "t=" + t + ",v1=" + hex.EncodeToString(mac(key, t, body))
}

func mac(key []byte, t string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(t))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks an Ovi-Signature header against body the way a receiver
// should: the MAC in constant time, then the timestamp within tolerance of
// now (either side). It is what docs/operations.md shows receivers.
func Verify(key, body []byte, header string, now time.Time, tolerance time.Duration) error {
	var t string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			t = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(t, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("%w: malformed header %q", ErrBadSignature, header)
	}
	want := mac(key, t, body)
	ok := false
	for _, s := range sigs {
		ok = ok || hmac.Equal(s, want)
	}
	if !ok {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed %s ago", ErrStale, d.Round(time.Second))
	}
	return nil
}
