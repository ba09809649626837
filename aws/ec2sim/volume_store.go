package ec2sim

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// domainVolume keeps volume ids in a stream of their own.
const domainVolume uint64 = 0x766f6c75

// volumeToken remembers a CreateVolume call made with a ClientToken, so a
// retry with the same token returns the same volume instead of a new one.
type volumeToken struct {
	ClientToken string  `json:"client_token"`
	Fingerprint string  `json:"fingerprint"`
	Volume      *volume `json:"volume"` // as created
}

// volumeStore holds the region's EBS volumes. Callers hold Server.mu.
type volumeStore struct {
	nextID uint64 // volumes count their own ids: instance ids stay as they were
	byID   map[string]*volume
	order  []*volume // creation order (ascending Seq)
	tokens map[string]*volumeToken
}

// volumeDoc is the volumes' part of the state file.
type volumeDoc struct {
	NextID  uint64         `json:"next_id"`
	Volumes []*volume      `json:"volumes"`
	Tokens  []*volumeToken `json:"tokens"`
}

func newVolumeStore() *volumeStore {
	return &volumeStore{byID: make(map[string]*volume), tokens: make(map[string]*volumeToken)}
}

// newID hands out the next volume id of seed.
func (vs *volumeStore) newID(seed uint64) (string, uint64) {
	vs.nextID++
	return resourceID("vol", seed, domainVolume, vs.nextID), vs.nextID
}

func (vs *volumeStore) add(v *volume) {
	vs.byID[v.ID] = v
	vs.order = append(vs.order, v)
}

// advance applies every volume transition due at now: creating → available,
// attaching → attached, detaching → detached (available), deleting →
// forgotten; a volume attached to an instance that has terminated (or is
// gone) is detached, as EC2 does. alive reports whether an instance id is
// still a live instance.
func (vs *volumeStore) advance(now time.Time, lc VolumeLifecycle, alive func(string) bool) {
	purged := false
	for _, v := range vs.order {
		if v.State == VolumeCreating && !now.Before(v.StateSince.Add(lc.Creating)) {
			v.setState(VolumeAvailable, v.StateSince.Add(lc.Creating))
		}
		advanceAttachment(v, now, lc, alive)
		if v.State == VolumeDeleting && !now.Before(v.StateSince.Add(lc.Deleting)) {
			delete(vs.byID, v.ID)
			purged = true
		}
	}
	if purged {
		vs.order = slices.DeleteFunc(vs.order, func(v *volume) bool {
			_, ok := vs.byID[v.ID]
			return !ok
		})
	}
}

// advanceAttachment moves v's attachment one or two steps forward.
func advanceAttachment(v *volume, now time.Time, lc VolumeLifecycle, alive func(string) bool) {
	a := v.Attachment
	if a == nil {
		return
	}
	if !alive(a.InstanceID) {
		v.Attachment = nil
		v.setState(VolumeAvailable, now)
		return
	}
	if a.State == AttachmentAttaching && !now.Before(a.Since.Add(lc.Attaching)) {
		a.State, a.Since = AttachmentAttached, a.Since.Add(lc.Attaching)
	}
	if a.State == AttachmentDetaching && !now.Before(a.Since.Add(lc.Detaching)) {
		v.Attachment = nil
		v.setState(VolumeAvailable, a.Since.Add(lc.Detaching))
	}
}

// lookup resolves volume ids the way EC2 does for a call naming them:
// malformed ids first, then every unknown id in one InvalidVolume.NotFound.
// Duplicates are dropped; order is kept.
func (vs *volumeStore) lookup(ids []string) ([]*volume, *apiError) {
	get := func(id string) (*volume, bool) { v, ok := vs.byID[id]; return v, ok }
	malformed := func(id string) *apiError {
		return newAPIError(CodeInvalidVolumeIDMalformed, "Invalid id: %q (expecting \"vol-...\")", id)
	}
	notFound := func(missing []string) *apiError {
		return newAPIError(CodeInvalidVolumeNotFound, "The volume '%s' does not exist.", strings.Join(missing, ", "))
	}
	return lookupIDs(ids, "vol", get, malformed, notFound)
}

// one resolves a single volume id.
func (vs *volumeStore) one(id string) (*volume, *apiError) {
	if id == "" {
		return nil, errMissing("VolumeId")
	}
	found, aerr := vs.lookup([]string{id})
	if aerr != nil {
		return nil, aerr
	}
	return found[0], nil
}

// page returns up to size volumes created after the one with sequence number
// after (size 0: all of them), and the sequence number to continue from (0
// when nothing matching is left).
func (vs *volumeStore) page(after uint64, size int, keep func(*volume) bool) ([]*volume, uint64) {
	start, _ := slices.BinarySearchFunc(vs.order, after+1, func(v *volume, target uint64) int {
		return cmp.Compare(v.Seq, target)
	})
	var items []*volume
	for _, v := range vs.order[start:] {
		if !keep(v) {
			continue
		}
		if size > 0 && len(items) == size {
			return items, items[len(items)-1].Seq
		}
		items = append(items, v)
	}
	return items, 0
}

// deviceInUse reports whether another volume is attached to instanceID at
// device.
func (vs *volumeStore) deviceInUse(instanceID, device string) bool {
	for _, v := range vs.order {
		if a := v.Attachment; a != nil && a.InstanceID == instanceID && a.Device == device {
			return true
		}
	}
	return false
}

// doc returns the volumes' part of the state file.
func (vs *volumeStore) doc() *volumeDoc {
	d := &volumeDoc{NextID: vs.nextID, Volumes: vs.order}
	for _, t := range vs.tokens {
		d.Tokens = append(d.Tokens, t)
	}
	slices.SortFunc(d.Tokens, func(a, b *volumeToken) int { return cmp.Compare(a.ClientToken, b.ClientToken) })
	return d
}

// restore fills the store from a state file's volumes (nil: none, as in a
// file written before volumes existed).
func (vs *volumeStore) restore(d *volumeDoc) error {
	if d == nil {
		return nil
	}
	vs.nextID = d.NextID
	slices.SortFunc(d.Volumes, func(a, b *volume) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, v := range d.Volumes {
		if v == nil || !wellFormedID(v.ID, "vol") || v.State == "" {
			return errors.New("invalid volume record")
		}
		if _, dup := vs.byID[v.ID]; dup {
			return fmt.Errorf("duplicate volume %s", v.ID)
		}
		if v.Tags == nil {
			v.Tags = make(map[string]string)
		}
		vs.add(v)
	}
	for _, t := range d.Tokens {
		if t == nil || t.ClientToken == "" || t.Volume == nil {
			return errors.New("invalid volume token record")
		}
		vs.tokens[t.ClientToken] = t
	}
	return nil
}
