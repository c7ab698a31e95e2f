// check-trace-json reads a trace-event JSON file written by goprof-export (lib/chrome.c)
// with encoding/json, checks its shape and that, per thread, the B/E and X slices nest, and
// prints one line per event for the test case to match:
//
//	tid ph cat name ts [dur]
//
// It exits 1 with a message on the first problem. Used by testsuite/cases/7001.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

type event struct {
	Name string                 `json:"name"`
	Cat  string                 `json:"cat"`
	Ph   string                 `json:"ph"`
	Pid  *float64               `json:"pid"`
	Tid  *float64               `json:"tid"`
	Ts   *json.Number           `json:"ts"`
	Dur  *json.Number           `json:"dur"`
	ID   string                 `json:"id"`
	S    string                 `json:"s"`
	Args map[string]interface{} `json:"args"`
}

type file struct {
	DisplayTimeUnit string          `json:"displayTimeUnit"`
	TraceEvents     []event         `json:"traceEvents"`
	OtherData       json.RawMessage `json:"otherData"`
}

type span struct {
	name       string
	start, end float64
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "check-trace-json: "+format+"\n", args...)
	os.Exit(1)
}

// micros parses a ts or dur: a plain decimal with exactly three decimals.
func micros(n *json.Number, what string, i int) float64 {
	if n == nil {
		fail("event %d has no %s", i, what)
	}
	s := string(*n)
	if dot := strings.IndexByte(s, '.'); dot < 0 || len(s)-dot != 4 {
		fail("event %d: %s %q does not have 3 decimals", i, what, s)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 {
		fail("event %d: bad %s %q", i, what, s)
	}
	return v
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: check-trace-json FILE")
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail("%v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var f file
	if err := dec.Decode(&f); err != nil {
		fail("not valid JSON of the expected shape: %v", err)
	}
	if dec.More() {
		fail("data after the JSON object")
	}
	if f.DisplayTimeUnit != "ns" {
		fail("displayTimeUnit is %q", f.DisplayTimeUnit)
	}
	threadNames := map[float64]string{}
	open := map[float64][]span{}     // B slices not yet ended, per tid
	spans := map[float64][]span{}    // every slice, per tid
	async := map[string]string{}     // open b events: cat/id -> name
	procName := false
	for i, e := range f.TraceEvents {
		if e.Pid == nil || e.Tid == nil || e.Name == "" && e.Ph != "i" || e.Ph == "" {
			fail("event %d lacks name, ph, pid or tid", i)
		}
		tid := *e.Tid
		ts := micros(e.Ts, "ts", i)
		line := fmt.Sprintf("%v %s %s %s %.3f", tid, e.Ph, e.Cat, e.Name, ts)
		switch e.Ph {
		case "M":
			name, _ := e.Args["name"].(string)
			switch e.Name {
			case "process_name":
				procName = name != ""
			case "thread_name":
				if _, dup := threadNames[tid]; dup || name == "" {
					fail("thread_name of tid %v repeated or empty", tid)
				}
				threadNames[tid] = name
				line += " " + name
			}
		case "B":
			open[tid] = append(open[tid], span{e.Name, ts, -1})
		case "E":
			stk := open[tid]
			if len(stk) == 0 {
				fail("event %d: E %q on tid %v without B", i, e.Name, tid)
			}
			b := stk[len(stk)-1]
			if b.name != e.Name || ts < b.start {
				fail("event %d: E %q at %.3f closes B %q at %.3f on tid %v", i, e.Name, ts, b.name, b.start, tid)
			}
			open[tid] = stk[:len(stk)-1]
			spans[tid] = append(spans[tid], span{b.name, b.start, ts})
		case "X":
			d := micros(e.Dur, "dur", i)
			line += fmt.Sprintf(" %.3f", d)
			spans[tid] = append(spans[tid], span{e.Name, ts, ts + d})
		case "b", "e":
			if e.ID == "" {
				fail("event %d: async %s without id", i, e.Ph)
			}
			key := e.Cat + "/" + e.ID
			if e.Ph == "b" {
				if _, dup := async[key]; dup {
					fail("event %d: async id %s begun twice", i, key)
				}
				async[key] = e.Name
			} else {
				if async[key] != e.Name {
					fail("event %d: async end %s %q does not match a begin", i, key, e.Name)
				}
				delete(async, key)
			}
			line += " " + e.ID
		case "i":
			if e.S != "t" && e.S != "p" && e.S != "g" {
				fail("event %d: instant scope %q", i, e.S)
			}
		default:
			fail("event %d: unexpected phase %q", i, e.Ph)
		}
		if e.Ph != "M" {
			if _, ok := threadNames[tid]; !ok {
				fail("event %d on tid %v, which has no thread_name before it", i, tid)
			}
		}
		fmt.Println(line)
	}
	if !procName {
		fail("no process_name")
	}
	for tid, stk := range open {
		if len(stk) > 0 {
			fail("tid %v: B %q never ended", tid, stk[len(stk)-1].name)
		}
	}
	for key := range async {
		fail("async %s never ended", key)
	}
	// Per thread, any two slices are nested or disjoint (touching ends are fine).
	for tid, ss := range spans {
		sort.SliceStable(ss, func(a, b int) bool {
			if ss[a].start != ss[b].start {
				return ss[a].start < ss[b].start
			}
			return ss[a].end > ss[b].end
		})
		var stk []span
		for _, s := range ss {
			for len(stk) > 0 && stk[len(stk)-1].end <= s.start {
				stk = stk[:len(stk)-1]
			}
			if len(stk) > 0 && s.end > stk[len(stk)-1].end {
				p := stk[len(stk)-1]
				fail("tid %v: %q [%.3f, %.3f] overlaps %q [%.3f, %.3f]", tid, s.name, s.start, s.end, p.name, p.start, p.end)
			}
			stk = append(stk, s)
		}
	}
}
