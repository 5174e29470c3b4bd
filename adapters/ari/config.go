// Package ari implements the telephony port (pkg/telephony) over the Asterisk
// REST Interface with github.com/CyCoreSystems/ari/v5.
//
// REST calls go through the library's native client. Events are read by the
// adapter's own WebSocket loop (golang.org/x/net/websocket, the library the
// client itself uses) and decoded with ari.DecodeEvent, because the native
// client's Connect redials every second forever, gives no "reconnected"
// signal, blocks until the first connection succeeds, and its bus drops
// events when a subscription's buffer is full. The adapter reconnects with
// exponential backoff, and after every reconnect lists channels and bridges
// over REST and settles every call it thought was live (Asterisk keeps no
// events for a disconnected app).
package ari

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/clock"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// ServerConfig is one Asterisk server.
type ServerConfig struct {
	// Name identifies the server in events and health reports (default: the URL host).
	Name string
	// URL is the ARI base URL, e.g. http://127.0.0.1:8088/ari.
	URL string
	// WebsocketURL is the events URL (default: URL with ws scheme + /events).
	WebsocketURL string
	User         string
	Password     string
}

// Config configures the adapter.
type Config struct {
	Servers []ServerConfig
	// App is the Stasis application name (default "switchboard").
	App string
	// LocalTemplate renders local agents' dial strings (default "PJSIP/{extension}").
	LocalTemplate string
	// NumberTemplate renders external numbers (default "PJSIP/{number}@{trunk}").
	NumberTemplate string
	// TrunkTemplates overrides NumberTemplate per trunk.
	TrunkTemplates map[string]string
	// AMDContext is the dialplan context that runs AMD() and returns to Stasis
	// with args amd,${AMDSTATUS},${AMDCAUSE} (default "switchboard-amd", see
	// testenv/compose/extensions.conf).
	AMDContext string
	// RecordingFormat is the format of bridge and call recordings (default "wav").
	RecordingFormat string
	// MinBackoff and MaxBackoff bound the WebSocket reconnect delay (defaults 250 ms and 30 s).
	MinBackoff, MaxBackoff time.Duration
	// PingInterval is how often the adapter checks over REST that Asterisk
	// still has its app registered; two failures in a row force a reconnect
	// (a half-open WebSocket never errors). Default 15 s; negative disables.
	PingInterval time.Duration
	Clock        clock.Clock
	Logger       *slog.Logger
}

func (c *Config) setDefaults() {
	if c.App == "" {
		c.App = "switchboard"
	}
	if c.LocalTemplate == "" {
		c.LocalTemplate = "PJSIP/{extension}"
	}
	if c.NumberTemplate == "" {
		c.NumberTemplate = "PJSIP/{number}@{trunk}"
	}
	if c.AMDContext == "" {
		c.AMDContext = "switchboard-amd"
	}
	if c.RecordingFormat == "" {
		c.RecordingFormat = "wav"
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = 250 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 30 * time.Second
	}
	if c.PingInterval == 0 {
		c.PingInterval = 15 * time.Second
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	for i := range c.Servers {
		s := &c.Servers[i]
		if s.WebsocketURL == "" && s.URL != "" {
			u := strings.TrimSuffix(s.URL, "/")
			u = strings.Replace(u, "https://", "wss://", 1)
			u = strings.Replace(u, "http://", "ws://", 1)
			s.WebsocketURL = u + "/events"
		}
		if s.Name == "" {
			if u, err := url.Parse(s.URL); err == nil {
				s.Name = u.Host
			}
		}
	}
}

// ConfigError is a bad configuration value; Field names it.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string { return "ari config: " + e.Field + ": " + e.Reason }

// Validate checks the configuration.
func (c *Config) Validate() error {
	if len(c.Servers) == 0 {
		return &ConfigError{"Servers", "at least one server is required"}
	}
	seen := map[string]bool{}
	for i, s := range c.Servers {
		f := fmt.Sprintf("Servers[%d]", i)
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &ConfigError{f + ".URL", fmt.Sprintf("%q is not an http(s) URL", s.URL)}
		}
		if s.User == "" || s.Password == "" {
			return &ConfigError{f + ".User", "user and password are required"}
		}
		if seen[s.Name] {
			return &ConfigError{f + ".Name", fmt.Sprintf("duplicate server name %q", s.Name)}
		}
		seen[s.Name] = true
	}
	if strings.ContainsAny(c.App, ", ") {
		return &ConfigError{"App", fmt.Sprintf("%q: no commas or spaces", c.App)}
	}
	if !strings.Contains(c.LocalTemplate, "{extension}") {
		return &ConfigError{"LocalTemplate", fmt.Sprintf("%q has no {extension}", c.LocalTemplate)}
	}
	if !strings.Contains(c.NumberTemplate, "{number}") {
		return &ConfigError{"NumberTemplate", fmt.Sprintf("%q has no {number}", c.NumberTemplate)}
	}
	for trunk, t := range c.TrunkTemplates {
		if !strings.Contains(t, "{number}") {
			return &ConfigError{"TrunkTemplates[" + trunk + "]", fmt.Sprintf("%q has no {number}", t)}
		}
	}
	if c.MinBackoff < 0 || c.MaxBackoff < c.MinBackoff {
		return &ConfigError{"MaxBackoff", "must be at least MinBackoff"}
	}
	return nil
}

// HandoffArg is the first Stasis argument with which a script's dialplan
// returns a call the core continued to it and asks for a human:
// Stasis(<app>,handoff). The adapter reports it as
// telephony.EventScriptTransfer.
const HandoffArg = "handoff"

// Errors callers can branch on.
var (
	// ErrUnknownCall: the adapter knows no live call with that id.
	ErrUnknownCall = errors.New("ari: unknown call")
	// ErrUnknownBridge: the adapter knows no bridge with that id.
	ErrUnknownBridge = errors.New("ari: unknown bridge")
	// ErrUnknownRecording: no server has a stored recording by that name.
	ErrUnknownRecording = errors.New("ari: unknown recording")
	// ErrNotConnected: no server is connected.
	ErrNotConnected = errors.New("ari: not connected")
	// ErrClosed: the adapter was closed.
	ErrClosed = errors.New("ari: closed")
)

// RequestError is a failed ARI REST request.
type RequestError struct {
	Op     string // e.g. "originate"
	Status int    // HTTP status, 0 when the request did not complete
	Err    error
}

func (e *RequestError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("ari %s: HTTP %d: %v", e.Op, e.Status, e.Err)
	}
	return fmt.Sprintf("ari %s: %v", e.Op, e.Err)
}

func (e *RequestError) Unwrap() error { return e.Err }

// InvalidRequestError is a bad argument to a port method; Field names it.
type InvalidRequestError struct {
	Field  string
	Reason string
}

func (e *InvalidRequestError) Error() string { return "ari: " + e.Field + ": " + e.Reason }

// DialString renders a target with the configured templates.
func (c *Config) DialString(t telephony.Target) (string, error) {
	switch {
	case t.Extension != "" && t.Number != "":
		return "", &InvalidRequestError{"Target", "set Extension or Number, not both"}
	case t.Extension != "":
		if strings.ContainsAny(t.Extension, "/@&,") {
			return "", &InvalidRequestError{"Target.Extension", fmt.Sprintf("%q has characters not allowed in a dial string", t.Extension)}
		}
		return strings.ReplaceAll(c.LocalTemplate, "{extension}", t.Extension), nil
	case t.Number != "":
		if strings.ContainsAny(t.Number, "/@&,") {
			return "", &InvalidRequestError{"Target.Number", fmt.Sprintf("%q has characters not allowed in a dial string", t.Number)}
		}
		tmpl := c.NumberTemplate
		if tt, ok := c.TrunkTemplates[t.Trunk]; ok {
			tmpl = tt
		}
		if strings.Contains(tmpl, "{trunk}") && t.Trunk == "" {
			return "", &InvalidRequestError{"Target.Trunk", "required by the number template " + tmpl}
		}
		s := strings.ReplaceAll(tmpl, "{number}", t.Number)
		return strings.ReplaceAll(s, "{trunk}", t.Trunk), nil
	}
	return "", &InvalidRequestError{"Target", "Extension or Number is required"}
}

// hangupReason maps a Q.850 cause to the reason names ARI's DELETE takes.
func hangupReason(c telephony.Cause) string {
	switch c {
	case telephony.CauseUserBusy:
		return "busy"
	case telephony.CauseNoAnswer, telephony.CauseNoUserResponse:
		return "no_answer"
	case telephony.CauseCallRejected:
		return "rejected"
	case telephony.CauseCongestion, telephony.CauseSwitchCongestion:
		return "congestion"
	case telephony.CauseUnallocated:
		return "unallocated"
	case telephony.CauseNormalUnspecified:
		return "normal_unspecified"
	case telephony.CauseInvalidNumber:
		return "number_incomplete"
	case telephony.CauseNetworkOutOfOrder, telephony.CauseTempFailure:
		return "failure"
	case 26:
		return "answered_elsewhere"
	case telephony.CauseInterworking:
		return "interworking"
	}
	return "normal"
}

// dialStatusCause maps an ARI Dial status to the Q.850 cause it implies, for
// a ;1 leg destroyed with cause 0 (behaviour 4 of the traces).
func dialStatusCause(status string) telephony.Cause {
	switch status {
	case "BUSY":
		return telephony.CauseUserBusy
	case "NOANSWER":
		return telephony.CauseNoAnswer
	case "CONGESTION":
		return telephony.CauseCongestion
	case "CHANUNAVAIL":
		return telephony.CauseChanUnavailable
	}
	return 0
}
