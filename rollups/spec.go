package rollups

import (
	"fmt"
	"strings"
	"time"
	// The zone database is embedded so that every IANA zone loads on any machine,
	// including minimal containers without /usr/share/zoneinfo.
	_ "time/tzdata"
)

// DefaultZone is the time zone of the default day and week rollups.
const DefaultZone = "America/Los_Angeles"

// maxKeyLen bounds a rollup key (it is stored with every counter).
const maxKeyLen = 64

// reservedKey is no rollup's key: an analysis's breakdown "site" is by site (see
// query.BreakdownSite), which a rollup of that key would shadow.
const reservedKey = "site"

// DefaultSpecs returns the specs of the four default rollups (docs/semantics.md): "all",
// "pst_day" and "pst_week" (local day and week in DefaultZone) and "browser".
func DefaultSpecs() []string {
	return []string{"all", "pst_day=day:" + DefaultZone, "pst_week=week:" + DefaultZone, "browser"}
}

// Defaults returns the rollups of DefaultSpecs, in the same order.
func Defaults() []Rollup {
	rs, err := ParseList(DefaultSpecs())
	if err != nil {
		// Unreachable: the specs are valid and the zone database is embedded (time/tzdata).
		panic(fmt.Sprintf("rollups: default specs: %v", err))
	}
	return rs
}

// Parse reads a rollup spec of the form [KEY=]KIND[:ZONE]:
//
//	all                              key "all", one bucket "0"
//	browser                          key "browser", the first user agent's browser
//	pst_day=day:America/Los_Angeles  local days in the given IANA zone
//	week:Europe/Paris                key "week_Europe/Paris", local weeks from Sunday
//	utc_month=month:UTC              local months
//	cohort=first_day:America/Los_Angeles   the local day of the visitor's first human record
//	first_week:UTC                   key "first_week_UTC", the local week (from Sunday) of it
//
// Day, week, month, first_day and first_week need a zone; all and browser take none. Without KEY=, the key
// is the kind, followed for calendar kinds by "_" and the zone (e.g. "day_Europe/Paris").
// A key is 1 to 64 characters of letters, digits and "_-./", and not "site" (reserved
// for the breakdown of an analysis by site).
func Parse(spec string) (Rollup, error) {
	key, body, hasKey := strings.Cut(spec, "=")
	if !hasKey {
		body, key = spec, ""
	}
	kind, zone, hasZone := strings.Cut(body, ":")
	kind = strings.TrimSpace(kind)
	zone = strings.TrimSpace(zone)
	key = strings.TrimSpace(key)
	if hasKey && key == "" {
		return nil, fmt.Errorf("rollup %q: empty key before '='", spec)
	}

	var period Period
	cohort := false
	switch kind {
	case "all", "browser":
		if hasZone {
			return nil, fmt.Errorf("rollup %q: kind %q takes no time zone", spec, kind)
		}
		if key == "" {
			key = kind
		}
		if err := checkKey(key); err != nil {
			return nil, fmt.Errorf("rollup %q: %w", spec, err)
		}
		if kind == "all" {
			return NewAll(key), nil
		}
		return NewBrowser(key), nil
	case "day":
		period = Day
	case "week":
		period = Week
	case "month":
		period = Month
	case "first_day":
		period, cohort = Day, true
	case "first_week":
		period, cohort = Week, true
	case "":
		return nil, fmt.Errorf("rollup %q: missing kind (one of all, browser, day, week, month, first_day, first_week)", spec)
	default:
		return nil, fmt.Errorf("rollup %q: unknown kind %q (want all, browser, day, week, month, first_day or first_week)", spec, kind)
	}

	if zone == "" {
		return nil, fmt.Errorf("rollup %q: a %s rollup needs a time zone, e.g. %s:%s", spec, kind, kind, DefaultZone)
	}
	if zone == "Local" {
		return nil, fmt.Errorf("rollup %q: time zone \"Local\" depends on the machine; name an IANA zone such as %s", spec, DefaultZone)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, fmt.Errorf("rollup %q: unknown time zone %q: %w", spec, zone, err)
	}
	if key == "" {
		key = kind + "_" + zone
	}
	if err := checkKey(key); err != nil {
		return nil, fmt.Errorf("rollup %q: %w", spec, err)
	}
	if cohort {
		return NewCohort(key, period, loc), nil
	}
	return NewCalendar(key, period, loc), nil
}

// ParseList parses every spec and rejects two rollups with the same key.
func ParseList(specs []string) ([]Rollup, error) {
	out := make([]Rollup, 0, len(specs))
	seen := make(map[string]string, len(specs))
	for _, s := range specs {
		r, err := Parse(s)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[r.Key()]; dup {
			return nil, fmt.Errorf("rollups %q and %q have the same key %q", prev, s, r.Key())
		}
		seen[r.Key()] = s
		out = append(out, r)
	}
	return out, nil
}

func checkKey(key string) error {
	if key == reservedKey {
		return fmt.Errorf("key %q is reserved: an analysis broken down by %q is by site", key, key)
	}
	if len(key) > maxKeyLen {
		return fmt.Errorf("key %q is longer than %d characters", key, maxKeyLen)
	}
	for _, c := range key {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '_', c == '-', c == '.', c == '/':
		default:
			return fmt.Errorf("key %q: character %q is not allowed (letters, digits and _-./)", key, c)
		}
	}
	return nil
}
