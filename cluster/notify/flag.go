package notify

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseFlag reads one receiver from the agent's --notify flag:
// comma-separated key=value pairs with the YAML keys, event types joined
// by '+', and the retry keys without their "retry." prefix:
//
//	name=ops,url=https://hooks.example.com/ovi,secret_file=/etc/ovi/hook.secret,events=drift.detected+action.failed,timeout=5s
//
// Validate checks the result like a receiver of the file.
func ParseFlag(s string) (Receiver, error) {
	var r Receiver
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || v == "" {
			return Receiver{}, fmt.Errorf("%w: --notify %q: want key=value pairs separated by commas, got %q", ErrConfig, s, part)
		}
		if err := r.setFlag(k, v); err != nil {
			return Receiver{}, fmt.Errorf("%w: --notify %s: %w", ErrConfig, k, err)
		}
	}
	return r, nil
}

func (r *Receiver) setFlag(k, v string) error {
	strs := map[string]*string{"name": &r.Name, "url": &r.URL, "secret": &r.Secret, "secret_file": &r.SecretFile}
	durs := map[string]*time.Duration{"timeout": &r.Timeout, "initial_backoff": &r.Retry.InitialBackoff, "max_backoff": &r.Retry.MaxBackoff}
	ints := map[string]*int{"queue_size": &r.QueueSize, "attempts": &r.Retry.Attempts}
	if p, ok := strs[k]; ok {
		*p = v
		return nil
	}
	if p, ok := durs[k]; ok {
		d, err := time.ParseDuration(v)
		*p = d
		return err
	}
	if p, ok := ints[k]; ok {
		n, err := strconv.Atoi(v)
		*p = n
		return err
	}
	if k == "events" {
		for _, e := range strings.Split(v, "+") {
			r.Events = append(r.Events, EventType(e))
		}
		return nil
	}
	return fmt.Errorf("unknown key (want name, url, secret, secret_file, events, timeout, queue_size, attempts, initial_backoff, max_backoff)")
}
