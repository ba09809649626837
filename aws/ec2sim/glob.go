package ec2sim

// globMatch matches s against an EC2 filter value: '*' matches any run of
// characters, '?' exactly one, and a backslash escapes the next character.
func globMatch(pattern, s string) bool {
	p, t := []rune(pattern), []rune(s)
	pi, ti := 0, 0
	star, mark := -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case pi < len(p) && matchOne(p, &pi, t[ti]):
			ti++
		case star >= 0:
			mark++
			pi, ti = star+1, mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// matchOne reports whether the pattern element at *pi matches c and, if so,
// advances *pi past it (two runes for an escape).
func matchOne(p []rune, pi *int, c rune) bool {
	switch {
	case p[*pi] == '?':
		*pi++
		return true
	case p[*pi] == '\\' && *pi+1 < len(p):
		if p[*pi+1] != c {
			return false
		}
		*pi += 2
		return true
	case p[*pi] == c:
		*pi++
		return true
	default:
		return false
	}
}

// globAny reports whether s matches any of the patterns.
func globAny(patterns []string, s string) bool {
	for _, p := range patterns {
		if globMatch(p, s) {
			return true
		}
	}
	return false
}
