package transport

import "net/url"

func parseQueryString(s string) (url.Values, error) { return url.ParseQuery(s) }
