// Package endpoint is what an endpoint kind implements and registers, and
// what the gateway engine runs: the Transceiver interface, the Env a kind
// may use of the engine (counters, logger, direct bus access), drop
// reasons, and the registry of kinds.
//
// Each kind is a package of its own under gateway/endpoints that calls
// Register from an init function; gateway/endpoints/all imports every
// kind, and is the one list to edit when a kind is added. The engine
// (package gateway) imports this package and no kind, so it cannot forget
// one: what a kind carries, which way frames flow and how far they are
// trusted come from the kind's config.Settings, and a kind that declares
// no trust is guarded by a route's allow list in both directions.
//
// The design follows Telegraf's plugin registry: a kind registers its name,
// its configuration decoder and its constructor, nothing else is shared.
package endpoint
