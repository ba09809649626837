package cluster

import (
	"testing"
	"time"
)

// gossipAgent starts a one-node agent (never bootstrapping) with key.
func gossipAgent(t *testing.T, name, key string) *Agent {
	t.Helper()
	cfg := testConfig(t, name, 0)
	cfg.GossipKey = key
	return startAgent(t, cfg)
}

func TestGossipKeyGuardsMembership(t *testing.T) {
	keyA, keyB := testGossipKey(1), testGossipKey(2)
	keyed := gossipAgent(t, "keyed", keyA)
	plain := gossipAgent(t, "plain", "")
	type joinCase struct {
		name, key string
		target    *Agent
		joins     bool
	}
	cases := []joinCase{
		{"wrong-key", keyB, keyed, false},
		{"no-key", "", keyed, false},
		{"same-key", keyA, keyed, true},
		{"keyed-to-plain", keyA, plain, false},
	}
	for _, tc := range cases {
		a := gossipAgent(t, tc.name, tc.key)
		n, err := a.Join([]string{tc.target.GossipAddr()})
		if tc.joins != (err == nil && n == 1) {
			t.Errorf("%s joining %s: joined %d, err %v (want joined=%v)", tc.name, tc.target.NodeName(), n, err, tc.joins)
		}
		if tc.joins {
			waitFor(t, tc.name+" seen by "+tc.target.NodeName(), 10*time.Second, func() bool {
				_, ok := tc.target.members.lookup(tc.name)
				return ok
			})
			continue
		}
		if _, ok := tc.target.members.lookup(tc.name); ok {
			t.Errorf("%s appears in %s's member table", tc.name, tc.target.NodeName())
		}
		if _, ok := a.members.lookup(tc.target.NodeName()); ok {
			t.Errorf("%s learnt about %s", tc.name, tc.target.NodeName())
		}
	}
}
