package cli

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fieldgate/fieldgate/can"
)

// `fieldgate can j1939 acd` is j1939acd (jacd): it claims a J1939 source
// address for a NAME from a range, defends it, answers requests for
// address claims, follows commanded addresses (PGN 0xFED8), moves on when
// a NAME of higher priority (lower value) takes its address, and gives
// the address up (claims 0xFE) when it stops. It uses jacd's policy
// (choose_new_sa) and state machine step for step.

const (
	acdPGNCommanded = 0x0FED8
	acdIdle         = int(can.J1939IdleAddr) // 254 addresses, 0..253
)

const (
	acdStateReqPending = iota // request sent, waiting 1250 ms for claims
	acdStateOperational
)

type acdEntry struct {
	name      uint64
	use, seen bool
}

// acd is one address claimer.
type acd struct {
	name    uint64
	iface   string
	current int // the address held, acdIdle for none
	bound   int // the address the socket is bound to
	table   [acdIdle]acdEntry
	state   int
	verbose int
	prog    string
	stderr  io.Writer
	conn    acdConn
}

// acdConn is the J1939 socket part acd uses.
type acdConn interface {
	Rebind(can.J1939Addr) error
	WriteTo(ctx context.Context, data []byte, dst can.J1939Addr) error
}

func (a *acd) logf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "%s: %s\n", a.prog, fmt.Sprintf(format, args...))
}

// parseACDRange marks the addresses of RANGE (80,0x50-0x60;...) as usable,
// strtoul-style numbers (0x hex, leading 0 octal, else decimal), and
// returns how many it marked.
func (a *acd) parseRange(r string) (int, error) {
	n := 0
	for _, tok := range strings.FieldsFunc(r, func(c rune) bool { return c == ',' || c == ';' }) {
		lo, hi, isRange := strings.Cut(tok, "-")
		a0, err := strconv.ParseUint(lo, 0, 16)
		if err != nil {
			return 0, fmt.Errorf("parsing range '%s'", tok)
		}
		ae := a0
		if isRange {
			if ae, err = strconv.ParseUint(hi, 0, 16); err != nil {
				return 0, fmt.Errorf("parsing addr '%s'", hi)
			}
			ae = max(ae, a0)
		}
		for j := a0; j <= ae; j++ {
			if j >= uint64(acdIdle) {
				break
			}
			a.table[j].use = true
			n++
		}
	}
	return n, nil
}

// chooseNewSA is jacd's choose_new_sa: the current address if nobody of
// higher priority holds it, else the first free usable address, else the
// next usable one (after sa) held by a NAME we win against.
func (a *acd) chooseNewSA(sa int) int {
	if sa < acdIdle && a.table[sa].use {
		if e := a.table[sa]; e.name == 0 || e.name == a.name || e.name > a.name {
			return sa
		}
	}
	for j := range acdIdle {
		if e := a.table[j]; e.use && (e.name == 0 || e.name == a.name) {
			return j
		}
	}
	j := sa + 1
	for range acdIdle {
		if j >= acdIdle {
			j = 0
		}
		if e := a.table[j]; e.use && a.name < e.name {
			return j
		}
		j++
	}
	return acdIdle
}

func (a *acd) lookupName(name uint64) int {
	for j := range acdIdle {
		if a.table[j].name == name {
			return j
		}
	}
	return acdIdle
}

// claim moves to sa and broadcasts the address claim (sa 0xFE: cannot
// claim).
func (a *acd) claim(ctx context.Context, sa int) error {
	if err := a.conn.Rebind(can.J1939Addr{Name: a.name, PGN: can.J1939NoPGN, Addr: uint8(sa)}); err != nil {
		return fmt.Errorf("rebind with sa 0x%02x: %w", sa, err)
	}
	a.bound = sa
	return a.repeat(ctx)
}

// repeat sends the address claim from the bound address.
func (a *acd) repeat(ctx context.Context) error {
	var msg [8]byte
	binary.LittleEndian.PutUint64(msg[:], a.name)
	if err := a.conn.WriteTo(ctx, msg[:], can.J1939Addr{PGN: can.J1939PGNClaim, Addr: can.J1939NoAddr, Name: can.J1939NoName}); err != nil {
		return fmt.Errorf("send address claim for 0x%02x: %w", a.bound, err)
	}
	// jacd learns its address from its own claim, looped back.
	a.sawClaim(a.bound, a.name)
	return nil
}

// sawClaim updates the table with a claim of sa by name; it reports a
// collision with our address.
func (a *acd) sawClaim(sa int, name uint64) (collision bool) {
	if sa >= acdIdle {
		if j := a.lookupName(name); j < acdIdle {
			a.table[j].name = 0
		}
		return false
	}
	if j := a.lookupName(name); j != sa && j < acdIdle {
		a.table[j].name = 0
	}
	a.table[sa].name = name
	a.table[sa].seen = true
	if name == a.name {
		a.current = sa
		if a.verbose > 0 {
			a.logf("claimed 0x%02x", sa)
		}
		return false
	}
	return sa == a.current
}

// status is jacd's SIGUSR1 dump.
func (a *acd) status(w io.Writer) {
	bw := bufio.NewWriter(w)
	for j := range acdIdle {
		e := a.table[j]
		if !e.use && !e.seen && e.name == 0 {
			continue
		}
		mark := byte('-')
		switch {
		case j == a.current:
			mark = '*'
		case e.use:
			mark = '+'
		}
		fmt.Fprintf(bw, "%02x: %c", j, mark)
		if e.name != 0 {
			fmt.Fprintf(bw, " %016x\n", e.name)
		} else {
			fmt.Fprint(bw, " -\n")
		}
	}
	bw.Flush()
}

func acdSaveCache(path string, sa int) error {
	if path == "" {
		return nil
	}
	body := fmt.Sprintf("# saved on %s\n\n\n0x%02x\n", time.Now().Format("Mon Jan _2 15:04:05 2006"), sa)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		return fmt.Errorf("cache %s: %w", path, err)
	}
	return nil
}

func acdRestoreCache(path string) (int, bool, error) {
	if path == "" {
		return 0, false, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("cache %s: %w", path, err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l[0] == '#' {
			continue
		}
		if v, err := strconv.ParseUint(l, 0, 16); err == nil && v <= uint64(acdIdle) {
			return int(v), true, nil
		}
	}
	return 0, false, nil
}

// acdMsg is one received message.
type acdMsg struct {
	pgn  uint32
	sa   uint8
	name uint64
	n    int
	data [16]byte
}

func acdMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a := &acd{current: acdIdle, bound: acdIdle, prog: "j1939acd", stderr: stderr, iface: "can0"}
	ranges, cache, start := "0x80-0xfd", "", ""
	set := &optSet{name: "j1939 acd", synopsis: `usage: fieldgate can j1939 acd [options] NAME [IFACE]
j1939acd: claim a J1939 source address for the 64-bit NAME (hex) on IFACE
(default can0), defend it, and give it up on SIGINT/SIGTERM. SIGUSR1
prints the address table.`, trailer: `
Example: fieldgate can j1939 acd -r 100,80-120 -c /tmp/1122334455667788.jacd 1122334455667788 vcan0`}
	set.counter('v', "verbose", "more messages on stderr", &a.verbose)
	set.str('r', "range", "RANGE", "source addresses to use, e.g. 80,50-100,200-210 (default 0x80-0xfd)", &ranges)
	set.str('c', "cache", "FILE", "file to save and restore the address in", &cache)
	set.str('a', "address", "ADDRESS", "start with this source address", &start)
	set.fn('p', "prefix", "STR", "prefix of the program name in messages", func(v string) error { a.prog += "." + v; return nil })
	operands, err := set.parse(args, stderr)
	if err != nil {
		return err
	}
	if len(operands) < 1 || len(operands) > 2 {
		return set.errorf("want NAME [IFACE]")
	}
	nameStr := strings.TrimPrefix(strings.TrimPrefix(operands[0], "0x"), "0X")
	if a.name, err = strconv.ParseUint(nameStr, 16, 64); err != nil || a.name == 0 {
		return set.errorf("NAME %q: want a non-zero hex 64-bit NAME", operands[0])
	}
	if len(operands) == 2 {
		a.iface = operands[1]
	}
	if sa, ok, err := acdRestoreCache(cache); err != nil {
		return fmt.Errorf("j1939 acd: %w", err)
	} else if ok {
		a.current = sa
	}
	if start != "" {
		v, err := strconv.ParseUint(start, 0, 8)
		if err != nil || v > uint64(acdIdle) {
			return set.errorf("-a %q: want an address 0..253", start)
		}
		a.current = int(v)
	}
	if n, err := a.parseRange(ranges); err != nil {
		return set.errorf("%v", err)
	} else if n == 0 {
		return set.errorf("no addresses in range")
	}
	if a.current < acdIdle && !a.table[a.current].use {
		if a.verbose > 0 {
			a.logf("forget saved address 0x%02x", a.current)
		}
		a.current = acdIdle
	}
	if a.verbose > 0 {
		a.logf("ready for %s:%016x", a.iface, a.name)
	}
	c, err := can.ListenJ1939(a.iface, &can.J1939Config{
		Local:     can.J1939Addr{Name: a.name, PGN: can.J1939NoPGN, Addr: can.J1939IdleAddr},
		Broadcast: true,
	})
	if err != nil {
		return fmt.Errorf("j1939 acd: %w", err)
	}
	defer c.Close()
	a.conn = c
	return a.run(ctx, c, stdout, cache)
}

// run is jacd's main loop.
func (a *acd) run(ctx context.Context, c *can.J1939Conn, stdout io.Writer, cache string) error {
	rctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	msgs := make(chan acdMsg, 64)
	rerr := make(chan error, 1)
	go func() {
		buf := make([]byte, 16)
		for {
			n, from, _, err := c.ReadFrom(rctx, buf)
			if err != nil {
				rerr <- err
				return
			}
			m := acdMsg{pgn: from.PGN, sa: from.Addr, name: from.Name, n: n}
			copy(m.data[:], buf[:n])
			select {
			case msgs <- m:
			case <-rctx.Done():
				return
			}
		}
	}()
	usr1 := acdStatusSignal()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	// The request for address claims, from the idle address.
	req := []byte{0x00, 0xEE, 0x00}
	if err := c.WriteTo(ctx, req, can.J1939Addr{PGN: can.J1939PGNReq, Addr: can.J1939NoAddr, Name: can.J1939NoName}); err != nil {
		return fmt.Errorf("j1939 acd: could not send the initial request: %w", err)
	}
	if a.verbose > 0 {
		a.logf("request sent, pending for 1250 ms")
	}
	a.state = acdStateReqPending
	timer.Reset(1250 * time.Millisecond)
	// retry re-sends in 50 ms a claim that the interface did not take
	// (ENOBUFS); other errors end acd, as in jacd.
	retry := func(err error) error {
		if err == nil || !errors.Is(err, syscall.ENOBUFS) {
			return err
		}
		timer.Reset(50 * time.Millisecond)
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return a.shutdown(cache)
		case <-usr1:
			a.status(stdout)
		case err := <-rerr:
			return fmt.Errorf("j1939 acd: recvfrom: %w", err)
		case <-timer.C:
			switch a.state {
			case acdStateReqPending:
				sa := a.chooseNewSA(a.current)
				if sa == acdIdle {
					return errors.New("j1939 acd: no free address to use")
				}
				a.state = acdStateOperational
				if err := retry(a.claim(ctx, sa)); err != nil {
					return fmt.Errorf("j1939 acd: %w", err)
				}
			case acdStateOperational:
				if err := retry(a.repeat(ctx)); err != nil {
					return fmt.Errorf("j1939 acd: %w", err)
				}
			}
		case m := <-msgs:
			done, err := a.handle(ctx, &m, retry)
			if err != nil {
				return fmt.Errorf("j1939 acd: %w", err)
			}
			if done {
				return a.shutdown(cache)
			}
		}
	}
}

// handle processes one received message; done reports that no address
// is left.
func (a *acd) handle(ctx context.Context, m *acdMsg, retry func(error) error) (done bool, err error) {
	switch m.pgn {
	case can.J1939PGNReq:
		if m.n < 3 {
			return false, nil
		}
		pgn := uint32(m.data[0]) | uint32(m.data[1])<<8 | uint32(m.data[2]&3)<<16
		if pgn == can.J1939PGNClaim && a.state == acdStateOperational {
			return false, retry(a.claim(ctx, a.current))
		}
	case can.J1939PGNClaim:
		name := m.name
		if name == 0 && m.n >= 8 {
			name = binary.LittleEndian.Uint64(m.data[:8])
		}
		sa := int(m.sa)
		if !a.sawClaim(sa, name) {
			return false, nil
		}
		if a.verbose > 0 {
			a.logf("address collision for 0x%02x", sa)
		}
		if a.name > name {
			sa = a.chooseNewSA(sa)
			if sa == acdIdle {
				a.logf("no address left")
				a.current = acdIdle
				return true, nil
			}
		}
		return false, retry(a.claim(ctx, sa))
	case acdPGNCommanded:
		if m.n >= 9 && binary.LittleEndian.Uint64(m.data[:8]) == a.name {
			return false, retry(a.claim(ctx, int(m.data[8])))
		}
	}
	return false, nil
}

// shutdown gives the address up (a claim from 0xFE) and saves the cache.
func (a *acd) shutdown(cache string) error {
	if a.verbose > 0 {
		a.logf("shutdown")
	}
	// The cache keeps the address held (jacd never sees its claim of
	// 0xFE: it has stopped reading).
	held := a.current
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := a.claim(ctx, acdIdle)
	a.current = held
	if serr := acdSaveCache(cache, held); serr != nil {
		return fmt.Errorf("j1939 acd: %w", serr)
	}
	if err != nil {
		return fmt.Errorf("j1939 acd: give up the address: %w", err)
	}
	return nil
}
