package console

import "github.com/fieldgate/fieldgate/gateway/config"

// Config is a console endpoint's settings.
type Config struct {
	// Backlog is how many frames sent from the console may wait for the
	// engine; a send beyond it is refused (the form says so).
	Backlog int
}

// Traits: a source of CAN and CAN FD frames from the network (a browser),
// untrusted.
func (c *Config) Traits() config.Traits {
	return config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD, Direction: config.ReadOnly, Trust: config.TrustRemote}
}

var fields = []config.Field{
	{Name: "backlog", Default: "64", Doc: "frames sent from the console that may wait for the engine (1–4096); a send beyond it is refused"},
}

func decode(o *config.Object) config.Settings {
	return &Config{Backlog: int(o.Uint("backlog", 64, 1, 4096))}
}
