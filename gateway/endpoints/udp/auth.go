package udp

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fieldgate/fieldgate/alg"
	"github.com/fieldgate/fieldgate/gateway/config"
)

// sealer is the AEAD the authenticated UDP mode uses: cipher.AEAD plus the
// provider that runs it ("go" or "kernel").
type sealer interface {
	cipher.AEAD
	Provider() string
}

// algAEAD adapts the alg package's AEAD (AF_ALG or Go, chosen by policy).
type algAEAD struct{ alg.AEAD }

func (a algAEAD) Provider() string { return string(a.AEAD.Provider()) + " (" + a.AEAD.Reason() + ")" }

// newSealer returns AES-256-GCM for key through the alg package's provider
// choice: "kernel" (AF_ALG, fails where the kernel lacks it), "go", or
// "auto" (the policy in alg decides; it says which and why). size is the
// largest datagram payload the endpoint seals: auto compares it with the
// algorithm's crossover, so a jumbo-MTU tunnel can run on the kernel.
func newSealer(key []byte, provider string, size int) (sealer, error) {
	p, err := alg.ParseProvider(provider)
	if err != nil {
		return nil, err
	}
	a, err := (&alg.Config{Provider: p, SizeHint: size}).NewAEAD("gcm(aes)", key, 16)
	if err != nil {
		return nil, fmt.Errorf("auth.provider %s: %w", provider, err)
	}
	return algAEAD{a}, nil
}

// keyHint says how to make a key file.
const keyHint = "32 random bytes, raw or as 64 hex digits: head -c 32 /dev/urandom | xxd -p -c 64 > FILE; chmod 600 FILE"

// readKeyFile reads a 32-byte pre-shared key (raw, or 64 hex digits) from
// a regular file that neither group nor others may access. It is the one
// reader of key files: opening the endpoint and CheckHost (fieldgate
// check) call it, so both refuse a file with the same words. Its errors
// are *config.HostError for auth.key_file.
func readKeyFile(path string) ([]byte, error) {
	const field = "auth.key_file"
	b, err := config.ReadSecretFile(field, "key file", path, 4096)
	if err != nil {
		return nil, err
	}
	if len(b) == 32 {
		return b, nil
	}
	bad := func(format string, args ...any) error {
		return &config.HostError{Field: field, Msg: fmt.Sprintf("key file %s: ", path) + fmt.Sprintf(format, args...), Hint: keyHint}
	}
	s := strings.TrimSpace(string(b))
	if i := notHex(s); i < 0 && len(s) > 0 {
		if len(s) == 64 {
			return hex.DecodeString(s)
		}
		return nil, bad("%d hex digits, want 64", len(s))
	} else if len(s) == 64 {
		return nil, bad("64 characters, but %q at offset %d is not a hex digit", s[i], i)
	}
	return nil, bad("want 32 raw bytes or 64 hex digits, found %d bytes", len(b))
}

// notHex returns the index of the first byte of s that is not a hex
// digit, or -1.
func notHex(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return i
		}
	}
	return -1
}

// Authenticated datagram layout:
//
//	magic "FGA1" | session u64 | counter u64 | AES-GCM(cannelloni datagram) | tag
//
// The nonce is the low 32 bits of the session and the counter. The session
// is random in its high 32 bits and the sender's start time in seconds in
// its low 32 bits; a receiver accepts a new session only if it started no
// earlier than the current one and is not one it has left (a sender that
// restarted within the same second has a session of the same time), so
// captured datagrams of an older session cannot be replayed. Within a
// session a sliding window rejects replays.
const (
	authMagic  = "FGA1"
	authHeader = 4 + 8 + 8
)

type authState struct {
	aead    sealer // sealing (send side, under mu)
	opener  sealer // opening (receive goroutine): AF_ALG sockets are not shared
	session uint64
	mu      sync.Mutex
	counter uint64
	// receive side
	peerSession uint64
	window      replayWindow
	// left are the last sessions peerSession replaced, never accepted
	// again (next is the slot the next one goes to).
	left [retiredSessions]uint64
	next int
}

// retiredSessions is how many sessions a receiver remembers having left:
// an old session could be replayed only after this many genuine restarts
// of the sender within one second.
const retiredSessions = 16

func newAuthState(a, o sealer, window int) *authState {
	var r [4]byte
	rand.Read(r[:])
	s := &authState{aead: a, opener: o, session: uint64(binary.BigEndian.Uint32(r[:]))<<32 | uint64(uint32(time.Now().Unix()))}
	s.window.init(window)
	return s
}

// seal appends the protected form of plain to dst.
func (s *authState) seal(dst, plain []byte) []byte {
	s.mu.Lock()
	s.counter++
	ctr := s.counter
	s.mu.Unlock()
	dst = append(dst, authMagic...)
	dst = binary.BigEndian.AppendUint64(dst, s.session)
	dst = binary.BigEndian.AppendUint64(dst, ctr)
	var nonce [12]byte
	binary.BigEndian.PutUint32(nonce[:4], uint32(s.session>>32))
	binary.BigEndian.PutUint64(nonce[4:], ctr)
	return s.aead.Seal(dst, nonce[:], plain, dst[len(dst)-authHeader:])
}

var errAuth = errors.New("authentication failed")
var errReplay = errors.New("replayed or too old datagram")

// open verifies b and returns the plaintext appended to dst.
func (s *authState) open(dst, b []byte) ([]byte, error) {
	if len(b) < authHeader+s.opener.Overhead() || string(b[:4]) != authMagic {
		return nil, errAuth
	}
	sess := binary.BigEndian.Uint64(b[4:12])
	ctr := binary.BigEndian.Uint64(b[12:20])
	var nonce [12]byte
	binary.BigEndian.PutUint32(nonce[:4], uint32(sess>>32))
	binary.BigEndian.PutUint64(nonce[4:], ctr)
	out, err := s.opener.Open(dst, nonce[:], b[authHeader:], b[:authHeader])
	if err != nil {
		return nil, errAuth
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess != s.peerSession {
		if s.peerSession != 0 && uint32(sess) < uint32(s.peerSession) || slices.Contains(s.left[:], sess) {
			return nil, errReplay
		}
		if s.peerSession != 0 {
			s.left[s.next] = s.peerSession
			s.next = (s.next + 1) % len(s.left)
		}
		s.peerSession = sess
		s.window.reset()
	}
	if !s.window.check(ctr) {
		return nil, errReplay
	}
	return out, nil
}

// replayWindow is an RFC 6479-style sliding window over counters.
type replayWindow struct {
	size uint64
	top  uint64
	bits []uint64
}

func (w *replayWindow) init(size int) {
	w.size = uint64((size + 63) / 64 * 64)
	w.bits = make([]uint64, w.size/64)
}

func (w *replayWindow) reset() {
	w.top = 0
	clear(w.bits)
}

// check reports whether ctr is new and marks it seen.
func (w *replayWindow) check(ctr uint64) bool {
	if ctr == 0 {
		return false
	}
	if ctr > w.top {
		// Clear the bits between the old top and ctr.
		if ctr-w.top >= w.size {
			clear(w.bits)
		} else {
			for c := w.top + 1; c < ctr; c++ {
				w.bits[(c/64)%uint64(len(w.bits))] &^= 1 << (c % 64)
			}
		}
		w.top = ctr
		w.bits[(ctr/64)%uint64(len(w.bits))] |= 1 << (ctr % 64)
		return true
	}
	if w.top-ctr >= w.size {
		return false
	}
	i, bit := (ctr/64)%uint64(len(w.bits)), uint64(1)<<(ctr%64)
	if w.bits[i]&bit != 0 {
		return false
	}
	w.bits[i] |= bit
	return true
}
