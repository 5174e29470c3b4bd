package webhook_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"testing"

	"github.com/switchboard-cc/switchboard/adapters/bus/webhook"
)

func TestPolicyCheck(t *testing.T) {
	def := webhook.Policy{}
	strict := webhook.Policy{DenyLoopback: true, DenyPrivate: true}
	open := webhook.Policy{AllowLinkLocal: true}
	cases := []struct {
		addr              string
		def, strict, open bool // allowed?
	}{
		{"93.184.216.34", true, true, true},
		{"2606:4700::1111", true, true, true},
		{"127.0.0.1", true, false, true},
		{"::1", true, false, true},
		{"10.1.2.3", true, false, true},
		{"172.16.0.1", true, false, true},
		{"192.168.1.10", true, false, true},
		{"100.64.0.1", true, false, true},
		{"fd12::1", true, false, true},
		{"169.254.169.254", false, false, true},
		{"::ffff:169.254.169.254", false, false, true},
		{"fe80::1", false, false, true},
		{"fd00:ec2::254", false, false, false},
		{"0.0.0.0", false, false, false},
		{"::", false, false, false},
		{"224.0.0.1", false, false, false},
		{"255.255.255.255", false, false, false},
	}
	for _, c := range cases {
		a := netip.MustParseAddr(c.addr)
		for _, p := range []struct {
			name  string
			pol   webhook.Policy
			allow bool
		}{{"default", def, c.def}, {"strict", strict, c.strict}, {"link-local allowed", open, c.open}} {
			err := p.pol.Check(a)
			if (err == nil) != p.allow {
				t.Errorf("%s policy, %s: err = %v, want allowed=%v", p.name, c.addr, err, p.allow)
			}
			if err != nil && !errors.Is(err, webhook.ErrRefusedAddress) {
				t.Errorf("%s: error %v does not wrap ErrRefusedAddress", c.addr, err)
			}
		}
	}
}

func TestCheckURL(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		url     string
		pol     webhook.Policy
		ok      bool
		refused bool
	}{
		{"http://127.0.0.1:8080/hook", webhook.Policy{}, true, false},
		{"https://10.0.0.5/crm?x=1", webhook.Policy{}, true, false},
		{"http://localhost:9/x", webhook.Policy{}, true, false},
		{"http://[::1]:80/", webhook.Policy{}, true, false},
		{"http://localhost:9/x", webhook.Policy{DenyLoopback: true}, false, true},
		{"http://10.0.0.5/", webhook.Policy{DenyPrivate: true}, false, true},
		{"http://169.254.169.254/latest/meta-data/", webhook.Policy{}, false, true},
		{"http://[fe80::1]/", webhook.Policy{}, false, true},
		{"http://[fe80::1%25eth0]/", webhook.Policy{AllowLinkLocal: true}, false, false},
		{"ftp://127.0.0.1/", webhook.Policy{}, false, false},
		{"127.0.0.1:80", webhook.Policy{}, false, false},
		{"http:///nohost", webhook.Policy{}, false, false},
		{"http://127.0.0.1:0/", webhook.Policy{}, false, false},
		{"http://127.0.0.1:99999/", webhook.Policy{}, false, false},
		{"http://127.0.0.1:/", webhook.Policy{}, false, false},
		{"http://127.0.0.1/#frag", webhook.Policy{}, false, false},
		{"http://no-such-host.invalid/", webhook.Policy{}, false, false},
		{"", webhook.Policy{}, false, false},
		{"http://exa mple.com/", webhook.Policy{}, false, false},
	}
	for _, c := range cases {
		err := c.pol.CheckURL(ctx, net.DefaultResolver, c.url)
		if (err == nil) != c.ok {
			t.Errorf("CheckURL(%q) = %v, want ok=%v", c.url, err, c.ok)
			continue
		}
		if err == nil {
			continue
		}
		var ue *webhook.URLError
		if !errors.As(err, &ue) || ue.Field() != "url" {
			t.Errorf("CheckURL(%q) = %T, want *URLError naming url", c.url, err)
		}
		if errors.Is(err, webhook.ErrRefusedAddress) != c.refused {
			t.Errorf("CheckURL(%q) = %v, refused=%v want %v", c.url, err, !c.refused, c.refused)
		}
	}
}

// staticResolver answers every name with fixed addresses, so fuzzing does
// not depend on DNS.
type staticResolver []netip.Addr

func (r staticResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return r, nil
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8080/hook", "https://crm.example/x?y=1", "http://[::ffff:169.254.169.254]/",
		"http://0x7f.1/", "http://[fe80::1%25en0]:80/", "https://user:pw@h:443/p", "http://h:65536/", "javascript:alert(1)", "http://h/#f"} {
		f.Add(s)
	}
	pol := webhook.Policy{DenyPrivate: true}
	res := staticResolver{netip.MustParseAddr("93.184.216.34")}
	f.Fuzz(func(t *testing.T, raw string) {
		err := pol.CheckURL(context.Background(), res, raw)
		if err != nil {
			var ue *webhook.URLError
			if !errors.As(err, &ue) {
				t.Fatalf("error %v is %T, want *URLError", err, err)
			}
			return
		}
		u, perr := url.Parse(raw)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			t.Fatalf("accepted %q: parse=%v scheme=%q", raw, perr, u.Scheme)
		}
		if a, aerr := netip.ParseAddr(u.Hostname()); aerr == nil {
			if pol.Check(a) != nil {
				t.Fatalf("accepted %q whose address %s the policy refuses", raw, a)
			}
		}
	})
}
