package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlayStdoutHook(t *testing.T) {
	dir := t.TempDir()
	log := "# comment\n(1700000000.000000) vcan0 123#11\n(1700000000.000100) can1 456#22 R\n(1700000000.000200) vcan0 7FF#R T\n"
	f := filepath.Join(dir, "x.log")
	os.WriteFile(f, []byte(log), 0o644)
	out, _, err := runCLI("play", "-t", "-l", "2", "-vv", "-I", f, "stdout=vcan0")
	if err != nil {
		t.Fatal(err)
	}
	want := `2 loops
added user assignment: log-if=vcan0 write-if=stdout write-if-idx=65536
>>>>>>>>> start reading file. remaining loops = 1
(1700000000.000000) vcan0 123#11
(1700000000.000200) vcan0 7FF#R T
>>>>>>>>> start reading file. remaining loops = 0
(1700000000.000000) vcan0 123#11
(1700000000.000200) vcan0 7FF#R T
2 delay_loops
`
	if out != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	os.WriteFile(f, []byte("(1700000000.000000) vcan0 123#11\n(1700000000.0001) vcan0 123#11\n"), 0o644)
	_, _, err = runCLI("play", "-t", "-I", f, "stdout=vcan0")
	if err == nil || !strings.Contains(err.Error(), "x.log:2") || !strings.Contains(err.Error(), "decimals") {
		t.Fatalf("bad line: %v", err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"play", "vcan0"}, "'=' missing"},
		{[]string{"play", "-l", "0"}, `-l "0": want a number of loops`},
		{[]string{"play", "-s", "0"}, `-s "0": want seconds >= 1`},
		{[]string{"play", "-I", filepath.Join(dir, "nope")}, "no such file"},
	} {
		if _, _, err := runCLI(tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.args, err, tt.want)
		}
	}
}
