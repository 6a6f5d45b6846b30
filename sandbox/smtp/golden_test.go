package smtp

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

// TestGolden replays every transcript under sandbox/testdata/smtp.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("../testdata/smtp/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts found: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			sandboxtest.Golden(t, f, goldenWorld, func(w *sandbox.World) sandbox.Session {
				return NewSession(w, sandboxtest.Peer)
			})
		})
	}
}

// goldenWorld makes the world a transcript asks for with its option lines.
func goldenWorld(opts map[string]string) *sandbox.World {
	var l sandbox.Limits
	atoi := func(k string) int { n, _ := strconv.Atoi(opts[k]); return n }
	l.MaxMessageSize = atoi("max-message-size")
	l.MaxStore = int64(atoi("max-store"))
	return sandboxtest.NewWorld(l)
}
