package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// stateView is the replicated state at one revision: the configuration in
// force and the resources last observed.
type stateView struct {
	Revision  uint64             `json:"revision"`
	At        *time.Time         `json:"at,omitempty"`        // --at: Revision is the last at or before this time
	Time      time.Time          `json:"time"`                // time of the newest record at or below Revision
	Compacted uint64             `json:"compacted,omitempty"` // history below this revision is gone
	Config    *wal.ConfigApplied `json:"config,omitempty"`
	Resources []wal.Resource     `json:"resources"`
}

// stateTimeLayout shows state and history times with their zone.
const stateTimeLayout = "2006-01-02 15:04:05 MST"

// renderState prints the header, the resources table and the
// configuration:
//
//	Revision 42 · 2026-11-25 10:30:00 UTC · config sha256:abcd1234 (infrastructure.yaml)
func renderState(w io.Writer, o renderOptions, s stateView) error {
	if o.json() {
		if s.Resources == nil {
			s.Resources = []wal.Resource{}
		}
		return writeJSONDocument(w, s)
	}
	s = terminalSafe(s)
	out := &errWriter{w: w}
	out.printf("%s\n\n", stateHeader(o, s))
	if out.err != nil {
		return out.err
	}
	if len(s.Resources) == 0 {
		out.printf("No resources.\n")
	} else if err := writeResourceTable(w, o, s.Resources); err != nil {
		return err
	}
	if s.Config != nil {
		out.printf("\n%s\n", configLine(s.Config.Config))
		if out.err != nil {
			return out.err
		}
		return writeConfigTables(w, s.Config.Config)
	}
	return out.err
}

// stateHeader is "Revision 42 · 2026-11-25 10:30:00 UTC · config sha256:abcd1234 (infrastructure.yaml)".
func stateHeader(o renderOptions, s stateView) string {
	parts := []string{fmt.Sprintf("Revision %d", s.Revision)}
	if s.At != nil {
		parts[0] += " (the last at or before " + s.At.In(o.location()).Format(stateTimeLayout) + ")"
	}
	if s.Time.IsZero() {
		parts = append(parts, "time unknown")
	} else {
		parts = append(parts, s.Time.In(o.location()).Format(stateTimeLayout))
	}
	if s.Config == nil {
		parts = append(parts, "no configuration")
	} else {
		parts = append(parts, "config "+configRef(s.Config))
	}
	if s.Compacted > 0 {
		parts = append(parts, fmt.Sprintf("history from revision %d", s.Compacted))
	}
	return strings.Join(parts, " · ")
}

// configRef is "sha256:abcd1234 (infrastructure.yaml)".
func configRef(c *wal.ConfigApplied) string {
	digest := c.Digest
	if len(digest) > 8 {
		digest = digest[:8]
	}
	ref := "sha256:" + orDash(digest)
	if c.Source != "" {
		ref += " (" + c.Source + ")"
	}
	return ref
}

// writeResourceTable prints one resource a row; the STATE column is
// coloured (every cell painted, so alignment holds).
func writeResourceTable(w io.Writer, o renderOptions, resources []wal.Resource) error {
	t := newTable(w)
	t.row("ID", "GROUP", "SIZE", o.style.paint(colorDefault, "STATE"), "MANAGED", "BLESSED", "TAGS")
	for _, r := range resources {
		t.row(r.ID, orDash(r.Group), orDash(r.Summary()), o.style.paint(resourceStateColor(r.State), orDash(r.State)),
			yesNo(r.Managed), yesNo(r.Blessed()), formatTags(userTags(r.Tags)))
	}
	return t.flush()
}

// userTags drops Ovi's own tags (ovi:managed, ovi:blessed and ovi:group
// are table columns; ovi:decision is in the JSON and the WAL).
func userTags(tags map[string]string) map[string]string {
	out := make(map[string]string, len(tags))
	for k, v := range tags {
		if !strings.HasPrefix(k, "ovi:") {
			out[k] = v
		}
	}
	return out
}

// configLine summarises the configuration and its policy.
func configLine(c wal.Config) string {
	policy := []string{"keep unwanted"}
	if c.Policy.DeleteUnwanted {
		policy = []string{"delete unwanted"}
	}
	if c.Policy.MaxDeletions > 0 {
		policy = append(policy, fmt.Sprintf("at most %d per cycle", c.Policy.MaxDeletions))
	}
	if c.Policy.AllowDisruptive {
		policy = append(policy, "disruptive changes allowed")
	} else {
		policy = append(policy, "no disruptive changes")
	}
	return fmt.Sprintf("Configuration %s · %s %s · %s", orDash(c.Version), orDash(c.Provider), orDash(c.Region),
		strings.Join(policy, ", "))
}

// writeGroupTable prints the configuration's resource groups.
func writeGroupTable(w io.Writer, groups []wal.Group) error {
	t := newTable(w)
	t.row("GROUP", "TYPE", "COUNT", "SIZE", "IMAGE", "TAGS")
	for _, g := range groups {
		t.row(g.Name, orDash(g.Type), fmt.Sprint(g.Count), orDash(g.Size), orDash(g.Image), formatTags(g.Tags))
	}
	return t.flush()
}

// resourceSummary is "running · t3.micro · team=web".
func resourceSummary(r wal.Resource) string {
	parts := []string{orDash(r.State), orDash(r.Summary())}
	if tags := userTags(r.Tags); len(tags) > 0 {
		parts = append(parts, formatTags(tags))
	}
	return strings.Join(parts, " · ")
}

// resourceChanges lists what differs between two observations of a
// resource: "state running → stopped", "size t3.micro → t3.small",
// "tags +team=platform -owner ~env=dev→prod".
func resourceChanges(before, after wal.Resource) []string {
	var changes []string
	field := func(name, a, b string) {
		if a != b {
			changes = append(changes, name+" "+orDash(a)+" → "+orDash(b))
		}
	}
	field("state", before.State, after.State)
	was := before.Attributes()
	for i, a := range after.Attributes() {
		prev := ""
		if i < len(was) && was[i].Name == a.Name {
			prev = was[i].Value
		}
		field(a.Name, prev, a.Value)
	}
	field("group", before.Group, after.Group)
	field("managed", yesNo(before.Managed), yesNo(after.Managed))
	if tags := tagDiff(before.Tags, after.Tags); tags != "" {
		changes = append(changes, "tags "+tags)
	}
	return changes
}

// tagDiff is "+k=v -k2 ~k3=old→new" in key order, "" when equal.
func tagDiff(before, after map[string]string) string {
	keys := slices.Sorted(maps.Keys(before))
	for k := range after {
		if _, ok := before[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		a, inA := before[k]
		b, inB := after[k]
		switch {
		case !inA:
			parts = append(parts, "+"+k+"="+b)
		case !inB:
			parts = append(parts, "-"+k)
		case a != b:
			parts = append(parts, "~"+k+"="+a+"→"+b)
		}
	}
	return strings.Join(parts, " ")
}

// joinChanges joins change descriptions.
func joinChanges(changes []string) string { return strings.Join(changes, "; ") }
