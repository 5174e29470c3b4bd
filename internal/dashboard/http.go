package dashboard

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/acd"
)

//go:embed assets
var assets embed.FS

var pages = template.Must(template.ParseFS(assets, "assets/*.html"))

// Paths the dashboard serves besides `/`, `/login` and `/logout`.
const (
	prefix     = "/wallboard/"
	eventsPath = prefix + "events"
)

func (d *Dashboard) routes() {
	static, _ := fs.Sub(assets, "assets")
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", d.page)
	m.HandleFunc("GET /login", d.loginPage)
	m.HandleFunc("POST /login", d.login)
	m.HandleFunc("POST /logout", d.logout)
	m.Handle("GET "+prefix+"assets/", http.StripPrefix(prefix+"assets/", http.FileServerFS(static)))
	m.Handle("GET "+eventsPath, d.admin(http.HandlerFunc(d.stream)))
	m.Handle("GET "+prefix+"snapshot", d.admin(http.HandlerFunc(d.snapshot)))
	m.Handle("POST "+prefix+"agents/{id}/status", d.admin(d.mutation(http.HandlerFunc(d.setAgentStatus))))
	m.Handle("POST "+prefix+"campaigns/{tenant}/{id}/{action}", d.admin(d.mutation(http.HandlerFunc(d.campaignAction))))
	d.mux = m
}

// admin answers 401 to a request without a session.
func (d *Dashboard) admin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !d.auth.valid(r) {
			writeError(w, http.StatusUnauthorized, "login required")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// mutation refuses cross-site requests.
func (d *Dashboard) mutation(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !sameOrigin(r) {
			writeError(w, http.StatusForbidden, "cross-origin request refused")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (d *Dashboard) page(w http.ResponseWriter, r *http.Request) {
	if !d.auth.valid(r) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	d.render(w, http.StatusOK, "index.html", nil)
}

type loginData struct{ Error string }

func (d *Dashboard) loginPage(w http.ResponseWriter, _ *http.Request) {
	d.render(w, http.StatusOK, "login.html", loginData{})
}

func (d *Dashboard) login(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		writeError(w, http.StatusForbidden, "cross-origin request refused")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil || !d.auth.checkPassword(r.PostForm.Get("password")) {
		d.log.Warn("dashboard: failed admin login", "remote", r.RemoteAddr)
		d.render(w, http.StatusUnauthorized, "login.html", loginData{Error: "Wrong password."})
		return
	}
	d.auth.issue(w, r)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (d *Dashboard) logout(w http.ResponseWriter, _ *http.Request) {
	d.auth.clear(w)
	w.Header().Set("Location", "/login")
	w.WriteHeader(http.StatusSeeOther)
}

func (d *Dashboard) render(w http.ResponseWriter, code int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(code)
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		d.log.Warn("dashboard: render", "page", name, "err", err)
	}
}

// ErrStopped: the dashboard's Run is not running.
var ErrStopped = errors.New("dashboard stopped")

// subscribe registers a stream with Run; its first message is a snapshot.
func (d *Dashboard) subscribe(ctx context.Context) (*subscriber, error) {
	req := subscribeReq{reply: make(chan *subscriber, 1)}
	select {
	case d.subs <- req:
	case <-d.done:
		return nil, ErrStopped
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return <-req.reply, nil
}

func (d *Dashboard) unsubscribe(s *subscriber) {
	select {
	case d.unsubs <- s:
	case <-d.done:
	}
}

// Snapshot is the whole board now, as the stream's first message carries it.
func (d *Dashboard) Snapshot(ctx context.Context) (Message, error) {
	reply := make(chan []byte, 1)
	select {
	case d.snaps <- reply:
	case <-d.done:
		return Message{}, ErrStopped
	case <-ctx.Done():
		return Message{}, ctx.Err()
	}
	var m Message
	err := json.Unmarshal(<-reply, &m)
	return m, err
}

func (d *Dashboard) snapshot(w http.ResponseWriter, r *http.Request) {
	m, err := d.Snapshot(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// keepAlive is how often an idle stream carries a comment, so proxies
// keep it open.
const keepAlive = 25 * time.Second

func (d *Dashboard) stream(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	s, err := d.subscribe(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	defer d.unsubscribe(s)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ping := time.NewTicker(keepAlive)
	defer ping.Stop()
	first := true
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
		case b, ok := <-s.ch:
			if !ok {
				return
			}
			name := "delta"
			if first {
				name, first = "snapshot", false
			}
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

type statusRequest struct {
	Status string `json:"status"`
}

func (d *Dashboard) setAgentStatus(w http.ResponseWriter, r *http.Request) {
	id, err := store.ParseACDID(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "agent id: "+err.Error())
		return
	}
	var req statusRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "body: "+err.Error())
		return
	}
	status, err := acd.ParseStatus(req.Status)
	if err != nil {
		writeError(w, http.StatusBadRequest, "status: "+err.Error())
		return
	}
	var (
		tenant string
		rerr   error
	)
	if err := d.cfg.ACD.Read(r.Context(), func(v acd.View, _ time.Time) {
		var info acd.AgentInfo
		info, rerr = v.Agent(store.ACDID(id))
		tenant = info.Config.Tenant
	}); err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	if rerr != nil {
		writeError(w, http.StatusNotFound, rerr.Error())
		return
	}
	if err := d.cfg.Directory.SetAgentStatus(r.Context(), tenant, id, status, "supervisor"); err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, store.ErrNotFound) {
			code = http.StatusNotFound
		}
		writeError(w, code, err.Error())
		return
	}
	d.log.Info("dashboard: supervisor set an agent's status", "tenant", tenant, "agent", id, "status", status)
	writeJSON(w, http.StatusOK, map[string]string{"agent": store.ACDID(id), "status": string(status)})
}

func (d *Dashboard) campaignAction(w http.ResponseWriter, r *http.Request) {
	if d.cfg.Campaigns == nil {
		writeError(w, http.StatusNotFound, "this service runs no campaigns")
		return
	}
	tenant, id := r.PathValue("tenant"), r.PathValue("id")
	var err error
	switch r.PathValue("action") {
	case "start":
		err = d.cfg.Campaigns.StartCampaign(r.Context(), tenant, id)
	case "stop":
		err = d.cfg.Campaigns.StopCampaign(r.Context(), tenant, id)
	default:
		writeError(w, http.StatusNotFound, "action: must be start or stop")
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"campaign": id, "action": r.PathValue("action")})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
