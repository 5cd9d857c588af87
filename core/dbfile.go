package core

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"
)

// ParseError reports a malformed line of a netdb file (/etc/services,
// /etc/protocols, /etc/hosts).
type ParseError struct {
	File string // file name, or "" for an anonymous reader
	Line int    // 1-based line number
	Msg  string
}

func (e *ParseError) Error() string {
	f := e.File
	if f == "" {
		f = "<input>"
	}
	return f + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
}

// maxDBErrors bounds how many malformed lines one parse reports one by one.
const maxDBErrors = 20

// parseDBLines calls fn with the whitespace-separated fields of every line
// of r that is not empty once its "#" comment is removed. Errors from fn
// and over-long lines are collected as *ParseError (the first
// maxDBErrors, then a count) and returned joined after the whole input is
// read; a read error stops the parse.
func parseDBLines(r io.Reader, file string, fn func(fields []string) string) error {
	br := bufio.NewReaderSize(r, 4096)
	var errs []error
	extra := 0
	report := func(line int, msg string) {
		if len(errs) < maxDBErrors {
			errs = append(errs, &ParseError{File: file, Line: line, Msg: msg})
		} else {
			extra++
		}
	}
	var fields []string
	for line := 1; ; line++ {
		text, err := br.ReadSlice('\n')
		long := false
		for errors.Is(err, bufio.ErrBufferFull) {
			// Skip the rest of an over-long line.
			long = true
			_, err = br.ReadSlice('\n')
		}
		if long {
			report(line, "line longer than "+strconv.Itoa(br.Size())+" bytes")
		} else if len(text) > 0 {
			s := string(text)
			if i := strings.IndexByte(s, '#'); i >= 0 {
				s = s[:i]
			}
			fields = appendFields(fields[:0], s)
			if len(fields) > 0 {
				if msg := fn(fields); msg != "" {
					report(line, msg)
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, &ParseError{File: file, Line: line, Msg: "read: " + err.Error()})
			break
		}
	}
	if extra > 0 {
		errs = append(errs, errors.New(strconv.Itoa(extra)+" more malformed lines in "+file))
	}
	return errors.Join(errs...)
}

// appendFields appends the whitespace-separated fields of s.
func appendFields(dst []string, s string) []string {
	i := 0
	for i < len(s) {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		j := i
		for j < len(s) && !isSpace(s[j]) {
			j++
		}
		if j > i {
			dst = append(dst, s[i:j])
		}
		i = j
	}
	return dst
}

// validName reports whether a netdb name field is printable ASCII.
func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return s != ""
}
