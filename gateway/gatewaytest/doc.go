// Package gatewaytest starts in-process gateways for the tests of endpoint
// kinds, as net/http/httptest starts HTTP servers: a kind's test writes the
// YAML of its endpoints and routes, and gets a running gateway that is shut
// down when the test ends and whose log is printed when it fails.
//
// It imports no endpoint kind: a test imports the kinds it runs (or
// gateway/endpoints/all), so that a kind's own tests can use this package
// without an import cycle.
package gatewaytest
