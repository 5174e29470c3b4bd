package pluginhost

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLogWriterKeepsLevels(t *testing.T) {
	var out bytes.Buffer
	w := &logWriter{log: slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	in := `{"@level":"error","@message":"plugin process exited","@module":"plugin","id":42}` + "\n" +
		`{"@level":"debug","@message":"starting"}` + "\n" +
		"panic: boom\n" + `{"@level":"info","@mess`
	for _, chunk := range []string{in[:10], in[10:70], in[70:]} { // lines split across writes
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = w.Write([]byte(`age":"ready"}` + "\n"))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		`level=ERROR msg="dialect plugin: plugin process exited" id=42 module=plugin`,
		`level=DEBUG msg="dialect plugin: starting"`,
		`level=WARN msg="dialect plugin: panic: boom"`,
		`level=INFO msg="dialect plugin: ready"`,
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines:\n%s", len(lines), out.String())
	}
	for i, l := range lines {
		if !strings.Contains(l, want[i]) {
			t.Errorf("line %d = %s\nwant it to contain %s", i, l, want[i])
		}
	}
}
