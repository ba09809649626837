package ec2sim

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// stateVersion is the state file format version.
const stateVersion = 1

// stateDoc is the state file: the whole simulated region.
type stateDoc struct {
	Version      int            `json:"version"`
	NextID       uint64         `json:"next_id"`
	Instances    []*instance    `json:"instances"`
	Reservations []*reservation `json:"reservations"`

	SecurityGroups *groupsDoc `json:"security_groups,omitempty"`
	Volumes        *volumeDoc `json:"volumes,omitempty"`
}

// load reads Options.StateFile into the store; a missing file is an empty
// region.
func (s *Server) load() error {
	path := s.opts.StateFile
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStateFile, err)
	}
	var doc stateDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrStateFile, path, err)
	}
	if doc.Version != stateVersion {
		return fmt.Errorf("%w: %s: version %d, want %d", ErrStateFile, path, doc.Version, stateVersion)
	}
	st, err := storeFromDoc(s.opts.Seed, doc)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrStateFile, path, err)
	}
	s.st = st
	return nil
}

// storeFromDoc rebuilds a store, checking the invariants the server relies on.
func storeFromDoc(seed uint64, doc stateDoc) (*store, error) {
	st := newStore(seed)
	st.nextID = doc.NextID
	slices.SortFunc(doc.Instances, func(a, b *instance) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, in := range doc.Instances {
		if in == nil || !wellFormedID(in.ID, "i") || in.State.Code() < 0 {
			return nil, errors.New("invalid instance record")
		}
		if _, dup := st.instances[in.ID]; dup {
			return nil, fmt.Errorf("duplicate instance %s", in.ID)
		}
		if in.Tags == nil {
			in.Tags = make(map[string]string)
		}
		st.add(in)
	}
	for _, r := range doc.Reservations {
		if r == nil || r.ClientToken == "" {
			return nil, errors.New("invalid reservation record")
		}
		st.reservations[r.ClientToken] = r
	}
	var err error
	if st.groups, err = groupsFromDoc(seed, doc.SecurityGroups); err != nil {
		return nil, err
	}
	if err := st.vols.restore(doc.Volumes); err != nil {
		return nil, err
	}
	return st, nil
}

// save writes the store to Options.StateFile atomically (temp file + rename).
// Callers hold s.mu. A failure is logged: the call it follows has happened.
func (s *Server) save() {
	if s.opts.StateFile == "" {
		return
	}
	doc := stateDoc{Version: stateVersion, NextID: s.st.nextID, Instances: s.st.order,
		SecurityGroups: s.st.groups.doc(), Volumes: s.st.vols.doc()}
	for _, r := range s.st.reservations {
		doc.Reservations = append(doc.Reservations, r)
	}
	slices.SortFunc(doc.Reservations, func(a, b *reservation) int { return cmp.Compare(a.ClientToken, b.ClientToken) })
	data, err := json.Marshal(doc)
	if err == nil {
		err = writeAtomic(s.opts.StateFile, data)
	}
	if err != nil {
		s.opts.Logger.Error("ec2sim: saving state failed", "file", s.opts.StateFile, "err", err)
	}
}

// writeAtomic replaces path with data so a reader sees the old or the new
// file, never a torn one.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("ec2sim: creating temp state file: %w", err)
	}
	name := tmp.Name()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		_ = os.Remove(name)
		return fmt.Errorf("ec2sim: writing state file: %w", err)
	}
	return nil
}
