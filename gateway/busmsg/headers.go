package busmsg

// Message headers (NATS headers; MQTT 5 user properties). Values are
// decimal integers or names.
const (
	// HeaderGateway names the gateway that published the message.
	HeaderGateway = "Fieldgate-Gateway"
	// HeaderTime is the capture time of the message's first frame, ns
	// since the Unix epoch.
	HeaderTime = "Fieldgate-Time"
	// HeaderSeq is the sequence number of the message's first frame:
	// frames a publishing endpoint sent, counted from 1 when it opened.
	HeaderSeq = "Fieldgate-Seq"
	// HeaderSession identifies the publishing endpoint's run (16 hex
	// digits, new each time it opens), so that a subscriber follows each
	// publisher's sequence numbers.
	HeaderSession = "Fieldgate-Session"
	// HeaderEncoding is binary, json or signals.
	HeaderEncoding = "Fieldgate-Encoding"
)

// Encodings.
const (
	EncodingBinary  = "binary"
	EncodingJSON    = "json"
	EncodingSignals = "signals"
)
