package udp

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/fieldgate/fieldgate/alg"
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
// "auto" (the policy in alg decides; it says which and why).
func newSealer(key []byte, provider string) (sealer, error) {
	p, err := alg.ParseProvider(provider)
	if err != nil {
		return nil, err
	}
	a, err := alg.NewAEAD("gcm(aes)", key, 16, p)
	if err != nil {
		return nil, fmt.Errorf("auth.provider %s: %w", provider, err)
	}
	return algAEAD{a}, nil
}

// readKeyFile reads a 32-byte pre-shared key (raw, or 64 hex digits) and
// refuses files that group or others may read or write.
func readKeyFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if m := st.Mode().Perm(); m&0o077 != 0 {
		return nil, fmt.Errorf("key file %s has mode %04o: it must not be accessible by group or others (run: chmod 600 %s)", path, m, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if s := strings.TrimSpace(string(b)); len(s) == 64 {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	if len(b) != 32 {
		return nil, fmt.Errorf("key file %s: want 32 raw bytes or 64 hex digits, found %d bytes", path, len(b))
	}
	return b, nil
}

// Authenticated datagram layout:
//
//	magic "FGA1" | session u64 | counter u64 | AES-GCM(cannelloni datagram) | tag
//
// The nonce is the low 32 bits of the session and the counter. The session
// is random in its high 32 bits and the sender's start time in seconds in
// its low 32 bits; a receiver accepts a new session only if it started no
// earlier than the current one, so captured datagrams of an older session
// cannot be replayed. Within a session a sliding window rejects replays.
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
}

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
		if s.peerSession != 0 && uint32(sess) < uint32(s.peerSession) {
			return nil, errReplay
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
