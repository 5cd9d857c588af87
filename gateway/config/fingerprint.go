package config

import "encoding/json"

// Fingerprint returns a string that is equal for two endpoints exactly when
// their settings are equal, ignoring positions in the file. Reload keeps an
// endpoint running when its fingerprint is unchanged.
func (e *Endpoint) Fingerprint() string {
	// Positions are tagged json:"-" wherever they occur.
	b, _ := json.Marshal(e)
	return string(b)
}

// Fingerprint returns a string that is equal for two routes exactly when
// their settings are equal, ignoring positions in the file.
func (r *Route) Fingerprint() string {
	c := *r
	c.Pos, c.FromPos, c.ToPos = Pos{}, nil, nil
	c.Filters = clearPos(c.Filters)
	b, _ := json.Marshal(c)
	return string(b)
}

func clearPos(fs []Filter) []Filter {
	if fs == nil {
		return nil
	}
	out := make([]Filter, len(fs))
	for i, f := range fs {
		f.Pos = Pos{}
		out[i] = f
	}
	return out
}
