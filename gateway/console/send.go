package console

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/fieldgate/fieldgate/gateway/endpoints/console"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// pathSend takes frames from the send form: POST, JSON (sendRequest).
const pathSend = "/console/send"

// sendRequest is the body of POST /console/send.
type sendRequest struct {
	Endpoint string `json:"endpoint"` // a configured endpoint of kind console
	ID       string `json:"id"`       // hex: 3 digits for an 11-bit ID, 8 for a 29-bit one (candump)
	Data     string `json:"data"`     // hex, up to 8 bytes (64 with fd)
	FD       bool   `json:"fd"`
	BRS      bool   `json:"brs"`
}

// fdLens are the lengths a CAN FD frame can have.
var fdLens = map[int]bool{0: true, 1: true, 2: true, 3: true, 4: true, 5: true, 6: true, 7: true, 8: true, 12: true, 16: true, 20: true, 24: true, 32: true, 48: true, 64: true}

// parseSend decodes and checks a send request; errors name the field.
func parseSend(b []byte) (string, console.Frame, error) {
	var req sendRequest
	var f console.Frame
	if err := json.Unmarshal(b, &req); err != nil {
		return "", f, fmt.Errorf("body: %v", err)
	}
	if req.Endpoint == "" {
		return "", f, errors.New("endpoint: missing (the name of an endpoint of kind console)")
	}
	switch len(req.ID) {
	case 3, 8:
	default:
		return "", f, fmt.Errorf("id %q: write 3 hex digits for an 11-bit ID (e.g. 123) or 8 for a 29-bit one (e.g. 18FEF100)", req.ID)
	}
	id, err := strconv.ParseUint(req.ID, 16, 32)
	if err != nil {
		return "", f, fmt.Errorf("id %q: not hex", req.ID)
	}
	if len(req.ID) == 3 {
		if id > frame.CANSFFMask {
			return "", f, fmt.Errorf("id %q: an 11-bit ID is at most 7FF", req.ID)
		}
	} else {
		if id > frame.CANEFFMask {
			return "", f, fmt.Errorf("id %q: a 29-bit ID is at most 1FFFFFFF", req.ID)
		}
		id |= frame.CANEFFFlag
	}
	data, err := hex.DecodeString(req.Data)
	if err != nil {
		return "", f, fmt.Errorf("data %q: not hex bytes (e.g. 0102AB)", req.Data)
	}
	switch {
	case !req.FD && len(data) > 8:
		return "", f, fmt.Errorf("data: %d bytes; a CAN frame has at most 8 (set fd for up to 64)", len(data))
	case req.FD && !fdLens[len(data)]:
		return "", f, fmt.Errorf("data: %d bytes is no CAN FD length (0–8, 12, 16, 20, 24, 32, 48, 64)", len(data))
	case req.BRS && !req.FD:
		return "", f, errors.New("brs: only for a CAN FD frame (set fd)")
	}
	f.ID, f.FD, f.Len = uint32(id), req.FD, uint8(len(data))
	if req.BRS {
		f.Flags = frame.CANFDBRS
	}
	copy(f.Data[:], data)
	return req.Endpoint, f, nil
}

// sendEndpoints returns the configured endpoints of kind console.
func (c *Console) sendEndpoints() []string {
	cfg := c.g.Config()
	if cfg == nil {
		return nil
	}
	var out []string
	for _, e := range cfg.Endpoints {
		if e.Kind == "console" {
			out = append(out, e.Name)
		}
	}
	return out
}

// send serves POST /console/send. The admin handler has applied its rules
// for state-changing requests (Origin, Sec-Fetch-Site, the token beyond
// loopback); the frame then enters the engine from the console endpoint
// named, through its routes and their allow lists.
func (c *Console) send(w http.ResponseWriter, r *http.Request) {
	eps := c.sendEndpoints()
	if len(eps) == 0 {
		http.Error(w, "fieldgate console: sending is off: declare an endpoint of kind console and route it (see configs/README.md)", http.StatusForbidden)
		return
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4096))
	if err != nil {
		http.Error(w, "fieldgate console: body: "+err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	name, f, err := parseSend(b)
	if err != nil {
		http.Error(w, "fieldgate console: "+err.Error(), http.StatusBadRequest)
		return
	}
	known := false
	for _, e := range eps {
		known = known || e == name
	}
	if !known {
		http.Error(w, fmt.Sprintf("fieldgate console: endpoint %q is not an endpoint of kind console (those are %v)", name, eps), http.StatusBadRequest)
		return
	}
	if err := console.Send(name, &f); err != nil {
		http.Error(w, "fieldgate console: "+name+": "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintln(w, `{"queued":true}`)
}
