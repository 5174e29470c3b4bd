package bus_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/switchboard-cc/switchboard/adapters/bus"
	"github.com/switchboard-cc/switchboard/adapters/bus/bustest"
	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

func uniqueTopic(t *testing.T) string {
	return "t_" + strings.TrimPrefix(store.NewID(""), "")[:12]
}

func TestGoChannel(t *testing.T) {
	bustest.Run(t, bustest.Factory{Name: "gochannel", Topic: uniqueTopic, New: func(t *testing.T, topic string) *bus.Bus {
		b, err := bus.New(bus.Config{Topic: topic})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		return b
	}})
}

func TestPostgresSQL(t *testing.T) {
	db := storetest.Postgres(t)
	bustest.Run(t, bustest.Factory{Name: "sql", Durable: true, Topic: uniqueTopic, New: func(t *testing.T, topic string) *bus.Bus {
		b, err := bus.New(bus.Config{Backend: bus.SQL, DB: db, Topic: topic, PollInterval: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		return b
	}})
}

// EmbeddedNATS starts a JetStream server on a free loopback port.
func EmbeddedNATS(t testing.TB) string {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("embedded NATS not ready")
	}
	t.Cleanup(s.Shutdown)
	return s.ClientURL()
}

func natsFactory(url string) bustest.Factory {
	return bustest.Factory{Name: "nats", Durable: true, Topic: uniqueTopic, New: func(t *testing.T, topic string) *bus.Bus {
		b, err := bus.New(bus.Config{Backend: bus.NATS, NATSURL: url, Topic: topic, ConsumerPrefix: topic})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = b.Close()
			deleteStream(url, topic) // leave a shared server as we found it
		})
		return b
	}}
}

func deleteStream(url, topic string) {
	nc, err := nats.Connect(url)
	if err != nil {
		return
	}
	defer nc.Close()
	if js, err := nc.JetStream(); err == nil {
		_ = js.DeleteStream(topic)
	}
}

func TestNATSEmbedded(t *testing.T) {
	bustest.Run(t, natsFactory(EmbeddedNATS(t)))
}

func TestNATSServer(t *testing.T) {
	c, err := net.DialTimeout("tcp", "127.0.0.1:4222", time.Second)
	if err != nil {
		t.Skipf("no NATS server at 127.0.0.1:4222 (%v); the embedded-server test covers the backend", err)
	}
	_ = c.Close()
	bustest.Run(t, natsFactory("nats://127.0.0.1:4222"))
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []bus.Config{
		{Backend: "kafka"},
		{Backend: bus.SQL},
		{Backend: bus.SQL, DB: storetest.SQLite(t)},
		{Topic: "a.b"},
		{ConsumerPrefix: "x y"},
	} {
		if _, err := bus.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		} else if _, ok := err.(*store.FieldError); !ok {
			t.Errorf("New(%+v) = %T %v, want *store.FieldError", cfg, err, err)
		}
	}
}

func TestNATSStreamKeepsOnlyUnacknowledged(t *testing.T) {
	url := EmbeddedNATS(t)
	topic := uniqueTopic(t)
	b, err := bus.New(bus.Config{Backend: bus.NATS, NATSURL: url, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	if err := b.AddSink("one", rec.sink); err != nil {
		t.Fatal(err)
	}
	bustest.Start(t, b)
	for i := range 3 {
		if err := b.Publish(context.Background(), event.Event{Type: event.QueueChanged, Queue: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "3 events", func() bool { evs, _ := rec.snapshot(); return len(evs) == 3 })
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := nc.JetStream()
	info, err := js.StreamInfo(topic)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Retention != nats.InterestPolicy || info.Config.MaxAge != bus.NATSMaxAge {
		t.Fatalf("stream retention %v max age %v", info.Config.Retention, info.Config.MaxAge)
	}
	waitFor(t, "acknowledged messages removed", func() bool {
		info, err := js.StreamInfo(topic)
		return err == nil && info.State.Msgs == 0
	})
}
