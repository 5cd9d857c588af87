// Package canlog reads and writes CAN log files in the formats python-can,
// Vector and PEAK tools share: candump (-l), Vector ASC, Vector BLF, PEAK
// TRC and python-can's CSV. Every reader returns the same record, a
// can.LogEntry, and every writer takes one, so a log converts between
// formats by reading with one and writing with another.
//
// What each format keeps (its resolution) differs; see the Format
// constants. Numeric channels (ASC, BLF, TRC) map to interface names as
// python-can maps them: an interface name ending in digits N is channel
// N+1 (can0 is channel 1), a name without digits is channel 1, and channel
// N is read back as "canN-1".
//
// Readers never lose a record: on a corrupt record, Next returns every
// record before it and then an *Error naming the file and the line (text
// formats) or byte offset (BLF). BLF's zlib containers are read with
// compress/zlib of the standard library; no third-party module is used.
package canlog
