package twin24dialect_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/pluginhost/pluginhosttest"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/plugins/twin24/twin24dialect"
)

func TestParseCPS(t *testing.T) {
	cases := []struct {
		in   string
		want dialer.Rate
		err  string
	}{
		{"1.03", dialer.Rate{Calls: 3, Per: time.Second}, ""},      // the seed: 3 cps
		{"0.4", dialer.Rate{Calls: 1, Per: time.Minute}, ""},       // the seed: one call in 60 s
		{"1.01", dialer.Rate{Calls: 1, Per: time.Second}, ""},      // 1 cps
		{"0.99", dialer.Rate{Calls: 1, Per: time.Second}, ""},      // one call per second, the other way
		{"1.005", dialer.Rate{Calls: 1, Per: 2 * time.Second}, ""}, // half a call per second
		{"1.035", dialer.Rate{Calls: 7, Per: 2 * time.Second}, ""},
		{"3", dialer.Rate{Calls: 200, Per: time.Second}, ""}, // the fastest
		{"2", dialer.Rate{Calls: 100, Per: time.Second}, ""},
		{"0.01", dialer.Rate{Calls: 1, Per: 99 * time.Second}, ""},
		{"1.03e0", dialer.Rate{Calls: 3, Per: time.Second}, ""},
		{"1", dialer.Rate{}, "neither"},
		{"1.0", dialer.Rate{}, "neither"},
		{"0", dialer.Rate{}, "greater than 0"},
		{"-1.03", dialer.Rate{}, "greater than 0"},
		{"3.01", dialer.Rate{}, "at most 200"},
		{"1e400", dialer.Rate{}, "must be a number"},
		{"abc", dialer.Rate{}, "must be a number"},
	}
	for _, c := range cases {
		got, err := twin24dialect.ParseCPS(json.Number(c.in))
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: got %v %v, want error %q", c.in, got, err, c.err)
		case c.err == "" && (err != nil || !sameRate(got, c.want)):
			t.Errorf("%s: got %v %v, want %v", c.in, got, err, c.want)
		}
		if c.err == "" {
			back, err := twin24dialect.ParseCPS(twin24dialect.FormatCPS(got))
			if err != nil || !sameRate(back, got) {
				t.Errorf("%s: FormatCPS %s does not decode back: %v %v", c.in, twin24dialect.FormatCPS(got), back, err)
			}
		}
	}
}

// The seed's example maps onto a campaign the dialer accepts.
func TestSeedExampleIsAValidCampaign(t *testing.T) {
	body, err := os.ReadFile("testdata/create_request.json")
	if err != nil {
		t.Fatal(err)
	}
	a, errs := twin24dialect.DecodeAutoCall(body)
	if errs != nil {
		t.Fatal(errs)
	}
	c, errs := a.Campaign(twin24dialect.CompanyOf(dialect.Account{ID: "acc"}))
	if errs != nil {
		t.Fatal(errs)
	}
	c.ID = "x"
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("the dialer refuses the seed's campaign: %v", err)
	}
}

// Handler behaviour that needs no real host: auth and input errors, in
// process with pluginhosttest.
func TestHandleHTTPInProcess(t *testing.T) {
	host := pluginhosttest.New(pluginhosttest.Config{Credentials: []pluginhosttest.Credential{
		{Account: dialect.Account{ID: "acc"}, Principal: "ops@example.ru", Password: "secret"}}})
	defer host.Close()
	h := dialect.Bind(twin24dialect.New(), host)
	ctx := context.Background()
	do := func(method, path, token, body string) dialect.Response {
		t.Helper()
		req := dialect.Request{Method: method, Path: path, Header: http.Header{}, Body: []byte(body)}
		if i := strings.IndexByte(path, '?'); i >= 0 {
			req.Path = path[:i]
			req.Query = map[string][]string{}
			for _, kv := range strings.Split(path[i+1:], "&") {
				k, v, _ := strings.Cut(kv, "=")
				req.Query[k] = append(req.Query[k], v)
			}
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := h.HandleHTTP(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if err := resp.Validate(); err != nil {
			t.Errorf("invalid response: %v", err)
		}
		return resp
	}
	resp := do("POST", "/api/v1/auth/login", "", `{"email":"ops@example.ru","password":"secret","companyId":"acc"}`)
	var tok struct{ AuthToken, RefreshToken string }
	if err := json.Unmarshal(resp.Body, &tok); resp.Status != 200 || err != nil || tok.AuthToken == "" {
		t.Fatalf("login: %d %s", resp.Status, resp.Body)
	}
	for _, c := range []struct {
		name, method, path, token, body string
		status                          int
		want                            string
	}{
		{"other company", "POST", "/api/v1/auth/login", "", `{"email":"ops@example.ru","password":"secret","companyId":"other"}`, 401,
			`{"error":{"code":401,"message":"the user has no access to this company"}}`},
		{"wrong password", "POST", "/api/v1/auth/login", "", `{"email":"ops@example.ru","password":"nope"}`, 401,
			`{"error":{"code":401,"message":"invalid email or password"}}`},
		{"refresh in the header", "GET", "/api/v1/auth/refresh", tok.RefreshToken, "", 200, ""},
		{"refresh ttl", "GET", "/api/v1/auth/refresh?ttl=x", tok.RefreshToken, "", 422,
			`{"error":{"code":422,"message":"validation failed","fields":{"ttl":"must be a whole number of seconds"}}}`},
		{"page and offset", "GET", "/api/v1/telephony/autoCall?page=2&offset=3", tok.AuthToken, "", 422,
			`{"error":{"code":422,"message":"validation failed","fields":{"page":"give page or offset, not both"}}}`},
		{"empty list", "GET", "/api/v1/telephony/autoCall?page=2&limit=5", tok.AuthToken, "", 200, `{"items":[],"limit":5,"offset":5}`},
		{"two JSON values", "POST", "/api/v1/telephony/autoCall", tok.AuthToken, `{} {}`, 422,
			`{"error":{"code":422,"message":"validation failed","fields":{"body":"must be one JSON object"}}}`},
		{"patch not an object", "PATCH", "/api/v1/telephony/autoCall/1", tok.AuthToken, `[1]`, 422,
			`{"error":{"code":422,"message":"validation failed","fields":{"body":"must be a JSON object"}}}`},
		{"no contacts", "POST", "/api/v1/telephony/autoCall/1/contacts", tok.AuthToken, `{"contacts":[]}`, 422,
			`{"error":{"code":422,"message":"validation failed","fields":{"contacts":"is required: at least one number"}}}`},
	} {
		resp := do(c.method, c.path, c.token, c.body)
		if resp.Status != c.status || c.want != "" && string(resp.Body) != c.want {
			t.Errorf("%s: got %d %s\nwant %d %s", c.name, resp.Status, resp.Body, c.status, c.want)
		}
	}
}

// FuzzDecodeAutoCall: any body gets a campaign or field errors, never a
// panic; a campaign it accepts is one the dialer accepts.
func FuzzDecodeAutoCall(f *testing.F) {
	seed, err := os.ReadFile("testdata/create_request.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"cps":1e999999999,"additionalOptions":{"useTr":true}}`))
	f.Add([]byte(`{"contacts":[{"phone":"89215650644"}]}`))
	co := twin24dialect.CompanyOf(dialect.Account{ID: "acc"})
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _ = twin24dialect.DecodeContacts(body)
		a, errs := twin24dialect.DecodeAutoCall(body)
		if errs != nil {
			if len(errs) == 0 {
				t.Fatal("empty errors")
			}
			return
		}
		c, errs := a.Campaign(co)
		if errs != nil {
			for k, v := range errs {
				if k == "" || v == "" {
					t.Fatalf("unnamed error %q: %q", k, v)
				}
			}
			return
		}
		c.ID = "x"
		c.SetDefaults()
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted %s, but the dialer refuses it: %v", body, err)
		}
	})
}

func sameRate(a, b dialer.Rate) bool { return a.Calls*int64(b.Per) == b.Calls*int64(a.Per) }
