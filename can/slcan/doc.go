// Package slcan is the Lawicel (SLCAN) ASCII protocol that serial CAN
// adapters speak (CANUSB, CAN232, CANable, USBtin, ESP32 bridges) and that
// Linux's slcan line discipline, python-can's slcan interface and SavvyCAN
// speak to them: a command or frame per line, terminated by '\r', answered
// with '\r' (OK) or '\a' (BEL, error).
//
// Frames are t (11-bit), T (29-bit), r and R (remote requests), and the
// CAN FD extensions d and D (no bit rate switch) and b and B (bit rate
// switch), whose DLC digit is hexadecimal (0..F). A frame line may end with
// a 4-digit hexadecimal timestamp in milliseconds (0..59999) when the
// adapter's timestamps are on (Z1).
//
// AppendFrame encodes a frame, ParseFrame decodes one, and Reader splits a
// byte stream into lines with a bound on their length; none of them
// allocates per frame. ParseStatus decodes the F reply (status flags) and
// ParseState the state report ("sSRRRTTT") that Linux's slcan driver reads
// from adapters that report their error state.
package slcan
