package dialect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/switchboard-cc/switchboard/pkg/dialect/dialectpb"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// PluginName is the name under which a dialect plugin serves its one plugin.
const PluginName = "dialect"

// Handshake is the go-plugin handshake every dialect plugin and the host
// share. The cookie only keeps a dialect binary from being run by hand by
// mistake; it is not a secret. ProtocolVersion changes when the wire
// contract changes incompatibly.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "SWITCHBOARD_DIALECT_PLUGIN",
	MagicCookieValue: "b3c1f0e6-dialect-v1",
}

// MaxMessageBytes bounds one gRPC message between host and plugin (a request
// or response body and its headers). The host keeps request bodies below it.
const MaxMessageBytes = 64 << 20

// windowBytes is the HTTP/2 flow-control window of the host-plugin
// connections. Setting it turns off gRPC's bandwidth-delay probing, which on
// a local socket only adds a ping round trip to every small message.
const windowBytes = 4 << 20

// GRPCServerOptions are the options both sides use for their gRPC servers.
func GRPCServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.MaxRecvMsgSize(MaxMessageBytes), grpc.MaxSendMsgSize(MaxMessageBytes),
		grpc.InitialWindowSize(windowBytes), grpc.InitialConnWindowSize(windowBytes)}
}

// GRPCDialOptions are the options both sides use to dial each other.
func GRPCDialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes)),
		grpc.WithInitialWindowSize(windowBytes), grpc.WithInitialConnWindowSize(windowBytes),
	}
}

// Handler is a dialect as the host uses it: bound to a host API, so requests
// need no host argument. A running plugin (*GRPCClient) and an in-process
// dialect (Bind) are both Handlers.
type Handler interface {
	Info(ctx context.Context) (Info, error)
	HandleHTTP(ctx context.Context, req Request) (Response, error)
	RenderEvent(ctx context.Context, ev event.Event, sub Subscription) ([]Webhook, error)
}

// Bind runs d in-process against h, as a Handler.
func Bind(d Dialect, h Host) Handler { return bound{d: d, h: h} }

type bound struct {
	d Dialect
	h Host
}

func (b bound) Info(ctx context.Context) (i Info, err error) {
	defer recovered("Info", &err)
	return b.d.Info(ctx)
}

func (b bound) HandleHTTP(ctx context.Context, req Request) (r Response, err error) {
	defer recovered("HandleHTTP", &err)
	return b.d.HandleHTTP(ctx, b.h, req)
}

func (b bound) RenderEvent(ctx context.Context, ev event.Event, sub Subscription) (ws []Webhook, err error) {
	defer recovered("RenderEvent", &err)
	return b.d.RenderEvent(ctx, ev, sub)
}

// ErrPanic: a dialect method panicked. The panic is turned into this error
// (the request fails with a 502) instead of taking down the plugin process,
// or the service for an in-process dialect.
var ErrPanic = errors.New("dialect panicked")

func recovered(method string, err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%s: %w: %v\n%s", method, ErrPanic, p, debug.Stack())
	}
}

// Plugin is the go-plugin glue. A plugin process sets Impl (Serve does it);
// the host sets Host, the API it serves back to the plugin.
type Plugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl Dialect
	Host Host
}

var _ plugin.GRPCPlugin = (*Plugin)(nil)

// GRPCServer registers the plugin side.
func (p *Plugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil {
		return errors.New("dialect plugin: Impl is nil")
	}
	pb.RegisterDialectServer(s, &GRPCServer{Impl: p.Impl, broker: broker})
	return nil
}

// GRPCClient is called on the host side when the plugin is dispensed: it
// serves Host over the broker and tells the plugin where to find it.
func (p *Plugin) GRPCClient(ctx context.Context, broker *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	if p.Host == nil {
		return nil, errors.New("dialect plugin: Host is nil")
	}
	id := broker.NextId()
	go broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		s := grpc.NewServer(append(opts, GRPCServerOptions()...)...)
		pb.RegisterHostServer(s, &HostGRPCServer{Impl: p.Host})
		return s
	})
	client := &GRPCClient{client: pb.NewDialectClient(c)}
	if _, err := client.client.Connect(ctx, &pb.ConnectRequest{HostBrokerId: id}); err != nil {
		return nil, fmt.Errorf("dialect plugin: connect host API: %w", fromStatus(err))
	}
	return client, nil
}

// GRPCClient is the host's side of a running plugin.
type GRPCClient struct {
	client pb.DialectClient
}

var _ Handler = (*GRPCClient)(nil)

// Info asks the plugin to describe itself.
func (c *GRPCClient) Info(ctx context.Context) (Info, error) {
	m, err := c.client.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		return Info{}, fromStatus(err)
	}
	return Info{Name: m.GetName(), RoutePrefix: m.GetRoutePrefix(), AuthScheme: m.GetAuthScheme(),
		OpenAPI: m.GetOpenapi(), Version: m.GetVersion(), TokenAuth: tokenAuthFromPB(m.GetTokenAuth())}, nil
}

// HandleHTTP passes one request to the plugin.
func (c *GRPCClient) HandleHTTP(ctx context.Context, req Request) (Response, error) {
	m, err := c.client.HandleHTTP(ctx, RequestToPB(req))
	if err != nil {
		return Response{}, fromStatus(err)
	}
	return ResponseFromPB(m), nil
}

// RenderEvent asks the plugin for an event's webhooks.
func (c *GRPCClient) RenderEvent(ctx context.Context, ev event.Event, sub Subscription) ([]Webhook, error) {
	m, err := c.client.RenderEvent(ctx, &pb.RenderEventRequest{Event: eventToPB(ev), Subscription: subscriptionToPB(sub)})
	if err != nil {
		return nil, fromStatus(err)
	}
	out := make([]Webhook, 0, len(m.GetWebhooks()))
	for _, w := range m.GetWebhooks() {
		out = append(out, webhookFromPB(w))
	}
	return out, nil
}

// GRPCServer is the plugin's side: it serves Impl and holds the connection
// to the host API.
type GRPCServer struct {
	pb.UnimplementedDialectServer
	Impl   Dialect
	broker *plugin.GRPCBroker

	mu   sync.Mutex // guards host and conn
	host Host
	conn *grpc.ClientConn
}

// Describe serves Impl.Info.
func (s *GRPCServer) Describe(ctx context.Context, _ *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	i, err := Bind(s.Impl, nil).Info(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.DescribeResponse{Name: i.Name, RoutePrefix: i.RoutePrefix, AuthScheme: i.AuthScheme, Openapi: i.OpenAPI,
		Version: i.Version, TokenAuth: tokenAuthToPB(i.TokenAuth)}, nil
}

// Connect dials the host API on the broker.
func (s *GRPCServer) Connect(_ context.Context, req *pb.ConnectRequest) (*pb.ConnectResponse, error) {
	if s.broker == nil {
		return nil, status.Error(codes.FailedPrecondition, "no go-plugin broker")
	}
	conn, err := s.broker.DialWithOptions(req.GetHostBrokerId(), GRPCDialOptions()...)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "dial host API: %v", err)
	}
	s.mu.Lock()
	old := s.conn
	s.host, s.conn = NewHostGRPCClient(conn), conn
	s.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	return &pb.ConnectResponse{}, nil
}

func (s *GRPCServer) hostAPI() Host {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.host
}

// HandleHTTP serves Impl.HandleHTTP.
func (s *GRPCServer) HandleHTTP(ctx context.Context, req *pb.HTTPRequest) (*pb.HTTPResponse, error) {
	h := s.hostAPI()
	if h == nil {
		return nil, status.Error(codes.FailedPrecondition, "the host API is not connected yet")
	}
	resp, err := Bind(s.Impl, h).HandleHTTP(ctx, RequestFromPB(req))
	if err != nil {
		return nil, toStatus(err)
	}
	return ResponseToPB(resp), nil
}

// RenderEvent serves Impl.RenderEvent.
func (s *GRPCServer) RenderEvent(ctx context.Context, req *pb.RenderEventRequest) (*pb.RenderEventResponse, error) {
	ws, err := Bind(s.Impl, nil).RenderEvent(ctx, eventFromPB(req.GetEvent()), subscriptionFromPB(req.GetSubscription()))
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.RenderEventResponse{Webhooks: make([]*pb.Webhook, 0, len(ws))}
	for _, w := range ws {
		out.Webhooks = append(out.Webhooks, webhookToPB(w))
	}
	return out, nil
}

// Serve runs impl as a dialect plugin; a plugin's main calls it and nothing
// else. It returns when the host stops the plugin. Should the host die
// without stopping it (kill -9, a crash), the plugin notices that its parent
// changed within a second and exits, so no orphan is left behind.
func Serve(impl Dialect) {
	go exitWithParent(os.Getppid(), time.Second)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugin.PluginSet{PluginName: &Plugin{Impl: impl}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, GRPCServerOptions()...)...)
		},
	})
}

// exitWithParent ends the process once its parent is no longer ppid (the
// orphan was re-parented). It runs for the life of the process.
func exitWithParent(ppid int, every time.Duration) {
	for range time.Tick(every) {
		if os.Getppid() != ppid {
			os.Exit(3)
		}
	}
}
