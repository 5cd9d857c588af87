// Package config reads and validates fieldgate gateway configuration files.
//
// The YAML is decoded through gopkg.in/yaml.v3's Node API rather than into
// tagged structs, because the Node API keeps the line and column of every key
// and value: every error the package reports names file:line:column, the
// field, and a hint for fixing it. Unknown fields are errors (with a
// "did you mean" suggestion), never silently ignored.
//
// Dependency: github.com/fieldgate/fieldgate/packet compiles the tcpdump
// filter of packet endpoints, so a bad expression is a configuration error
// with its position, found by "fieldgate check" before anything runs.
package config
