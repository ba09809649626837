package ec2sim

import (
	"fmt"
	"strings"
)

// Id domains keep instance and reservation ids from sharing a stream.
const (
	domainInstance    uint64 = 0x696e7374
	domainReservation uint64 = 0x72657376
)

// splitmix64 is a tiny, well-mixed, stateless hash: id n of a seed is always
// the same, so ids are reproducible and the state file needs only a counter.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// resourceID returns prefix + "-" + 17 hex characters for the n-th id of a
// domain under seed.
func resourceID(prefix string, seed, domain, n uint64) string {
	a := splitmix64(seed ^ splitmix64(domain^splitmix64(n)))
	b := splitmix64(a)
	return fmt.Sprintf("%s-%016x%x", prefix, a, b&0xf)
}

// wellFormedID reports whether id is prefix + "-" + 8 or 17 lower-case hex
// characters, the two forms EC2 resource ids take.
func wellFormedID(id, prefix string) bool {
	hex, ok := strings.CutPrefix(id, prefix+"-")
	if !ok || (len(hex) != 8 && len(hex) != 17) {
		return false
	}
	for _, c := range hex {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// requestID formats the n-th request id like EC2's UUIDs.
func requestID(seed, n uint64) string {
	h := splitmix64(seed ^ n)
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(h>>32), uint16(h>>16), n>>48&0xfff, (h>>4)&0xfff, n&0xffffffffffff)
}
