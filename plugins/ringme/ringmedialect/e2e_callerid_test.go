package ringmedialect_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

// ariCaller is what the Asterisk emulator's ARI shows of a channel.
type ariCaller struct {
	Name   string `json:"name"`
	Caller struct {
		Name   string `json:"name"`
		Number string `json:"number"`
	} `json:"caller"`
}

// watchCallers polls the emulator's ARI channel list until stop is
// closed and returns, per dialled number, the callers its channels showed.
func watchCallers(t *testing.T, ariURL string, numbers []string, stop <-chan struct{}) func() map[string]map[string]bool {
	t.Helper()
	var (
		mu   sync.Mutex
		seen = map[string]map[string]bool{}
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			req, _ := http.NewRequest(http.MethodGet, ariURL+"/channels", nil)
			req.SetBasicAuth("ari", "ari")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				continue
			}
			var chans []ariCaller
			_ = json.NewDecoder(resp.Body).Decode(&chans)
			resp.Body.Close()
			mu.Lock()
			for _, c := range chans {
				for _, n := range numbers {
					if strings.Contains(c.Name, n+"@") {
						if seen[n] == nil {
							seen[n] = map[string]bool{}
						}
						seen[n][fmt.Sprintf("%q <%s>", c.Caller.Name, c.Caller.Number)] = true
					}
				}
			}
			mu.Unlock()
		}
	}()
	return func() map[string]map[string]bool {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return seen
	}
}

// A task's callback_params caller ID through the real service and the
// Asterisk emulator: the channels of its A and B legs present it (the
// other task's present the scheduler's, none); the task and its calls in
// the history read it back; the history list holds both tasks' calls,
// each as GET of its call_uuid answers it.
func TestTaskCallerIDEndToEnd(t *testing.T) {
	e := startE2E(t)
	hooks := newHookServer(t)
	c, _ := e.client()
	emu := e.svc.Emulator()
	numbers := []string{"+79215550021", "+79215550022", "+79215550023", "+79215550024"}
	for _, n := range numbers {
		if err := emu.SetEndpoint("customers", n, asterisk.Behaviour{Result: asterisk.ResultAnswer, RingFor: 2 * time.Second, HangupAfter: 20 * time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	callers := watchCallers(t, emu.ARIURL(), numbers, stop)
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
	}()

	sid := num(t, c.must("POST", "/client/@me/task_scheduler/", `{"name":"cid","concurrent_task_limit":1}`, 201), "id")
	sched := "/client/@me/task_scheduler/" + sid
	created := c.must("POST", sched+"/tasks/", `{"tasks":[
		{"a_number":"89215550021","b_number":"89215550022","url_after":"`+hooks.URL+`/own/after",
		 "callback_params":{"caller_id_name":"Shop","caller_id_number":"+74951112233"}},
		{"a_number":"89215550023","b_number":"89215550024","url_after":"`+hooks.URL+`/none/after"}]}`, 201)
	var tasks []struct {
		ID             json.Number `json:"id"`
		CallbackParams struct {
			Name   *string `json:"caller_id_name"`
			Number *string `json:"caller_id_number"`
		} `json:"callback_params"`
	}
	if err := json.Unmarshal([]byte(created), &tasks); err != nil || len(tasks) != 2 {
		t.Fatalf("created %s: %v", created, err)
	}
	if p := tasks[0].CallbackParams; p.Name == nil || *p.Name != "Shop" || p.Number == nil || *p.Number != "+74951112233" {
		t.Errorf("created task's callback_params: %s", created)
	}
	if p := tasks[1].CallbackParams; p.Name != nil || p.Number != nil {
		t.Errorf("task without a caller id: %s", created)
	}
	c.must("PUT", sched, `{"status":"active"}`, 200)
	for _, p := range []string{"/own/after", "/none/after"} {
		if f := hooks.wait(t, p, 1)[0].Form; f.Get("finish_result") != "success" {
			t.Errorf("%s: %v", p, f)
		}
	}
	close(stop)
	seen := callers()
	for n, want := range map[string]string{
		"+79215550021": `"Shop" <+74951112233>`, "+79215550022": `"Shop" <+74951112233>`,
		"+79215550023": `"" <>`, "+79215550024": `"" <>`,
	} {
		if len(seen[n]) != 1 || !seen[n][want] {
			t.Errorf("channels to %s showed callers %v, want only %s", n, seen[n], want)
		}
	}

	got := object(t, c.must("GET", sched+"/task/"+tasks[0].ID.String(), "", 200))
	p, _ := got["callback_params"].(map[string]any)
	if p["caller_id_name"] != "Shop" || p["caller_id_number"] != "+74951112233" {
		t.Errorf("task read back: %v", got)
	}
	list := c.must("GET", "/client/@me/call_history/?scheduler_id="+sid, "", 200)
	var calls []struct {
		CallUUID string      `json:"call_uuid"`
		TaskID   json.Number `json:"task_id"`
		Legs     []struct {
			Leg      string  `json:"leg"`
			CallerID *string `json:"caller_id"`
		} `json:"legs"`
	}
	if err := json.Unmarshal([]byte(list), &calls); err != nil || len(calls) != 2 {
		t.Fatalf("history list %s: %v", list, err)
	}
	var entries []string
	for _, call := range calls {
		entries = append(entries, c.must("GET", "/client/@me/call_history/"+call.CallUUID, "", 200))
		if len(call.Legs) != 2 {
			t.Errorf("call %s: legs %+v, want A and B", call.CallUUID, call.Legs)
		}
		for _, l := range call.Legs {
			switch own := call.TaskID.String() == tasks[0].ID.String(); {
			case own && (l.CallerID == nil || *l.CallerID != "+74951112233"):
				t.Errorf("task %s leg %s: caller_id %v, want the task's", call.TaskID, l.Leg, l.CallerID)
			case !own && l.CallerID != nil:
				t.Errorf("task %s leg %s: caller_id %q, want none", call.TaskID, l.Leg, *l.CallerID)
			}
		}
	}
	if list != "["+strings.Join(entries, ",")+"]" {
		t.Errorf("history list %s\nwant the calls as GET answers them: %v", list, entries)
	}
}
