package ari

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	ariv5 "github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"

	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// snoopArg is the Stasis argument of our snoop channels; StasisStart for
// them is not an incoming call.
const snoopArg = "snoop"

// Snoop channels enter Stasis on their own thread, so a record request
// may come before the channel is in the app: it is retried this often, this
// many times.
const (
	recordRetryEvery = 100 * time.Millisecond
	recordRetries    = 20
)

func validRecordingName(name string) error {
	if name == "" || strings.ContainsAny(name, "/\\") || name == "." || name == ".." {
		return &InvalidRequestError{"Name", fmt.Sprintf("%q is not a valid recording name", name)}
	}
	return nil
}

// RecordCall records a call, both directions, until it ends, wherever it
// goes (ARI records only channels in Stasis, and an IVR call leaves it): a
// snoop channel (spy both) on the call enters our app and is recorded;
// Asterisk hangs the snoop channel up when the call ends, which ends the
// recording and stores it as name.
func (a *Adapter) RecordCall(ctx context.Context, id telephony.CallID, name string) error {
	if err := validRecordingName(name); err != nil {
		return err
	}
	srv, err := a.lookup(ctx, id)
	if err != nil {
		return err
	}
	snoopID := string(id) + "-rec"
	if _, err := srv.cli.Channel().Snoop(key(ariv5.ChannelKey, string(id)), snoopID,
		&ariv5.SnoopOptions{App: a.cfg.App, AppArgs: snoopArg, Spy: ariv5.DirectionBoth}); err != nil {
		return reqErr("snoop", err)
	}
	opts := &ariv5.RecordingOptions{Format: a.cfg.RecordingFormat, Exists: "overwrite"}
	for try := 0; ; try++ {
		_, err = srv.cli.Channel().Record(key(ariv5.ChannelKey, snoopID), name, opts)
		code := native.CodeFromError(err)
		if err == nil || try >= recordRetries || (code != http.StatusNotFound && code != http.StatusConflict) {
			break
		}
		t := a.cfg.Clock.NewTimer(recordRetryEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			err = ctx.Err()
		case <-t.C():
			continue
		}
		break
	}
	if err != nil {
		_ = srv.cli.Channel().Hangup(key(ariv5.ChannelKey, snoopID), "normal")
		return reqErr("record call", err)
	}
	return nil
}

// RecordingFile opens the stored recording name (ARI GET
// /recordings/stored/{name}/file) on the first server that has it and
// returns its body and content type; the caller closes it. A name no
// server stores is ErrUnknownRecording.
func (a *Adapter) RecordingFile(ctx context.Context, name string) (io.ReadCloser, string, error) {
	if err := validRecordingName(name); err != nil {
		return nil, "", err
	}
	var errs []error
	for _, srv := range a.servers {
		u := strings.TrimSuffix(srv.cfg.URL, "/") + "/recordings/stored/" + url.PathEscape(name) + "/file"
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, "", reqErr("recording file", err)
		}
		req.SetBasicAuth(srv.cfg.User, srv.cfg.Password)
		// No client timeout: a long recording streams for as long as it takes.
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			errs = append(errs, reqErr("recording file "+srv.cfg.Name, err))
			continue
		}
		if resp.StatusCode == http.StatusOK {
			return resp.Body, resp.Header.Get("Content-Type"), nil
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			errs = append(errs, &RequestError{Op: "recording file " + srv.cfg.Name, Status: resp.StatusCode, Err: errors.New(resp.Status)})
		}
	}
	if len(errs) > 0 {
		return nil, "", errors.Join(errs...)
	}
	return nil, "", fmt.Errorf("%w: %s", ErrUnknownRecording, name)
}
