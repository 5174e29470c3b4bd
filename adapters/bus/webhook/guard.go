package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
)

// Policy says which destination address classes webhooks may reach. It is
// checked when a subscription is created and again, on the resolved
// address, as every connection is dialled, so a DNS name cannot be rebound
// to a refused address between the two.
//
// Link-local addresses (169.254.0.0/16 and fe80::/10, where cloud metadata
// services live) are refused unless AllowLinkLocal. Loopback and private
// ranges are allowed (CRMs live there) unless denied. Unspecified and
// multicast addresses are always refused.
type Policy struct {
	DenyLoopback   bool // 127.0.0.0/8, ::1
	DenyPrivate    bool // 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7
	AllowLinkLocal bool // 169.254.0.0/16, fe80::/10
}

// ErrRefusedAddress marks a destination the Policy refuses.
var ErrRefusedAddress = errors.New("webhook: destination address refused")

// URLError is a subscription URL that is malformed or refused.
type URLError struct {
	URL    string
	Reason string
	Err    error // ErrRefusedAddress for refused destinations
	// In names the field that holds the URL; empty: "url".
	In string
}

func (e *URLError) Error() string { return fmt.Sprintf("%s: %s (%q)", e.Field(), e.Reason, e.URL) }

// Unwrap returns the underlying error.
func (e *URLError) Unwrap() error { return e.Err }

// Field names the invalid field.
func (e *URLError) Field() string {
	if e.In == "" {
		return "url"
	}
	return e.In
}

// awsIMDSv6 is the AWS metadata service's IPv6 address (inside fc00::/7).
var awsIMDSv6 = netip.MustParseAddr("fd00:ec2::254")

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Check returns nil if the policy allows connecting to addr, or an error
// wrapping ErrRefusedAddress naming the address class.
func (p Policy) Check(addr netip.Addr) error {
	addr = addr.Unmap()
	class := ""
	switch {
	case !addr.IsValid():
		class = "invalid"
	case addr.IsUnspecified():
		class = "unspecified"
	case addr.IsMulticast() || addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		class = "multicast/broadcast"
	case addr == awsIMDSv6:
		class = "cloud metadata"
	case addr.IsLinkLocalUnicast():
		if !p.AllowLinkLocal {
			class = "link-local (cloud metadata)"
		}
	case addr.IsLoopback():
		if p.DenyLoopback {
			class = "loopback"
		}
	case addr.IsPrivate() || cgnat.Contains(addr):
		if p.DenyPrivate {
			class = "private"
		}
	}
	if class == "" {
		return nil
	}
	return fmt.Errorf("%w: %s is %s", ErrRefusedAddress, addr, class)
}

// Control is a net.Dialer Control hook enforcing the policy on the address
// actually being connected to.
func (p Policy) Control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %q: %v", ErrRefusedAddress, address, err)
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %q is not an IP address", ErrRefusedAddress, host)
	}
	return p.Check(addr)
}

// Resolver looks up a host's addresses (net.DefaultResolver satisfies it).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// MaxURLLength bounds subscription URLs.
const MaxURLLength = 2048

// CheckURL validates a subscription URL: http or https, a host, a valid
// port, and every address the host resolves to allowed by the policy.
func (p Policy) CheckURL(ctx context.Context, r Resolver, raw string) error {
	bad := func(reason string, err error) error { return &URLError{URL: raw, Reason: reason, Err: err} }
	if raw == "" {
		return bad("required", nil)
	}
	if len(raw) > MaxURLLength {
		return bad(fmt.Sprintf("longer than %d bytes", MaxURLLength), nil)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("malformed", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return bad("scheme must be http or https", nil)
	}
	if u.Opaque != "" {
		return bad("malformed", nil)
	}
	host := u.Hostname()
	if host == "" {
		return bad("host required", nil)
	}
	if port := u.Port(); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return bad("port must be 1-65535", nil)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return bad("empty port", nil)
	}
	if u.Fragment != "" {
		return bad("fragment not allowed", nil)
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return bad("zoned addresses not allowed", nil)
		}
		addrs = []netip.Addr{a}
	} else {
		if strings.ContainsAny(host, " %/\\") {
			return bad("malformed host", nil)
		}
		addrs, err = r.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return bad("host does not resolve", err)
		}
		if len(addrs) == 0 {
			return bad("host does not resolve", nil)
		}
	}
	for _, a := range addrs {
		if err := p.Check(a); err != nil {
			return bad("destination refused", err)
		}
	}
	return nil
}
