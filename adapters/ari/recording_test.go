package ari

import (
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// A call recorded through a snoop channel keeps recording after it leaves
// Stasis for the dialplan, ends with the call, and its stored file can be
// read back.
func TestRecordCallStoredFile(t *testing.T) {
	e := newEnv(t, nil)
	// [customers] answers after 2 s and hangs up 10 s later.
	e.originate(telephony.OriginateRequest{Call: "rec-a", Target: telephony.Target{Number: "300"}, Timeout: 30 * time.Second})
	e.next(telephony.EventAnswered, "rec-a")
	if err := e.a.RecordCall(e.ctx, "rec-a", "rec-a"); err != nil {
		t.Fatal(err)
	}
	if err := e.a.Continue(e.ctx, "rec-a", telephony.DialplanTarget{Context: "hold", Extension: "hold", Priority: 1}); err != nil {
		t.Fatal(err)
	}
	e.next(telephony.EventHangup, "rec-a")
	for _, ev := range e.extra {
		if ev.Kind == telephony.EventIncoming {
			t.Errorf("the snoop channel surfaced as a call: %+v", ev)
		}
	}

	var (
		body  io.ReadCloser
		ctype string
		err   error
	)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if body, ctype, err = e.a.RecordingFile(e.ctx, "rec-a"); !errors.Is(err, ErrUnknownRecording) {
			break
		}
	}
	if err != nil {
		t.Fatalf("recording file: %v", err)
	}
	data, err := io.ReadAll(body)
	body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 44 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" || string(data[36:40]) != "data" {
		t.Fatalf("not a WAV file: % x", data[:min(len(data), 44)])
	}
	if e.emu != nil {
		if ctype != "audio/wav" {
			t.Errorf("content type %q", ctype)
		}
		rate := binary.LittleEndian.Uint32(data[24:])
		bytesPerSec := binary.LittleEndian.Uint32(data[28:])
		secs := float64(binary.LittleEndian.Uint32(data[40:])) / float64(bytesPerSec)
		// Recorded from just after answer to the customer's hang-up 10 s later.
		if rate != 8000 || secs < 8 || secs > 10.5 {
			t.Errorf("recording of %.2f s at %d Hz, want about 10 s at 8000 Hz", secs, rate)
		}
		if got := e.emu.Recordings(); len(got) != 1 || got[0] != "rec-a" {
			t.Errorf("stored recordings %v", got)
		}
	}

	if _, _, err := e.a.RecordingFile(e.ctx, "nope"); !errors.Is(err, ErrUnknownRecording) {
		t.Errorf("unknown recording: %v, want ErrUnknownRecording", err)
	}
	var bad *InvalidRequestError
	if _, _, err := e.a.RecordingFile(e.ctx, "../etc/passwd"); !errors.As(err, &bad) {
		t.Errorf("a name with a slash: %v, want InvalidRequestError", err)
	}
	if err := e.a.RecordCall(e.ctx, "rec-a", "again"); !errors.Is(err, ErrUnknownCall) {
		t.Errorf("recording an ended call: %v, want ErrUnknownCall", err)
	}
}
