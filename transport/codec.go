package transport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// jsonReader encodes v as a JSON request body.
func jsonReader[T any](v *T) (io.Reader, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("transport: encode request: %w", err)
	}
	return bytes.NewReader(raw), nil
}

// decodeJSON decodes one JSON value from r into v.
func decodeJSON[T any](r io.Reader, v *T) error {
	if err := json.NewDecoder(r).Decode(v); err != nil {
		return fmt.Errorf("decode json: %w", err)
	}
	return nil
}

// stringSink collects a text body.
type stringSink struct{ strings.Builder }
