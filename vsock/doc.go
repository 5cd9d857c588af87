// Package vsock will hold fieldgate's VM socket helpers (guest↔host links) built
// on github.com/mdlayher/vsock and core. It has no code yet: the gateway dials and
// listens through mdlayher/vsock directly until this package grows its own API.
package vsock
