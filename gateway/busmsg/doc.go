// Package busmsg is how frames travel as broker messages: the subject (or
// topic) a frame is published to, and the message encodings the broker
// endpoint kinds share (`nats` today; `mqtt` reuses them).
//
//   - Subjects: <prefix>.<gateway>.<endpoint>.<kind>.<ID hex> (Subject;
//     MQTT writes the same tokens with '/').
//   - binary: several frames per message, byte by byte in configs/README.md
//     (AppendBinary, ParseBinary), for gateway-to-gateway paths.
//   - json: one object per frame (AppendJSON, ParseJSON), for tools and
//     people.
//   - signals: one JSON object per CAN message with its signals decoded
//     by a DBC (Signals), publish only.
//
// Encoders append to caller-owned buffers and decoders fill caller-owned
// frames, so neither allocates per frame. Decoders treat their input as
// hostile: a message is accepted whole or refused whole with an error
// saying why; nothing of a refused message reaches a bus.
package busmsg
