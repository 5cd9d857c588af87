package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// ReadSecretFile reads the secret (a key) that field names: path must be a
// regular file that neither group nor others may access, of at most max
// bytes. what names the file in messages ("key file", "tls key"). Errors
// are *HostError for field. Kinds read their secrets with it both when
// they check the host and when they open an endpoint.
func ReadSecretFile(field, what, path string, max int64) ([]byte, error) {
	return readHostFile(field, what, path, max, true)
}

// ReadHostFile reads the regular file (a certificate) that field names, of
// at most max bytes, as ReadSecretFile does but without the mode check.
func ReadHostFile(field, what, path string, max int64) ([]byte, error) {
	return readHostFile(field, what, path, max, false)
}

func readHostFile(field, what, path string, max int64, secret bool) ([]byte, error) {
	// Stat before opening: opening a named pipe would block, and reading
	// a device such as /dev/zero would not end.
	st, err := os.Stat(path)
	if err != nil {
		return nil, &HostError{Field: field, Msg: fmt.Sprintf("%s %s: %v", what, path, pathErr(err))}
	}
	if err := checkHostFile(field, what, path, st, max, secret); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &HostError{Field: field, Msg: fmt.Sprintf("%s %s: %v", what, path, pathErr(err))}
	}
	defer f.Close()
	// What was opened is what is read: check it again.
	if st, err = f.Stat(); err != nil {
		return nil, &HostError{Field: field, Msg: fmt.Sprintf("%s %s: %v", what, path, pathErr(err))}
	}
	if err := checkHostFile(field, what, path, st, max, secret); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, &HostError{Field: field, Msg: fmt.Sprintf("%s %s: %v", what, path, pathErr(err))}
	}
	if int64(len(b)) > max {
		return nil, &HostError{Field: field, Msg: fmt.Sprintf("%s %s is larger than %d bytes", what, path, max)}
	}
	return b, nil
}

// checkHostFile checks the file st that field names: a regular file, of at
// most max bytes, and, for a secret, closed to group and others.
func checkHostFile(field, what, path string, st fs.FileInfo, max int64, secret bool) error {
	if !st.Mode().IsRegular() {
		// Never suggest chmod here: the path may be /tmp or a device.
		return &HostError{Field: field, Msg: fmt.Sprintf("%s %s is %s, not a regular file", what, path, fileType(st.Mode())), Hint: "name the regular file that holds it"}
	}
	// Windows has no such mode bits (Go reports 0666 for every file).
	if m := st.Mode().Perm(); secret && m&0o077 != 0 && runtime.GOOS != "windows" {
		return &HostError{Field: field, Msg: fmt.Sprintf("%s %s has mode %04o: it must not be accessible by group or others", what, path, m), Hint: "run: chmod 600 " + path}
	}
	if st.Size() > max {
		return &HostError{Field: field, Msg: fmt.Sprintf("%s %s is %d bytes, larger than %d", what, path, st.Size(), max)}
	}
	return nil
}

// fileType describes the type of a file.
func fileType(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "a special file"
}

// pathErr returns the reason of a *fs.PathError (its path is in the
// message already), or err.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// WritableFile reports an error when the file that field names cannot be
// written as a log or capture endpoint writes it (created if missing,
// appended or replaced if present): a directory at path, a missing or
// unwritable directory for a new file, or an existing file that cannot be
// opened for writing. The message says which. Devices and pipes are
// accepted as they are. Nothing is written to an existing file; a new
// file's directory is tried by creating and removing a temporary file.
func (h *Host) WritableFile(field, path string) {
	if path == "" {
		return
	}
	st, err := os.Stat(path)
	switch {
	case err == nil && st.IsDir():
		h.Errorf(field, "give a file name inside it, e.g. "+filepath.Join(path, "can0.log"), "%s is a directory, not a file", path)
	case err == nil && st.Mode().IsRegular():
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			h.Errorf(field, "make it writable for the user the gateway runs as, or choose another path", "file %s is not writable: %v", path, pathErr(err))
			return
		}
		f.Close()
	case err == nil:
		// A device (/dev/null) or a pipe: opened as it is.
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		h.writableDir(field, filepath.Dir(path))
	default:
		h.Errorf(field, "", "%s: %v", path, pathErr(err))
	}
}

// WritableDir reports an error when a file cannot be created in dir (which
// field names a file in): it does not exist, is not a directory, or is not
// writable. A rotating log needs it besides WritableFile.
func (h *Host) WritableDir(field, dir string) { h.writableDir(field, dir) }

func (h *Host) writableDir(field, dir string) {
	err, done := h.cache.dirs[dir]
	if !done {
		err = checkWritableDir(dir)
		h.cache.dirs[dir] = err
	}
	if err != nil {
		h.Report(&HostError{Field: field, Msg: err.Error(), Hint: dirHint(dir, err)})
	}
}

var errNoDir = errors.New("does not exist")

func checkWritableDir(dir string) error {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("directory %s %w", dir, errNoDir)
	}
	if err != nil {
		return fmt.Errorf("directory %s: %v", dir, pathErr(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is %s, not a directory", dir, fileType(st.Mode()))
	}
	f, err := os.CreateTemp(dir, ".fieldgate-check-*")
	if err != nil {
		return fmt.Errorf("directory %s is not writable: %v", dir, pathErr(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

func dirHint(dir string, err error) string {
	if errors.Is(err, errNoDir) {
		return "create it (mkdir -p " + dir + "; with systemd, LogsDirectory=) or choose another path"
	}
	return "make it writable for the user the gateway runs as, or choose another path"
}

// ReadableFile reports an error when the file that field names cannot be
// opened for reading (a log replayed by a log endpoint in mode read).
func (h *Host) ReadableFile(field, path string) {
	if path == "" {
		return
	}
	st, err := os.Stat(path)
	switch {
	case err != nil:
		h.Errorf(field, "", "file %s: %v", path, pathErr(err))
	case st.IsDir():
		h.Errorf(field, "name a file", "%s is a directory, not a file", path)
	case st.Mode().IsRegular():
		f, err := os.Open(path)
		if err != nil {
			h.Errorf(field, "make it readable for the user the gateway runs as", "file %s is not readable: %v", path, pathErr(err))
			return
		}
		f.Close()
	}
}
