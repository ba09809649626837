package reconcile

import (
	"slices"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// KeepGroupNames carries the identity of unnamed groups across an edit of
// the file (issue 19). A group the file does not name is named by a hash
// of its attributes (DefaultGroupName), tags and size included, so an edit
// of a tag or the size would otherwise make it a new group: "3 to create"
// and the running instances unwanted. Matching next against the
// configuration in force, prev:
//
//  1. an unnamed group of next whose name is an unnamed group of prev is
//     that group (nothing it is identified by changed);
//  2. of the rest, an unnamed group of next and an unnamed group of prev
//     that agree on the immutable attributes — type, image, subnet and
//     security groups — are the same group when each is the only one of
//     its configuration with those attributes: next's group takes prev's
//     name, and its tag and size changes are updates of that group;
//  3. anything else (several candidates on either side, or an immutable
//     attribute changed) is a new group under its own default name; name
//     the groups in the file to say which is which.
//
// A prev group is unnamed when it says so or, for configurations stored
// before groups recorded it, when its name is its default name. Named
// groups are never matched: a name is the identity the user chose. The
// names next gets are recorded with it in the WAL, so the identity holds
// over any number of edits. next is changed in place; the renames are
// returned as old default name → kept name.
func KeepGroupNames(prev, next *wal.Config) map[string]string {
	if prev == nil || next == nil {
		return nil
	}
	taken := make(map[string]bool, len(next.Groups))
	for _, g := range next.Groups {
		taken[g.Name] = true
	}
	open := map[string][]*wal.Group{} // identity → prev unnamed groups not kept by name
	for i := range prev.Groups {
		g := &prev.Groups[i]
		if unnamed(g) && !taken[g.Name] {
			open[immutableKey(g)] = append(open[immutableKey(g)], g)
		}
	}
	moved := map[string][]*wal.Group{} // identity → next unnamed groups without a prev name
	for i := range next.Groups {
		g := &next.Groups[i]
		if g.Unnamed && !nameIn(prev, g.Name) {
			moved[immutableKey(g)] = append(moved[immutableKey(g)], g)
		}
	}
	renamed := map[string]string{}
	for key, gs := range moved {
		olds := open[key]
		if len(gs) != 1 || len(olds) != 1 || taken[olds[0].Name] {
			continue
		}
		renamed[gs[0].Name] = olds[0].Name
		gs[0].Name = olds[0].Name
		taken[olds[0].Name] = true
	}
	return renamed
}

// unnamed reports whether the file gave g no name.
func unnamed(g *wal.Group) bool { return g.Unnamed || g.Name == DefaultGroupName(*g) }

func nameIn(cfg *wal.Config, name string) bool {
	return slices.ContainsFunc(cfg.Groups, func(g wal.Group) bool { return g.Name == name && unnamed(&g) })
}

// immutableKey is what identifies an unnamed group across edits: the
// attributes that cannot change without replacing its instances.
func immutableKey(g *wal.Group) string {
	sgs := slices.Clone(g.SecurityGroups)
	slices.Sort(sgs)
	return strings.Join([]string{g.Type, g.Image, g.SubnetID, strings.Join(sgs, ",")}, "\x00")
}
