package webhook_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/bus/webhook"
)

// The Standard Webhooks specification's test vector.
const (
	specSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTS     = 1614265330
	specBody   = `{"test": 2432232314}`
	specSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignatureMatchesStandardWebhooksVector(t *testing.T) {
	key, err := webhook.ParseSecret(specSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got := webhook.Signature(key, specID, time.Unix(specTS, 0), []byte(specBody)); got != specSig {
		t.Fatalf("signature = %s, want %s", got, specSig)
	}
	ts := time.Unix(specTS, 0)
	if err := webhook.Verify(specSecret, specID, ts, []byte(specBody), "v1,bm90IGl0 "+specSig); err != nil {
		t.Fatalf("verify with the right signature among others: %v", err)
	}
	for name, c := range map[string]struct {
		id   string
		ts   int64
		body string
	}{
		"other id":        {"msg_other", specTS, specBody},
		"other timestamp": {specID, specTS + 1, specBody},
		"other body":      {specID, specTS, `{"test": 2432232315}`},
	} {
		if err := webhook.Verify(specSecret, c.id, time.Unix(c.ts, 0), []byte(c.body), specSig); err == nil {
			t.Errorf("%s: signature verified", name)
		}
	}
}

func TestSecrets(t *testing.T) {
	s := webhook.NewSecret()
	if !strings.HasPrefix(s, "whsec_") {
		t.Fatalf("secret %q", s)
	}
	if k, err := webhook.ParseSecret(s); err != nil || len(k) != 32 {
		t.Fatalf("parse new secret: %d bytes, %v", len(k), err)
	}
	if webhook.NewSecret() == s {
		t.Fatal("two secrets alike")
	}
	for _, bad := range []string{"", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_!!!!", "whsec_c2hvcnQ="} {
		if _, err := webhook.ParseSecret(bad); !errors.Is(err, webhook.ErrBadSecret) {
			t.Errorf("ParseSecret(%q) = %v, want ErrBadSecret", bad, err)
		}
	}
}
