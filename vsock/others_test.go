package vsock

import (
	"os"
	"os/exec"
	"testing"
)

// The !linux build (vsock_others.go) compiles and vets.
func TestOthersBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool")
	}
	cmd := exec.Command(goTool, "vet", ".")
	cmd.Env = append(os.Environ(), "GOOS=darwin", "GOARCH=arm64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=darwin go vet: %v\n%s", err, out)
	}
}
