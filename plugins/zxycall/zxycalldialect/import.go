package zxycalldialect

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"slices"
	"strings"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// Customer is one imported customer (decided: the seed gives no body).
type Customer struct {
	Number    string            `json:"number"`
	Name      string            `json:"name,omitempty"`
	Variables map[string]string `json:"variables,omitempty"`
}

// ImportRejection is one customer not imported; number echoes what was sent.
type ImportRejection struct {
	Index  int    `json:"index"`
	Number string `json:"number"`
	Reason string `json:"reason"`
}

// ImportResult is the data of the import answer.
type ImportResult struct {
	Imported int               `json:"imported"`
	Rejected []ImportRejection `json:"rejected"`
}

// DecodeCustomers reads a JSON array of customers, or CSV (text/csv) whose
// header names number, name and any variables.
func DecodeCustomers(contentType string, body []byte) ([]Customer, *dialect.FieldError) {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(contentType)), "text/csv") {
		return decodeCSV(body)
	}
	var cs []Customer
	if err := json.Unmarshal(body, &cs); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, &dialect.FieldError{Field: te.Field, Reason: "must be a " + te.Type.String()}
		}
		return nil, &dialect.FieldError{Field: "body", Reason: "must be a JSON array of {number, name, variables} or text/csv: " + err.Error()}
	}
	if cs == nil {
		return nil, &dialect.FieldError{Field: "body", Reason: "must be a JSON array of {number, name, variables}"}
	}
	return cs, nil
}

func decodeCSV(body []byte) ([]Customer, *dialect.FieldError) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))))
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return nil, &dialect.FieldError{Field: "body", Reason: "CSV needs a header row with number: " + err.Error()}
	}
	col := -1
	for i, h := range head {
		head[i] = strings.TrimSpace(h)
		if head[i] == "number" {
			col = i
		}
	}
	if col < 0 {
		return nil, &dialect.FieldError{Field: "number", Reason: "CSV header has no number column"}
	}
	var out []Customer
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, &dialect.FieldError{Field: "body", Reason: fmt.Sprintf("CSV line %d: %v", line, err)}
		}
		var c Customer
		for i, v := range rec {
			if i >= len(head) {
				break
			}
			switch head[i] {
			case "number":
				c.Number = strings.TrimSpace(v)
			case "name":
				c.Name = v
			case "":
			default:
				if c.Variables == nil {
					c.Variables = map[string]string{}
				}
				c.Variables[head[i]] = v
			}
		}
		out = append(out, c)
	}
}

func (d *Dialect) importCustomers(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	id := r.PathValue("task_id")
	if _, err := getTask(ctx, host, acct.ID, id); err != nil {
		failErr(w, err)
		return
	}
	body, err := readBody(r)
	if err != nil {
		badParam(w, "body", err.Error())
		return
	}
	cs, fe := DecodeCustomers(r.Header.Get("Content-Type"), body)
	if fe != nil {
		failErr(w, fe)
		return
	}
	res := ImportResult{Rejected: []ImportRejection{}}
	// Customers without a number never reach the host; the rest keep their
	// index in the request.
	var sent []int
	for i, c := range cs {
		if strings.TrimSpace(c.Number) == "" {
			res.Rejected = append(res.Rejected, ImportRejection{Index: i, Number: c.Number, Reason: "no_number"})
			continue
		}
		sent = append(sent, i)
	}
	contacts := func(yield func(dialect.Contact, error) bool) {
		for _, i := range sent {
			c := cs[i]
			if !yield(dialect.Contact{ID: c.Number, Name: c.Name, Numbers: []string{c.Number}, Variables: c.Variables}, nil) {
				return
			}
		}
	}
	out, err := host.ImportContacts(ctx, acct.ID, id, iter.Seq2[dialect.Contact, error](contacts))
	if err != nil {
		failErr(w, err)
		return
	}
	res.Imported = out.Accepted
	for _, rj := range out.Rejected {
		idx, number := rj.Index, rj.Raw
		if rj.Index >= 0 && rj.Index < len(sent) {
			idx = sent[rj.Index]
			number = cs[idx].Number
		}
		res.Rejected = append(res.Rejected, ImportRejection{Index: idx, Number: number, Reason: rj.Reason})
	}
	slices.SortFunc(res.Rejected, func(a, b ImportRejection) int { return cmp.Compare(a.Index, b.Index) })
	success(w, res)
}
