// Package bus carries pkg/event values from the engines and adapters to
// sinks (webhooks, agent events, dashboard, metrics) over watermill, on an
// in-process GoChannel (the embedded default), PostgreSQL (watermill-sql) or
// NATS JetStream (watermill-nats).
//
// One bus message carries a batch of events (a JSON array); every sink sees
// every message and acknowledges it only after handling it, so a durable
// backend redelivers what a crashed sink had not finished.
package bus

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	wmsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/nats-io/nats.go"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// Backend selects the pub/sub implementation.
type Backend string

// Backends.
const (
	GoChannel Backend = "gochannel" // in process; durable only together with the outbox
	SQL       Backend = "sql"       // PostgreSQL tables via watermill-sql
	NATS      Backend = "nats"      // NATS JetStream via watermill-nats
)

// Config configures a Bus.
type Config struct {
	Backend Backend // default GoChannel
	// DB is the PostgreSQL database for the SQL backend.
	DB *store.DB
	// NATSURL is the NATS server for the NATS backend. Default nats://127.0.0.1:4222.
	NATSURL string
	// Topic carries the events. Default "switchboard_events". Letters, digits, _ and - only.
	Topic string
	// ConsumerPrefix prefixes each sink's durable consumer (NATS) or consumer
	// group (SQL), so separate deployments sharing a server stay apart.
	// Default "switchboard".
	ConsumerPrefix string
	// PollInterval is how often an idle SQL subscriber polls. Default 20 ms.
	PollInterval time.Duration
	// AckWait is how long NATS waits for a sink's ack before redelivering. Default 30 s.
	AckWait time.Duration
	Logger  *slog.Logger
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func (c *Config) setDefaults() {
	if c.Backend == "" {
		c.Backend = GoChannel
	}
	if c.NATSURL == "" {
		c.NATSURL = "nats://127.0.0.1:4222"
	}
	if c.Topic == "" {
		c.Topic = "switchboard_events"
	}
	if c.ConsumerPrefix == "" {
		c.ConsumerPrefix = "switchboard"
	}
	if c.PollInterval == 0 {
		c.PollInterval = 20 * time.Millisecond
	}
	if c.AckWait == 0 {
		c.AckWait = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports a configuration New would refuse.
func (c Config) Validate() error {
	switch c.Backend {
	case GoChannel, NATS:
	case SQL:
		if c.DB == nil {
			return &store.FieldError{Field: "bus", Reason: "the sql backend needs a database"}
		}
		if c.DB.Dialect() != store.Postgres {
			return &store.FieldError{Field: "bus", Reason: "the sql backend needs PostgreSQL (--db postgres://…)"}
		}
	default:
		return &store.FieldError{Field: "bus", Reason: fmt.Sprintf("unknown backend %q (want gochannel, sql or nats)", c.Backend)}
	}
	if !nameRE.MatchString(c.Topic) {
		return &store.FieldError{Field: "topic", Reason: fmt.Sprintf("%q: letters, digits, _ and - only", c.Topic)}
	}
	if !nameRE.MatchString(c.ConsumerPrefix) {
		return &store.FieldError{Field: "consumer_prefix", Reason: fmt.Sprintf("%q: letters, digits, _ and - only", c.ConsumerPrefix)}
	}
	if c.PollInterval < 0 || c.AckWait < 0 {
		return &store.FieldError{Field: "poll_interval", Reason: "must not be negative"}
	}
	return nil
}

// SinkFunc handles one batch of events. Returning an error makes the bus
// retry the batch later; it is acknowledged only after a nil return.
type SinkFunc func(ctx context.Context, events []event.Event) error

// ErrClosed is returned by Publish after Close.
var ErrClosed = errors.New("bus: closed")

// ErrNotRunning is returned by Publish on the GoChannel backend before Run
// has subscribed the sinks (or after they stopped): an in-process message
// with nobody listening would be lost.
var ErrNotRunning = errors.New("bus: sinks not running")

// Bus publishes events and runs the sinks' handlers.
type Bus struct {
	cfg    Config
	log    watermill.LoggerAdapter
	pub    message.Publisher
	newSub func(consumer string) (message.Subscriber, error)
	router *message.Router

	mu     sync.Mutex // guards closed and subs during set-up and Close
	closed bool
	subs   []message.Subscriber
	closer func() error
}

// New builds a bus. Add sinks, then Run it.
func New(cfg Config) (*Bus, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// watermill's info lines (handlers starting, routers closing) are debug detail here.
	wlog := watermill.NewSlogLoggerWithLevelMapping(cfg.Logger.With("component", "bus"), map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
	b := &Bus{cfg: cfg, log: wlog}
	switch cfg.Backend {
	case GoChannel:
		ch := gochannel.NewGoChannel(gochannel.Config{BlockPublishUntilSubscriberAck: true}, b.log)
		b.pub = ch
		b.newSub = func(string) (message.Subscriber, error) { return ch, nil }
	case SQL:
		// watermill-sql needs server-side typed parameters (xid8), so the bus
		// talks to PostgreSQL through pgx rather than bun's pgdriver.
		sqldb, err := sql.Open("pgx", cfg.DB.DSN())
		if err != nil {
			return nil, fmt.Errorf("bus: open postgres: %w", err)
		}
		sqldb.SetMaxOpenConns(8)
		b.closer = sqldb.Close
		pub, err := wmsql.NewPublisher(sqldb, wmsql.PublisherConfig{SchemaAdapter: sqlSchema, AutoInitializeSchema: true}, b.log)
		if err != nil {
			return nil, fmt.Errorf("bus: sql publisher: %w", err)
		}
		b.pub = pub
		b.newSub = func(consumer string) (message.Subscriber, error) {
			return wmsql.NewSubscriber(sqldb, wmsql.SubscriberConfig{
				ConsumerGroup:    consumer,
				SchemaAdapter:    sqlSchema,
				OffsetsAdapter:   wmsql.DefaultPostgreSQLOffsetsAdapter{},
				InitializeSchema: true,
				PollInterval:     cfg.PollInterval,
				ResendInterval:   cfg.PollInterval,
				RetryInterval:    time.Second,
			}, b.log)
		}
	case NATS:
		if err := ensureNATSStream(cfg); err != nil {
			return nil, err
		}
		js := wmnats.JetStreamConfig{AutoProvision: true, TrackMsgId: true}
		pub, err := wmnats.NewPublisher(wmnats.PublisherConfig{URL: cfg.NATSURL, JetStream: js,
			NatsOptions: []nats.Option{nats.Name("switchboard-bus")}}, b.log)
		if err != nil {
			return nil, fmt.Errorf("bus: connect to NATS %s: %w", cfg.NATSURL, err)
		}
		b.pub = pub
		b.newSub = func(consumer string) (message.Subscriber, error) {
			if err := ensureNATSConsumer(cfg, consumer); err != nil {
				return nil, err
			}
			sjs := js
			sjs.DurablePrefix = consumer
			// Binding to a consumer the library did not create keeps it (and
			// its acknowledged position) when the subscriber closes.
			sjs.SubscribeOptions = []nats.SubOpt{nats.Bind(cfg.Topic, consumer), nats.ManualAck()}
			return wmnats.NewSubscriber(wmnats.SubscriberConfig{
				URL:              cfg.NATSURL,
				QueueGroupPrefix: consumer,
				SubscribersCount: 1,
				AckWaitTimeout:   cfg.AckWait,
				CloseTimeout:     5 * time.Second,
				NakDelay:         wmnats.NewStaticDelay(100 * time.Millisecond),
				JetStream:        sjs,
			}, b.log)
		}
	}
	r, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, b.log)
	if err != nil {
		return nil, fmt.Errorf("bus: router: %w", err)
	}
	r.AddMiddleware(middleware.Retry{
		MaxRetries:      5,
		InitialInterval: 20 * time.Millisecond,
		Multiplier:      2,
		MaxInterval:     time.Second,
		Logger:          b.log,
	}.Middleware)
	b.router = r
	return b, nil
}

// Topic is the topic events travel on.
func (b *Bus) Topic() string { return b.cfg.Topic }

// Backend reports the configured backend.
func (b *Bus) Backend() Backend { return b.cfg.Backend }

// AddSink registers a handler that receives every event batch published
// after Run starts (and, on SQL and NATS, every batch its durable consumer
// has not yet acknowledged). Names are letters, digits, _ and -; call before Run.
func (b *Bus) AddSink(name string, fn SinkFunc) error {
	if !nameRE.MatchString(name) {
		return &store.FieldError{Field: "sink", Reason: fmt.Sprintf("%q: letters, digits, _ and - only", name)}
	}
	sub, err := b.newSub(b.cfg.ConsumerPrefix + "_" + name)
	if err != nil {
		return fmt.Errorf("bus: subscriber for sink %s: %w", name, err)
	}
	b.mu.Lock()
	b.subs = append(b.subs, sub)
	b.mu.Unlock()
	b.router.AddConsumerHandler(name, b.cfg.Topic, sub, func(msg *message.Message) error {
		var evs []event.Event
		if err := json.Unmarshal(msg.Payload, &evs); err != nil {
			// A payload that cannot decode never will: log and drop it.
			b.cfg.Logger.Error("bus: dropping undecodable message", "sink", name, "uuid", msg.UUID, "err", err)
			return nil
		}
		return fn(msg.Context(), evs)
	})
	return nil
}

// Run runs the sinks until ctx ends or Close is called.
func (b *Bus) Run(ctx context.Context) error {
	return b.router.Run(ctx)
}

// Running is closed once every sink is subscribed.
func (b *Bus) Running() <-chan struct{} { return b.router.Running() }

// Publish sends events as one message. Events without an ID get one. It
// returns when the backend holds the message: on GoChannel, once every
// running sink acknowledged it (ErrNotRunning before Run has started them);
// on SQL and NATS, once stored.
func (b *Bus) Publish(ctx context.Context, events ...event.Event) error {
	if len(events) == 0 {
		return nil
	}
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed || b.router.IsClosed() {
		return ErrClosed
	}
	if b.cfg.Backend == GoChannel {
		select {
		case <-b.router.Running():
		default:
			return ErrNotRunning
		}
	}
	for i := range events {
		if events[i].ID == "" {
			events[i].ID = store.NewID("evt_")
		}
	}
	payload, err := json.Marshal(events)
	if err != nil {
		return fmt.Errorf("bus: encode %d events: %w", len(events), err)
	}
	msg := message.NewMessage(watermill.NewUUID(), payload)
	msg.Metadata.Set("count", strconv.Itoa(len(events)))
	msg.SetContext(ctx)
	if err := b.pub.Publish(b.cfg.Topic, msg); err != nil {
		return fmt.Errorf("bus: publish %d events: %w", len(events), err)
	}
	return nil
}

// Close stops the router, the subscribers and the publisher.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	subs := b.subs
	b.mu.Unlock()
	ran := b.router.IsRunning()
	errs := []error{b.router.Close()}
	if !ran && b.cfg.Backend != GoChannel {
		// A running router closes its handlers' subscribers itself.
		for _, s := range subs {
			errs = append(errs, s.Close())
		}
	}
	errs = append(errs, b.pub.Close())
	if b.closer != nil {
		errs = append(errs, b.closer())
	}
	return errors.Join(errs...)
}

// sqlSchema is watermill's PostgreSQL schema.
var sqlSchema = wmsql.DefaultPostgreSQLSchema{SubscribeBatchSize: 1}

// NATSMaxAge bounds how long JetStream keeps an event no sink has acknowledged.
const NATSMaxAge = 7 * 24 * time.Hour

func natsJetStream(cfg Config) (*nats.Conn, nats.JetStreamContext, error) {
	nc, err := nats.Connect(cfg.NATSURL, nats.Name("switchboard-bus-setup"))
	if err != nil {
		return nil, nil, fmt.Errorf("bus: connect to NATS %s: %w", cfg.NATSURL, err)
	}
	js, err := nc.JetStream()
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("bus: JetStream: %w", err)
	}
	return nc, js, nil
}

// ensureNATSStream creates the topic's stream if it does not exist. It
// keeps a message until every sink's consumer acknowledged it (interest
// retention), at most NATSMaxAge.
func ensureNATSStream(cfg Config) error {
	nc, js, err := natsJetStream(cfg)
	if err != nil {
		return err
	}
	defer nc.Close()
	if _, err := js.StreamInfo(cfg.Topic); errors.Is(err, nats.ErrStreamNotFound) {
		_, err := js.AddStream(&nats.StreamConfig{Name: cfg.Topic, Subjects: []string{cfg.Topic},
			Retention: nats.InterestPolicy, MaxAge: NATSMaxAge, Storage: nats.FileStorage})
		if err != nil {
			return fmt.Errorf("bus: create stream %s: %w", cfg.Topic, err)
		}
	} else if err != nil {
		return fmt.Errorf("bus: stream %s: %w", cfg.Topic, err)
	}
	return nil
}

// ensureNATSConsumer creates the sink's durable push consumer if it does not exist.
func ensureNATSConsumer(cfg Config, consumer string) error {
	nc, js, err := natsJetStream(cfg)
	if err != nil {
		return err
	}
	defer nc.Close()
	if _, err := js.ConsumerInfo(cfg.Topic, consumer); err == nil {
		return nil
	} else if !errors.Is(err, nats.ErrConsumerNotFound) {
		return fmt.Errorf("bus: consumer %s: %w", consumer, err)
	}
	_, err = js.AddConsumer(cfg.Topic, &nats.ConsumerConfig{
		Durable:        consumer,
		DeliverSubject: "_sb_deliver." + cfg.Topic + "." + consumer,
		DeliverGroup:   consumer,
		DeliverPolicy:  nats.DeliverAllPolicy,
		AckPolicy:      nats.AckExplicitPolicy,
		AckWait:        cfg.AckWait,
		FilterSubject:  cfg.Topic,
	})
	if err != nil && !errors.Is(err, nats.ErrConsumerNameAlreadyInUse) {
		return fmt.Errorf("bus: create consumer %s: %w", consumer, err)
	}
	return nil
}
