package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// acceptedTimeForms lists the time expressions parseTimeExpr understands;
// it is shown in the error for one it does not.
const acceptedTimeForms = `now, today, yesterday, "30m", "1h30m", "2d", "1 hour ago", "2 days ago", ` +
	`"15:04" (today), "2006-01-02", "2006-01-02 15:04:05", RFC3339 ("2006-01-02T15:04:05Z")`

// errTimeExpr is wrapped by every parseTimeExpr error.
var errTimeExpr = errors.New("unrecognised time")

// parseTimeExpr turns a time expression into an instant. Relative forms
// count back from now; calendar forms without a zone ("today", "yesterday",
// "2006-01-02", "15:04") are read in loc. Matching ignores case and
// surrounding space.
//
//	now            now
//	30m, 1h30m, 2d now minus the duration ("d" is a calendar day)
//	1 hour ago     now minus the amount ("a"/"an" for 1; s, m, h, d, w units)
//	today          midnight today in loc; yesterday the midnight before
//	15:04[:05]     that time today in loc
//	2006-01-02     midnight that day in loc (also "2006-01-02 15:04[:05]")
//	RFC3339        as written, with its own offset
func parseTimeExpr(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.Local
	}
	expr := strings.ToLower(strings.Join(strings.Fields(s), " "))
	if expr == "" {
		return time.Time{}, fmt.Errorf("%w: empty time expression; accepted forms: %s", errTimeExpr, acceptedTimeForms)
	}
	if t, ok := parseNamedTime(expr, now, loc); ok {
		return t, nil
	}
	if t, ok := parseRelativeTime(expr, now, loc); ok {
		return t, nil
	}
	if t, ok := parseAbsoluteTime(strings.TrimSpace(s), now, loc); ok {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%w %q; accepted forms: %s", errTimeExpr, strings.TrimSpace(s), acceptedTimeForms)
}

// parseNamedTime handles now, today and yesterday.
func parseNamedTime(expr string, now time.Time, loc *time.Location) (time.Time, bool) {
	local := now.In(loc)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	switch expr {
	case "now":
		return now, true
	case "today":
		return midnight, true
	case "yesterday":
		return midnight.AddDate(0, 0, -1), true
	}
	return time.Time{}, false
}

// parseRelativeTime handles "N unit ago" and the shorthand "30m", "1h30m",
// "2d", "1w".
func parseRelativeTime(expr string, now time.Time, loc *time.Location) (time.Time, bool) {
	if rest, ok := strings.CutSuffix(expr, " ago"); ok {
		return parseAgo(strings.TrimSpace(rest), now, loc)
	}
	if n, unit, ok := splitCalendarShorthand(expr); ok {
		return subtractCalendar(now, loc, n, unit), true
	}
	d, err := time.ParseDuration(expr)
	if err != nil || d < 0 {
		return time.Time{}, false
	}
	return now.Add(-d), true
}

// parseAgo parses the part before "ago": "1 hour", "an hour", "2 days",
// "90 s", "30m".
func parseAgo(rest string, now time.Time, loc *time.Location) (time.Time, bool) {
	amount, unitName, found := strings.Cut(rest, " ")
	if !found {
		return parseRelativeTime(rest, now, loc)
	}
	n, err := strconv.Atoi(amount)
	if amount == "a" || amount == "an" {
		n, err = 1, nil
	}
	if err != nil || n < 0 {
		return time.Time{}, false
	}
	unit, ok := timeUnit(unitName)
	if !ok {
		return time.Time{}, false
	}
	if unit == 'd' || unit == 'w' {
		return subtractCalendar(now, loc, n, unit), true
	}
	return now.Add(-time.Duration(n) * clockUnit(unit)), true
}

// timeUnit maps a unit word to its one-letter code.
func timeUnit(word string) (byte, bool) {
	switch word {
	case "s", "sec", "secs", "second", "seconds":
		return 's', true
	case "m", "min", "mins", "minute", "minutes":
		return 'm', true
	case "h", "hr", "hrs", "hour", "hours":
		return 'h', true
	case "d", "day", "days":
		return 'd', true
	case "w", "week", "weeks":
		return 'w', true
	}
	return 0, false
}

// clockUnit is the duration of one s, m or h.
func clockUnit(unit byte) time.Duration {
	switch unit {
	case 's':
		return time.Second
	case 'm':
		return time.Minute
	}
	return time.Hour
}

// splitCalendarShorthand recognises "2d" and "1w".
func splitCalendarShorthand(expr string) (int, byte, bool) {
	if len(expr) < 2 {
		return 0, 0, false
	}
	unit := expr[len(expr)-1]
	if unit != 'd' && unit != 'w' {
		return 0, 0, false
	}
	n, err := strconv.Atoi(expr[:len(expr)-1])
	if err != nil || n < 0 {
		return 0, 0, false
	}
	return n, unit, true
}

// subtractCalendar goes back n days or weeks on loc's calendar, so a day
// across a daylight-saving change keeps the wall-clock time.
func subtractCalendar(now time.Time, loc *time.Location, n int, unit byte) time.Time {
	days := n
	if unit == 'w' {
		days = 7 * n
	}
	return now.In(loc).AddDate(0, 0, -days)
}

// parseAbsoluteTime handles RFC3339, dates, date-times and clock times.
func parseAbsoluteTime(s string, now time.Time, loc *time.Location) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, time.RFC3339} {
		if t, err := time.Parse(layout, strings.ToUpper(s)); err == nil {
			return t, true
		}
	}
	for _, layout := range []string{"2006-01-02", "2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	for _, layout := range []string{"15:04", "15:04:05"} {
		if clock, err := time.Parse(layout, s); err == nil {
			local := now.In(loc)
			return time.Date(local.Year(), local.Month(), local.Day(),
				clock.Hour(), clock.Minute(), clock.Second(), 0, loc), true
		}
	}
	return time.Time{}, false
}
