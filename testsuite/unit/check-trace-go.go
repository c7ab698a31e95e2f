// check-trace-go replays a Go 1.19-format execution trace the way `go tool trace` of Go 1.23
// and later opens it, and fails where that tool would refuse the file, panic, or draw less
// than the file says. Only Go 1.19 runs where goprof is tested, and its `go tool trace` has
// the old parser; newer versions convert old files to their own event model first and then
// replay them with stricter rules. This program re-implements those steps, written for
// goprof from reading these Go sources (none is copied):
//
//   - src/internal/trace/internal/oldtrace/parser.go and order.go (Go 1.23, 1.24; the same
//     package is src/internal/trace/internal/tracev1/ from Go 1.25): the file layout rules
//     (events before any batch, length-prefixed bodies of at most 2048 bytes, P ids, strings,
//     stacks), the merge of the per-P batches by goroutine sequence numbers, the time-order
//     check and postProcessTrace's state checks;
//   - src/internal/trace/oldtrace.go (Go 1.23, 1.24; tracev1.go from 1.25) and reader.go: the
//     conversion to the 1.22 model (status events before the first Gomaxprocs, GoSysCall
//     looking ahead for GoSysBlock, GoSysExit to the blocked-syscall end, the thread of a P
//     from its last ProcStart, equal timestamps spread 1 ns apart, the two Sync events);
//   - src/internal/trace/event.go: the state transition each converted event stands for;
//   - src/cmd/trace/gen.go, procgen.go, threadgen.go, goroutinegen.go and gstate.go (Go 1.23
//     to 1.25): the per-P, per-thread and per-goroutine views and the invariants whose
//     failure is a panic ("silently broken trace or generator invariant (startRunningTime !=
//     0) not held", "non-executing goroutine stopped");
//   - src/internal/trace/summary.go: the goroutine summaries, for how blocked system calls
//     are told from running ones.
//
// Beyond what would panic it checks that the per-P view draws, for every goroutine, one
// running slice per time it ran in the file and one blocked "syscall" slice per GoSysBlock,
// and that the summaries count each of those calls that returned (GoSysExit) as blocked. GC, heap and mark-assist
// events, which goprof never writes, are parsed and ordered but not replayed.
//
// The merge takes the Ps in the order of a Go map, which is random; equal timestamps may
// then merge differently. The checker replays the file with the Ps sorted and with -orders
// more shuffled orders (default 4), and fails if any of them fails.
//
// Usage: check-trace-go [-orders N] [-slices] FILE...
//
// It prints "FILE: ok ..." per file and exits 0, or "FILE: <problem>" and exits 1. With
// -slices it also prints each slice of the per-P and per-goroutine views (merged in the
// first order), times in ns since the first event, as in the viewer's JSON:
//
//	slice <P|G> <running|syscall> g=<G> res=<P or G> <start> <duration>
//
// Used by testsuite/trace-lib.sh (trace_check) on every trace the test cases produce.
package main

import (
	"container/heap"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io/ioutil"
	"math"
	"math/rand"
	"os"
	"sort"
	"strings"
)

// Event types of the 1.11–1.21 format.
const (
	evBatch             = 1
	evFrequency         = 2
	evStack             = 3
	evGomaxprocs        = 4
	evProcStart         = 5
	evProcStop          = 6
	evGCStart           = 7
	evGCDone            = 8
	evSTWStart          = 9
	evSTWDone           = 10
	evGCSweepStart      = 11
	evGCSweepDone       = 12
	evGoCreate          = 13
	evGoStart           = 14
	evGoEnd             = 15
	evGoStop            = 16
	evGoSched           = 17
	evGoPreempt         = 18
	evGoSleep           = 19
	evGoBlock           = 20
	evGoUnblock         = 21
	evGoBlockSend       = 22
	evGoBlockRecv       = 23
	evGoBlockSelect     = 24
	evGoBlockSync       = 25
	evGoBlockCond       = 26
	evGoBlockNet        = 27
	evGoSysCall         = 28
	evGoSysExit         = 29
	evGoSysBlock        = 30
	evGoWaiting         = 31
	evGoInSyscall       = 32
	evHeapAlloc         = 33
	evHeapGoal          = 34
	evTimerGoroutine    = 35
	evFutileWakeup      = 36
	evString            = 37
	evGoStartLocal      = 38
	evGoUnblockLocal    = 39
	evGoSysExitLocal    = 40
	evGoStartLabel      = 41
	evGoBlockGC         = 42
	evGCMarkAssistStart = 43
	evGCMarkAssistDone  = 44
	evUserTaskCreate    = 45
	evUserTaskEnd       = 46
	evUserRegion        = 47
	evUserLog           = 48
	evCPUSample         = 49
	evCount             = 50
)

// desc: name, first format version (1.x) with the type, whether the last value is a stack,
// and the number of values after the timestamp, stack excluded.
type desc struct {
	name  string
	since int
	stack bool
	nargs int
}

var descs = [evCount]desc{
	evBatch:             {"Batch", 5, false, 2},
	evFrequency:         {"Frequency", 5, false, 1},
	evStack:             {"Stack", 5, false, 2},
	evGomaxprocs:        {"Gomaxprocs", 5, true, 1},
	evProcStart:         {"ProcStart", 5, false, 1},
	evProcStop:          {"ProcStop", 5, false, 0},
	evGCStart:           {"GCStart", 5, true, 1},
	evGCDone:            {"GCDone", 5, false, 0},
	evSTWStart:          {"GCSTWStart", 5, false, 1},
	evSTWDone:           {"GCSTWDone", 5, false, 0},
	evGCSweepStart:      {"GCSweepStart", 5, true, 0},
	evGCSweepDone:       {"GCSweepDone", 5, false, 2},
	evGoCreate:          {"GoCreate", 5, true, 2},
	evGoStart:           {"GoStart", 5, false, 2},
	evGoEnd:             {"GoEnd", 5, false, 0},
	evGoStop:            {"GoStop", 5, true, 0},
	evGoSched:           {"GoSched", 5, true, 0},
	evGoPreempt:         {"GoPreempt", 5, true, 0},
	evGoSleep:           {"GoSleep", 5, true, 0},
	evGoBlock:           {"GoBlock", 5, true, 0},
	evGoUnblock:         {"GoUnblock", 5, true, 2},
	evGoBlockSend:       {"GoBlockSend", 5, true, 0},
	evGoBlockRecv:       {"GoBlockRecv", 5, true, 0},
	evGoBlockSelect:     {"GoBlockSelect", 5, true, 0},
	evGoBlockSync:       {"GoBlockSync", 5, true, 0},
	evGoBlockCond:       {"GoBlockCond", 5, true, 0},
	evGoBlockNet:        {"GoBlockNet", 5, true, 0},
	evGoSysCall:         {"GoSysCall", 5, true, 0},
	evGoSysExit:         {"GoSysExit", 5, false, 3},
	evGoSysBlock:        {"GoSysBlock", 5, false, 0},
	evGoWaiting:         {"GoWaiting", 5, false, 1},
	evGoInSyscall:       {"GoInSyscall", 5, false, 1},
	evHeapAlloc:         {"HeapAlloc", 5, false, 1},
	evHeapGoal:          {"HeapGoal", 5, false, 1},
	evTimerGoroutine:    {"TimerGoroutine", 5, false, 1},
	evFutileWakeup:      {"FutileWakeup", 5, false, 0},
	evString:            {"String", 7, false, 0},
	evGoStartLocal:      {"GoStartLocal", 7, false, 1},
	evGoUnblockLocal:    {"GoUnblockLocal", 7, true, 1},
	evGoSysExitLocal:    {"GoSysExitLocal", 7, false, 2},
	evGoStartLabel:      {"GoStartLabel", 8, false, 3},
	evGoBlockGC:         {"GoBlockGC", 8, true, 0},
	evGCMarkAssistStart: {"GCMarkAssistStart", 9, true, 0},
	evGCMarkAssistDone:  {"GCMarkAssistDone", 9, false, 0},
	evUserTaskCreate:    {"UserTaskCreate", 11, true, 3},
	evUserTaskEnd:       {"UserTaskEnd", 11, true, 1},
	evUserRegion:        {"UserRegion", 11, true, 3},
	evUserLog:           {"UserLog", 11, true, 2},
	evCPUSample:         {"CPUSample", 19, true, 3},
}

// Pseudo-Ps the parser moves events to.
const (
	timerP   = 1000001
	netpollP = 1000002
	syscallP = 1000003
	profileP = 1000005
)

type event struct {
	ts   int64
	g    uint64
	args [4]uint64
	stk  uint32
	p    int32
	typ  uint8
	off  int
}

func (e *event) String() string {
	return fmt.Sprintf("%s (offset %d, p %d, g %d, time %d)", descs[e.typ].name, e.off, e.p, e.g, e.ts)
}

type batch struct {
	off int
	n   int
}

type parser struct {
	data []byte
	ver  int
	off  int
	// the first pass skips strings: only those inside a batch are read, when it is
	skipStrings bool
	batches     map[int32][]batch
	strings     map[uint64]string
	stacks      map[uint32]int // frame count
	freq        int64
	samples     []event
	// batch state while parsing events
	lastTs int64
	lastG  uint64
	lastP  int32
	lastGs map[int32]uint64
}

var errTimeOrder = errors.New("time stamps out of order")

func (p *parser) val() (uint64, error) {
	v, n := binary.Uvarint(p.data[p.off:])
	if n <= 0 {
		return 0, fmt.Errorf("malformed varint at offset %d", p.off)
	}
	p.off += n
	return v, nil
}

// raw reads one event: its type and values (delta first), and UserLog's message.
func (p *parser) raw() (typ uint8, args []uint64, off int, err error) {
	off = p.off
	b := p.data[p.off]
	p.off++
	typ = b & 0x3f
	narg := int(b>>6) + 1
	if typ == 0 || typ >= evCount || descs[typ].since > p.ver {
		return 0, nil, off, fmt.Errorf("unknown event type %d at offset %d", typ, off)
	}
	switch typ {
	case evString:
		id, err := p.val()
		if err != nil {
			return 0, nil, off, err
		}
		if p.skipStrings {
			n, err := p.val()
			if err != nil {
				return 0, nil, off, err
			}
			if p.off+int(n) > len(p.data) || n > uint64(len(p.data)) {
				return 0, nil, off, fmt.Errorf("string at offset %d runs past the end", off)
			}
			p.off += int(n)
			return typ, nil, off, nil
		}
		if id == 0 {
			return 0, nil, off, fmt.Errorf("string at offset %d has invalid id 0", off)
		}
		if _, dup := p.strings[id]; dup {
			return 0, nil, off, fmt.Errorf("string has duplicate id %d", id)
		}
		n, err := p.val()
		if err != nil {
			return 0, nil, off, err
		}
		if n == 0 || n > 1e6 || p.off+int(n) > len(p.data) {
			return 0, nil, off, fmt.Errorf("string at offset %d has invalid length %d", off, n)
		}
		p.strings[id] = string(p.data[p.off : p.off+int(n)])
		p.off += int(n)
		return typ, nil, off, nil
	case evBatch:
		if narg != 2 {
			return 0, nil, off, fmt.Errorf("EvBatch has wrong number of arguments at offset %d", off)
		}
	}
	if narg <= 3 {
		for i := 0; i < narg; i++ {
			v, err := p.val()
			if err != nil {
				return 0, nil, off, err
			}
			args = append(args, v)
		}
	} else {
		n, err := p.val()
		if err != nil {
			return 0, nil, off, err
		}
		if n > 2048 {
			return 0, nil, off, fmt.Errorf("event %s at offset %d: length-prefixed argument too big: %d bytes, limit is 2048", descs[typ].name, off, n)
		}
		end := p.off + int(n)
		if end > len(p.data) {
			return 0, nil, off, fmt.Errorf("event at offset %d runs past the end", off)
		}
		for p.off < end {
			v, err := p.val()
			if err != nil {
				return 0, nil, off, err
			}
			args = append(args, v)
		}
		if p.off != end {
			return 0, nil, off, fmt.Errorf("malformed varint in event at offset %d", off)
		}
		if typ == evUserLog {
			n, err := p.val()
			if err != nil {
				return 0, nil, off, err
			}
			if n > 1e6 || p.off+int(n) > len(p.data) {
				return 0, nil, off, fmt.Errorf("log message at offset %d too long", off)
			}
			p.off += int(n)
		}
	}
	return typ, args, off, nil
}

// argCount is the number of values an event must have (its timestamp delta included).
func argCount(typ uint8, args []uint64) int {
	d := descs[typ]
	if typ == evStack {
		return len(args)
	}
	n := d.nargs
	if d.stack {
		n++
	}
	if typ == evBatch || typ == evFrequency || typ == evTimerGoroutine {
		return n
	}
	return n + 1
}

// collect is the first pass: batch offsets, CPU samples and the layout rules.
func (p *parser) collect() error {
	var cur int32
	p.off = 16
	p.skipStrings = true
	defer func() { p.skipStrings = false }()
	for p.off < len(p.data) {
		typ, args, off, err := p.raw()
		if err != nil {
			return err
		}
		if typ == evString {
			continue
		}
		if typ == evBatch {
			pid := args[0]
			if pid != math.MaxUint64 && pid > math.MaxInt32 {
				return fmt.Errorf("processor ID %d at offset %d is larger than maximum of %d", pid, off, math.MaxInt32)
			}
			cur = int32(pid)
			if pid == math.MaxUint64 {
				cur = -1
			}
			p.batches[cur] = append(p.batches[cur], batch{off: off})
		}
		bs := p.batches[cur]
		if len(bs) == 0 {
			return fmt.Errorf("read event %d at offset %d with current P of %d, but P has no batches yet", typ, off, cur)
		}
		bs[len(bs)-1].n++
		if typ == evCPUSample {
			if len(args) != argCount(typ, args) {
				return fmt.Errorf("CPU sample at offset %d has wrong number of arguments", off)
			}
			e := event{typ: typ, off: off, ts: int64(args[1]), p: int32(args[2]), g: args[3],
				stk: uint32(args[4])}
			p.samples = append(p.samples, e)
		}
	}
	return nil
}

// parse turns one raw event into an event of the current batch; ok is false for the
// events that are not timed (strings, stacks, the frequency, batches).
func (p *parser) parse(typ uint8, args []uint64, off int) (ev event, ok bool, err error) {
	d := descs[typ]
	if len(args) != argCount(typ, args) {
		return ev, false, fmt.Errorf("%s at offset %d has wrong number of arguments: want %d, got %d", d.name, off, argCount(typ, args), len(args))
	}
	switch typ {
	case evBatch:
		p.lastGs[p.lastP] = p.lastG
		p.lastP = int32(args[0])
		if args[0] == math.MaxUint64 {
			p.lastP = -1
		}
		p.lastG = p.lastGs[p.lastP]
		p.lastTs = int64(args[1])
		return ev, false, nil
	case evFrequency:
		p.freq = int64(args[0])
		if p.freq <= 0 {
			return ev, false, errTimeOrder
		}
		return ev, false, nil
	case evTimerGoroutine, evCPUSample:
		return ev, false, nil
	case evStack:
		if len(args) < 2 {
			return ev, false, fmt.Errorf("EvStack at offset %d is too short", off)
		}
		n := args[1]
		if n > 1000 {
			return ev, false, fmt.Errorf("EvStack at offset %d has bad number of frames: %d", off, n)
		}
		if uint64(len(args)) != 2+4*n {
			return ev, false, fmt.Errorf("EvStack at offset %d has wrong number of arguments", off)
		}
		if args[0] != 0 && n > 0 {
			p.stacks[uint32(args[0])] = int(n)
		}
		return ev, false, nil
	}
	ev = event{typ: typ, p: p.lastP, g: p.lastG, off: off}
	ev.ts = p.lastTs + int64(args[0])
	p.lastTs = ev.ts
	for i := 1; i < len(args); i++ {
		if i == len(args)-1 && d.stack {
			ev.stk = uint32(args[i])
		} else {
			ev.args[i-1] = args[i]
		}
	}
	switch typ {
	case evGoStart, evGoStartLocal, evGoStartLabel:
		p.lastG = ev.args[0]
		ev.g = p.lastG
	case evGoEnd, evGoStop, evGoSched, evGoPreempt, evGoSleep, evGoBlock, evGoBlockSend,
		evGoBlockRecv, evGoBlockSelect, evGoBlockSync, evGoBlockCond, evGoBlockNet,
		evGoSysBlock, evGoBlockGC:
		p.lastG = 0
	case evGoSysExit, evGoWaiting, evGoInSyscall:
		ev.g = ev.args[0]
	}
	return ev, true, nil
}

// load reads the next batch of P pid.
func (p *parser) load(pid int32) ([]event, bool, error) {
	bs := p.batches[pid]
	if len(bs) == 0 {
		return nil, false, nil
	}
	p.batches[pid] = bs[1:]
	p.off = bs[0].off
	var evs []event
	header := false
	for p.off < len(p.data) {
		save := p.off
		typ, args, off, err := p.raw()
		if err != nil {
			return nil, false, err
		}
		if typ == evString || typ == evCPUSample {
			continue
		}
		if typ == evBatch {
			if header {
				p.off = save
				break
			}
			header = true
		}
		ev, ok, err := p.parse(typ, args, off)
		if err != nil {
			return nil, false, err
		}
		if ok {
			evs = append(evs, ev)
		}
	}
	return evs, true, nil
}

// Sequence-number ordering of goroutine events (order.go).
const (
	gDead = iota
	gRunnable
	gRunning
	gWaiting
)

const (
	unordered = ^uint64(0)
	garbage   = ^uint64(0) - 1
	noseq     = ^uint64(0)
	seqinc    = ^uint64(0) - 1
)

type gstate struct {
	seq    uint64
	status int
}

func transitionOf(ev *event) (g uint64, init, next gstate) {
	switch ev.typ {
	case evGoCreate:
		return ev.args[0], gstate{0, gDead}, gstate{1, gRunnable}
	case evGoWaiting, evGoInSyscall:
		return ev.g, gstate{1, gRunnable}, gstate{2, gWaiting}
	case evGoStart, evGoStartLabel:
		return ev.g, gstate{ev.args[1], gRunnable}, gstate{ev.args[1] + 1, gRunning}
	case evGoStartLocal:
		return ev.g, gstate{noseq, gRunnable}, gstate{seqinc, gRunning}
	case evGoBlock, evGoBlockSend, evGoBlockRecv, evGoBlockSelect, evGoBlockSync,
		evGoBlockCond, evGoBlockNet, evGoSleep, evGoSysBlock, evGoBlockGC:
		return ev.g, gstate{noseq, gRunning}, gstate{noseq, gWaiting}
	case evGoSched, evGoPreempt:
		return ev.g, gstate{noseq, gRunning}, gstate{noseq, gRunnable}
	case evGoUnblock, evGoSysExit:
		return ev.args[0], gstate{ev.args[1], gWaiting}, gstate{ev.args[1] + 1, gRunnable}
	case evGoUnblockLocal, evGoSysExitLocal:
		return ev.args[0], gstate{noseq, gWaiting}, gstate{seqinc, gRunnable}
	case evGCStart:
		return garbage, gstate{ev.args[0], gDead}, gstate{ev.args[0] + 1, gDead}
	}
	return unordered, gstate{}, gstate{}
}

func ready(g uint64, cur, init gstate) bool {
	return g == unordered || (init.seq == noseq || init.seq == cur.seq) && init.status == cur.status
}

type proc struct {
	pid    int32
	events []event
	done   bool
}

type frontierEv struct {
	ev   event
	proc *proc
}

type frontier []frontierEv

func (h frontier) Len() int            { return len(h) }
func (h frontier) Less(i, j int) bool  { return h[i].ev.ts < h[j].ev.ts }
func (h frontier) Swap(i, j int)       { h[i], h[j] = h[j], h[i] }
func (h *frontier) Push(x interface{}) { *h = append(*h, x.(frontierEv)) }
func (h *frontier) Pop() interface{} {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// merge orders the batches into one stream; order > 0 shuffles the Ps first.
func (p *parser) merge(order int) ([]event, error) {
	var pids []int
	for pid := range p.batches {
		pids = append(pids, int(pid))
	}
	sort.Ints(pids)
	if order > 0 {
		r := rand.New(rand.NewSource(int64(order)))
		r.Shuffle(len(pids), func(i, j int) { pids[i], pids[j] = pids[j], pids[i] })
	}
	samples := append([]event(nil), p.samples...)
	sort.SliceStable(samples, func(i, j int) bool { return samples[i].ts < samples[j].ts })
	all := make([]proc, 0, len(pids)+1)
	for _, pid := range pids {
		all = append(all, proc{pid: int32(pid)})
	}
	all = append(all, proc{pid: profileP, events: samples})
	avail := make([]*proc, len(all))
	for i := range all {
		avail[i] = &all[i]
	}
	gs := make(map[uint64]gstate)
	var front frontier
	var out []event
	for {
	procs:
		for i := 0; i < len(avail); i++ {
			pr := avail[i]
			for len(pr.events) == 0 {
				if pr.pid == profileP {
					pr.done = true
				} else {
					evs, ok, err := p.load(pr.pid)
					if err != nil {
						return nil, err
					}
					if ok {
						pr.events = evs
						continue
					}
					pr.done = true
				}
				avail[i] = avail[len(avail)-1]
				avail = avail[:len(avail)-1]
				i--
				continue procs
			}
			ev := &pr.events[0]
			g, init, _ := transitionOf(ev)
			if !ready(g, gs[g], init) {
				continue
			}
			pr.events = pr.events[1:]
			avail[i] = avail[len(avail)-1]
			avail = avail[:len(avail)-1]
			heap.Push(&front, frontierEv{*ev, pr})
			i--
		}
		if len(front) == 0 {
			for i := range all {
				if !all[i].done {
					return nil, fmt.Errorf("no consistent ordering of events possible")
				}
			}
			break
		}
		f := heap.Pop(&front).(frontierEv)
		g, init, next := transitionOf(&f.ev)
		switch f.ev.typ {
		case evGoStartLocal:
			f.ev.typ = evGoStart
		case evGoUnblockLocal:
			f.ev.typ = evGoUnblock
		case evGoSysExitLocal:
			f.ev.typ = evGoSysExit
		}
		out = append(out, f.ev)
		if g != unordered {
			cur := gs[g]
			if !ready(g, cur, init) {
				return nil, errors.New("encountered impossible goroutine state transition")
			}
			switch next.seq {
			case noseq:
				next.seq = cur.seq
			case seqinc:
				next.seq = cur.seq + 1
			}
			gs[g] = next
		}
		avail = append(avail, f.proc)
	}
	for i := 1; i < len(out); i++ {
		if out[i].ts < out[i-1].ts {
			return nil, fmt.Errorf("%v: %v merged after %v", errTimeOrder, &out[i], &out[i-1])
		}
	}
	lastBlock := make(map[uint64]int64)
	for i := range out {
		ev := &out[i]
		switch ev.typ {
		case evGoSysBlock, evGoInSyscall:
			lastBlock[ev.g] = ev.ts
		case evGoSysExit:
			ts := int64(ev.args[2])
			if ts == 0 {
				continue
			}
			block, ok := lastBlock[ev.g]
			if !ok || block == 0 {
				return nil, fmt.Errorf("stray syscall exit")
			}
			if ts < block {
				return nil, errTimeOrder
			}
			ev.ts = ts
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ts < out[j].ts })
	return out, nil
}

// post is postProcessTrace: the state checks after ordering.
func (p *parser) post(events []event) error {
	type gdesc struct {
		state  int
		last   *event
		create *event
	}
	type pdesc struct {
		running bool
		g       uint64
	}
	gs := map[uint64]*gdesc{0: {state: gRunning}}
	ps := make(map[int32]*pdesc)
	getP := func(id int32) *pdesc {
		if ps[id] == nil {
			ps[id] = &pdesc{}
		}
		return ps[id]
	}
	getG := func(id uint64) *gdesc {
		if gs[id] == nil {
			gs[id] = &gdesc{}
		}
		return gs[id]
	}
	tasks := make(map[uint64]bool)
	regions := make(map[uint64][]*event)
	running := func(pd *pdesc, g *gdesc, ev *event, allowG0 bool) error {
		name := descs[ev.typ].name
		if g.state != gRunning {
			return fmt.Errorf("g %d is not running while %s (time %d)", ev.g, name, ev.ts)
		}
		if pd.g != ev.g {
			return fmt.Errorf("p %d is not running g %d while %s (time %d)", ev.p, ev.g, name, ev.ts)
		}
		if !allowG0 && ev.g == 0 {
			return fmt.Errorf("g 0 did %s (time %d)", name, ev.ts)
		}
		return nil
	}
	for i := range events {
		ev := &events[i]
		switch ev.typ {
		case evProcStart:
			pd := getP(ev.p)
			if pd.running {
				return fmt.Errorf("p %d is running before start (time %d)", ev.p, ev.ts)
			}
			pd.running = true
		case evProcStop:
			pd := getP(ev.p)
			if !pd.running {
				return fmt.Errorf("p %d is not running before stop (time %d)", ev.p, ev.ts)
			}
			if pd.g != 0 {
				return fmt.Errorf("p %d is running a goroutine %d during stop (time %d)", ev.p, pd.g, ev.ts)
			}
			pd.running = false
		case evGoWaiting, evGoInSyscall:
			g := getG(ev.g)
			if g.state != gRunnable {
				return fmt.Errorf("g %d is not runnable before %s (time %d)", ev.g, descs[ev.typ].name, ev.ts)
			}
			g.state = gWaiting
			g.last = ev
		case evGoCreate:
			if err := running(getP(ev.p), getG(ev.g), ev, true); err != nil {
				return err
			}
			if _, ok := gs[ev.args[0]]; ok {
				return fmt.Errorf("g %d already exists (time %d)", ev.args[0], ev.ts)
			}
			gs[ev.args[0]] = &gdesc{state: gRunnable, last: ev, create: ev}
		case evGoStart, evGoStartLabel:
			g, pd := getG(ev.g), getP(ev.p)
			if g.state != gRunnable {
				return fmt.Errorf("g %d is not runnable before start (time %d)", ev.g, ev.ts)
			}
			if pd.g != 0 {
				return fmt.Errorf("p %d is already running g %d while start g %d (time %d)", ev.p, pd.g, ev.g, ev.ts)
			}
			g.state = gRunning
			pd.g = ev.g
			if g.create != nil {
				ev.stk = uint32(g.create.args[1])
				g.create = nil
			}
			g.last = nil
		case evGoEnd, evGoStop:
			g, pd := getG(ev.g), getP(ev.p)
			if err := running(pd, g, ev, false); err != nil {
				return err
			}
			g.state = gDead
			pd.g = 0
			if ev.typ == evGoEnd {
				delete(regions, ev.g)
			}
		case evGoSched, evGoPreempt:
			g, pd := getG(ev.g), getP(ev.p)
			if err := running(pd, g, ev, false); err != nil {
				return err
			}
			g.state = gRunnable
			pd.g = 0
			g.last = ev
		case evGoUnblock:
			g, pd := getG(ev.g), getP(ev.p)
			if g.state != gRunning {
				return fmt.Errorf("g %d is not running while unpark (time %d)", ev.g, ev.ts)
			}
			if ev.p != timerP && pd.g != ev.g {
				return fmt.Errorf("p %d is not running g %d while unpark (time %d)", ev.p, ev.g, ev.ts)
			}
			g1 := getG(ev.args[0])
			if g1.state != gWaiting {
				return fmt.Errorf("g %d is not waiting before unpark (time %d)", ev.args[0], ev.ts)
			}
			if g1.last != nil && g1.last.typ == evGoBlockNet {
				ev.p = netpollP
			}
			g1.state = gRunnable
			g1.last = ev
		case evGoSysCall:
			g := getG(ev.g)
			if err := running(getP(ev.p), g, ev, false); err != nil {
				return err
			}
			g.last = ev
		case evGoSysBlock:
			g, pd := getG(ev.g), getP(ev.p)
			if err := running(pd, g, ev, false); err != nil {
				return err
			}
			g.state = gWaiting
			pd.g = 0
		case evGoSysExit:
			g := getG(ev.g)
			if g.state != gWaiting {
				return fmt.Errorf("g %d is not waiting during syscall exit (time %d)", ev.g, ev.ts)
			}
			g.state = gRunnable
			g.last = ev
		case evGoSleep, evGoBlock, evGoBlockSend, evGoBlockRecv, evGoBlockSelect,
			evGoBlockSync, evGoBlockCond, evGoBlockNet, evGoBlockGC:
			g, pd := getG(ev.g), getP(ev.p)
			if err := running(pd, g, ev, false); err != nil {
				return err
			}
			g.state = gWaiting
			g.last = ev
			pd.g = 0
		case evUserTaskCreate:
			if tasks[ev.args[0]] {
				return fmt.Errorf("task id conflicts (id:%d)", ev.args[0])
			}
			tasks[ev.args[0]] = true
		case evUserTaskEnd:
			delete(tasks, ev.args[0])
		case evUserRegion:
			rs := regions[ev.g]
			switch ev.args[1] {
			case 0:
				regions[ev.g] = append(rs, ev)
			case 1:
				if n := len(rs); n > 0 {
					s := rs[n-1]
					if s.args[0] != ev.args[0] || s.args[2] != ev.args[2] {
						return fmt.Errorf("misuse of region in goroutine %d: end %v when the innermost open one is %v", ev.g, ev, s)
					}
					regions[ev.g] = rs[:n-1]
				}
			default:
				return fmt.Errorf("invalid user region mode: %v", ev)
			}
		}
		if ev.stk != 0 && p.stacks[ev.stk] == 0 {
			ev.stk = 0
		}
	}
	return nil
}

// The 1.22 model (internal/trace/event.go, resources.go).
const (
	goUndetermined = iota
	goNotExist
	goRunnable
	goRunning
	goWaiting
	goSyscall
)

const (
	procUndetermined = iota
	procRunning
	procIdle
)

var goStateName = []string{"Undetermined", "NotExist", "Runnable", "Running", "Waiting", "Syscall"}

func goExecuting(s int) bool { return s == goRunning || s == goSyscall }

const none = -1 // NoGoroutine, NoProc, NoThread, and the viewer's noResource

const (
	kSync = iota
	kGo   // goroutine state transition
	kProc // proc state transition
	kOther
	kRegionBegin
	kRegionEnd
)

// cev is a converted event: what the viewer and the summaries look at.
type cev struct {
	time     int64
	kind     int
	g, p, m  int64 // the event's context
	res      int64 // kGo: the goroutine; kProc: the P
	from, to int
	reason   string
	old      *event
}

func ctxG(g uint64) int64 {
	if g == 0 {
		return none
	}
	return int64(g)
}

// convert is the old-to-new conversion (oldtrace.go / tracev1.go) and reader.go's Syncs.
func convert(events []event) ([]cev, error) {
	var out []cev
	preInit := true
	createdPreInit := make(map[uint64]bool)
	seenProcs := make(map[int32]bool)
	procMs := make(map[int32]int64)
	lastTs := int64(-1)
	push := func(c cev) {
		if c.time <= lastTs {
			c.time = lastTs + 1
		}
		lastTs = c.time
		out = append(out, c)
	}
	if len(events) > 0 {
		out = append(out, cev{time: events[0].ts - 1, kind: kSync, g: none, p: none, m: none})
	}
	reasons := map[uint8]string{
		evGoStop: "forever", evGoSleep: "sleep", evGoBlock: "", evGoBlockSend: "chan send",
		evGoBlockRecv: "chan receive", evGoBlockSelect: "select", evGoBlockSync: "sync",
		evGoBlockCond: "sync.(*Cond).Wait", evGoBlockNet: "network",
		evGoBlockGC: "GC mark assist wait for work",
	}
	for i := range events {
		ev := &events[i]
		c := cev{time: ev.ts, kind: kOther, g: ctxG(ev.g), p: int64(ev.p), m: none, old: ev}
		if ev.p != -1 && ev.typ != evCPUSample {
			if m, ok := procMs[ev.p]; ok {
				c.m = m
			}
		}
		gt := func(res uint64, from, to int) {
			c.kind, c.res, c.from, c.to = kGo, int64(res), from, to
		}
		switch ev.typ {
		case evGomaxprocs:
			if preInit {
				preInit = false
				var gids []uint64
				for g := range createdPreInit {
					gids = append(gids, g)
				}
				sort.Slice(gids, func(i, j int) bool { return gids[i] < gids[j] })
				for _, g := range gids {
					push(cev{time: ev.ts, kind: kGo, g: none, p: none, m: none, res: int64(g),
						from: goUndetermined, to: goRunnable})
				}
				createdPreInit = nil
				continue
			}
		case evProcStart:
			procMs[ev.p] = int64(ev.args[0])
			c.m = int64(ev.args[0])
			c.kind, c.res, c.from, c.to = kProc, int64(ev.p), procIdle, procRunning
			if !seenProcs[ev.p] {
				seenProcs[ev.p] = true
				c.from = procUndetermined
			}
		case evProcStop:
			c.kind, c.res, c.from, c.to = kProc, int64(ev.p), procRunning, procIdle
			if !seenProcs[ev.p] {
				seenProcs[ev.p] = true
				c.from = procUndetermined
			}
			delete(procMs, ev.p)
		case evGoCreate:
			if preInit {
				createdPreInit[ev.args[0]] = true
				continue
			}
			gt(ev.args[0], goNotExist, goRunnable)
		case evGoStart, evGoStartLabel:
			if preInit {
				gt(ev.args[0], goUndetermined, goRunning)
				delete(createdPreInit, ev.args[0])
			} else {
				gt(ev.args[0], goRunnable, goRunning)
			}
		case evGoEnd:
			gt(ev.g, goRunning, goNotExist)
		case evGoSched, evGoPreempt:
			gt(ev.g, goRunning, goRunnable)
		case evGoStop, evGoSleep, evGoBlock, evGoBlockSend, evGoBlockRecv, evGoBlockSelect,
			evGoBlockSync, evGoBlockCond, evGoBlockNet, evGoBlockGC:
			gt(ev.g, goRunning, goWaiting)
			c.reason = reasons[ev.typ]
		case evGoUnblock:
			gt(ev.args[0], goWaiting, goRunnable)
		case evGoSysCall:
			blocked := false
			for k := i + 1; k < len(events); k++ {
				if events[k].g != ev.g {
					continue
				}
				blocked = events[k].typ == evGoSysBlock
				break
			}
			gt(ev.g, goRunning, goSyscall)
			if !blocked {
				push(c)
				c2 := c
				c2.time = ev.ts + 1
				c2.from, c2.to = goSyscall, goRunning
				push(c2)
				continue
			}
		case evGoSysExit:
			gt(ev.g, goSyscall, goRunnable)
		case evGoSysBlock:
			continue
		case evGoWaiting:
			gt(ev.args[0], goUndetermined, goWaiting)
			delete(createdPreInit, ev.args[0])
		case evGoInSyscall:
			gt(ev.args[0], goUndetermined, goSyscall)
			delete(createdPreInit, ev.args[0])
		case evUserRegion:
			switch ev.args[1] {
			case 0:
				c.kind = kRegionBegin
			case 1:
				c.kind = kRegionEnd
			}
		case evGCStart, evGCDone, evSTWStart, evSTWDone, evGCSweepStart, evGCSweepDone,
			evHeapAlloc, evHeapGoal, evGCMarkAssistStart, evGCMarkAssistDone,
			evUserTaskCreate, evUserTaskEnd, evUserLog, evCPUSample:
		default:
			return nil, fmt.Errorf("unexpected event type %s", descs[ev.typ].name)
		}
		push(c)
	}
	out = append(out, cev{time: lastTs + 1, kind: kSync, g: none, p: none, m: none})
	return out, nil
}

// A slice the viewer draws.
type slice struct {
	name       string // "running" or "syscall"
	g          int64
	res        int64
	start, end int64
	blocked    bool
}

// viewG is gstate.go's goroutine state for one view (resource = P, thread or goroutine).
type viewG struct {
	id               int64
	executing        int64
	startRunningTime int64
	sys              struct {
		time   int64
		active bool
	}
	completed []slice
}

type view struct {
	name      string
	gs        map[int64]*viewG
	inSyscall map[int64]*viewG
	slices    []slice
	start     int64
	end       int64
	err       error
}

func newView(name string, start, end int64) *view {
	return &view{name: name, gs: make(map[int64]*viewG), inSyscall: make(map[int64]*viewG),
		start: start, end: end}
}

func (v *view) g(id int64) *viewG {
	g := v.gs[id]
	if g == nil {
		g = &viewG{id: id, executing: none}
		v.gs[id] = g
	}
	return g
}

func (v *view) panicf(format string, args ...interface{}) {
	if v.err == nil {
		v.err = fmt.Errorf("go tool trace (Go >= 1.23) would panic in its %s view: %s", v.name, fmt.Sprintf(format, args...))
	}
}

func (v *view) startG(g *viewG, ts, res int64) {
	g.executing = res
	g.startRunningTime = ts
}

func (v *view) syscallBegin(g *viewG, ts, res int64) {
	g.sys.time, g.sys.active = ts, true
	if g.executing == none {
		g.executing = res
		g.startRunningTime = ts
	}
}

func (v *view) syscallEnd(g *viewG, ts int64, blocked bool) {
	if !g.sys.active {
		return
	}
	g.completed = append(g.completed, slice{name: "syscall", g: g.id, start: g.sys.time, end: ts, blocked: blocked})
	g.sys.active = false
	g.sys.time = 0
}

func (v *view) stop(g *viewG, ts int64, at *cev) {
	if g.startRunningTime == 0 {
		v.panicf("silently broken trace or generator invariant (startRunningTime != 0) not held: G%d stops at %d ns (%s)", g.id, ts, where(at))
		return
	}
	if g.executing == none {
		v.panicf("non-executing goroutine stopped: G%d at %d ns (%s)", g.id, ts, where(at))
		return
	}
	v.slices = append(v.slices, slice{name: "running", g: g.id, res: g.executing, start: g.startRunningTime, end: ts})
	for _, s := range g.completed {
		s.res = g.executing
		v.slices = append(v.slices, s)
	}
	g.completed = g.completed[:0]
	g.startRunningTime = 0
	g.executing = none
}

func where(c *cev) string {
	if c == nil {
		return "at the end of the trace"
	}
	if c.old == nil {
		return "a status event of the conversion"
	}
	return "at " + c.old.String()
}

func (v *view) finish() {
	for _, id := range sortedIDs(v.gs) {
		g := v.gs[id]
		if g.executing != none {
			v.syscallEnd(g, v.end, false)
			v.stop(g, v.end, nil)
		}
	}
}

func sortedIDs(m map[int64]*viewG) []int64 {
	var ids []int64
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// procView is procgen.go.
func (v *view) procView(c *cev) {
	switch c.kind {
	case kGo:
		g := v.g(c.res)
		from, to := c.from, c.to
		if from == to {
			return
		}
		if from == goRunning && !goExecuting(to) {
			v.stop(g, c.time, c)
		}
		if !goExecuting(from) && to == goRunning {
			start := c.time
			if from == goUndetermined {
				start = v.start
			}
			v.startG(g, start, c.p)
		}
		if to == goSyscall && c.p != none {
			start := c.time
			if from == goUndetermined {
				start = v.start
			}
			v.syscallBegin(g, start, c.p)
			v.inSyscall[c.p] = g
		}
		_, didNotBlock := v.inSyscall[c.p]
		if from == goSyscall && didNotBlock {
			v.syscallEnd(g, c.time, false)
			delete(v.inSyscall, c.p)
		}
	case kProc:
		if c.from == c.to {
			return
		}
		if c.from == procRunning {
			if g, ok := v.inSyscall[c.res]; ok {
				v.syscallEnd(g, c.time, true)
				v.stop(g, c.time, c)
				delete(v.inSyscall, c.res)
			}
		}
	}
}

// threadView is threadgen.go; goroutineView is goroutinegen.go.
func (v *view) otherView(c *cev, byThread bool) {
	if c.kind != kGo || c.from == c.to {
		return
	}
	g := v.g(c.res)
	res := c.res
	if byThread {
		res = c.m
	}
	from, to := c.from, c.to
	if goExecuting(from) && !goExecuting(to) {
		v.stop(g, c.time, c)
	}
	if !goExecuting(from) && goExecuting(to) {
		start := c.time
		if from == goUndetermined {
			start = v.start
		}
		v.startG(g, start, res)
	}
	if from == goSyscall {
		v.syscallEnd(g, c.time, to != goRunning)
	}
	if to == goSyscall {
		start := c.time
		if from == goUndetermined {
			start = v.start
		}
		v.syscallBegin(g, start, res)
	}
}

// summarize is summary.go's accounting of system calls: the calls it counts as blocked, per
// goroutine, and the goroutines it would dereference before creating them.
func summarize(cevs []cev) (map[int64]int, error) {
	type sum struct{ sysStart, sysBlock int64 }
	gs := make(map[int64]*sum)
	syscallingP := make(map[int64]int64)
	syscallingG := make(map[int64]int64)
	blocked := make(map[int64]int)
	for i := range cevs {
		c := &cevs[i]
		switch c.kind {
		case kGo:
			if c.from == c.to {
				continue
			}
			g := gs[c.res]
			switch c.from {
			case goUndetermined, goNotExist:
				g = &sum{}
				gs[c.res] = g
			case goRunning, goWaiting, goRunnable, goSyscall:
				if g == nil {
					return nil, fmt.Errorf("go tool trace (Go >= 1.23) would crash summarizing goroutines: G%d leaves %s before it was seen (%s)", c.res, goStateName[c.from], where(c))
				}
			}
			if c.from == goSyscall && g.sysStart != 0 {
				if g.sysBlock != 0 {
					blocked[c.res]++
				}
				g.sysStart, g.sysBlock = 0, 0
				delete(syscallingP, syscallingG[c.res])
				delete(syscallingG, c.res)
			}
			if c.to == goSyscall {
				syscallingP[c.p] = c.res
				syscallingG[c.res] = c.p
				g.sysStart = c.time
			}
		case kProc:
			if c.from != c.to && c.to == procIdle {
				if id, ok := syscallingP[c.res]; ok {
					gs[id].sysBlock = c.time
					delete(syscallingP, c.res)
				}
			}
		case kRegionBegin, kRegionEnd:
			if gs[c.g] == nil {
				return nil, fmt.Errorf("go tool trace (Go >= 1.23) would crash summarizing regions: a region of G%d, which it has not seen (%s)", c.g, where(c))
			}
		}
	}
	return blocked, nil
}

type result struct {
	events, goroutines, running, syscalls int
	slices, gslices                       []slice
}

// replay runs the whole chain for one order of the Ps.
func replay(data []byte, ver int, order int) (*result, error) {
	p := &parser{data: data, ver: ver, batches: make(map[int32][]batch),
		strings: make(map[uint64]string), stacks: make(map[uint32]int),
		lastGs: make(map[int32]uint64)}
	if err := p.collect(); err != nil {
		return nil, err
	}
	events, err := p.merge(order)
	if err != nil {
		return nil, err
	}
	if p.freq == 0 {
		return nil, errors.New("no EvFrequency event")
	}
	if len(events) > 0 {
		min := events[0].ts
		f := 1e9 / float64(p.freq)
		for i := range events {
			ev := &events[i]
			ev.ts = int64(float64(ev.ts-min) * f)
			if ev.typ == evGoSysExit {
				ev.p = syscallP
			}
		}
	}
	if err := p.post(events); err != nil {
		return nil, err
	}
	// what the file says: running intervals and blocked system calls per goroutine
	runs := make(map[int64]int)
	sysblocks := make(map[int64]int)
	sysexits := make(map[int64]int)
	for i := range events {
		switch ev := &events[i]; ev.typ {
		case evGoStart, evGoStartLabel:
			runs[int64(ev.g)]++
		case evGoSysBlock:
			sysblocks[int64(ev.g)]++
		case evGoSysExit:
			sysexits[int64(ev.g)]++
		}
	}
	cevs, err := convert(events)
	if err != nil {
		return nil, err
	}
	if len(cevs) == 0 {
		return nil, errors.New("no events")
	}
	start, end := cevs[0].time, cevs[len(cevs)-1].time
	views := []*view{newView("per-P", start, end), newView("per-thread", start, end),
		newView("per-goroutine", start, end)}
	for i := range cevs {
		c := &cevs[i]
		views[0].procView(c)
		views[1].otherView(c, true)
		views[2].otherView(c, false)
	}
	for _, v := range views {
		v.finish()
		if v.err != nil {
			return nil, v.err
		}
	}
	blocked, err := summarize(cevs)
	if err != nil {
		return nil, err
	}
	res := &result{events: len(events), slices: views[0].slices, gslices: views[2].slices}
	drawn := make(map[int64]int)
	drawnSys := make(map[int64]int)
	for _, s := range views[0].slices {
		if s.name == "running" {
			drawn[s.g]++
			res.running++
		} else if s.blocked {
			drawnSys[s.g]++
			res.syscalls++
		}
	}
	var gids []int64
	for g := range runs {
		gids = append(gids, g)
	}
	for g := range sysblocks {
		if runs[g] == 0 {
			gids = append(gids, g)
		}
	}
	sort.Slice(gids, func(i, j int) bool { return gids[i] < gids[j] })
	res.goroutines = len(gids)
	for _, g := range gids {
		if drawn[g] != runs[g] {
			return nil, fmt.Errorf("the per-P view draws %d running slices of G%d, the file has it run %d times", drawn[g], g, runs[g])
		}
		if drawnSys[g] != sysblocks[g] {
			return nil, fmt.Errorf("the per-P view draws %d blocked syscall slices of G%d, the file has %d GoSysBlock", drawnSys[g], g, sysblocks[g])
		}
		if blocked[g] != sysexits[g] {
			return nil, fmt.Errorf("the goroutine summary counts %d blocked system calls of G%d, the file has %d that blocked and returned (the rest count as running in the call)", blocked[g], g, sysexits[g])
		}
	}
	return res, nil
}

func version(data []byte) (int, error) {
	if len(data) < 16 {
		return 0, errors.New("file too short for a trace header")
	}
	h := string(data[:16])
	var minor int
	rest := ""
	if n, _ := fmt.Sscanf(h, "go 1.%d trace", &minor); n != 1 {
		return 0, fmt.Errorf("not a Go trace header: %q", h)
	}
	rest = strings.TrimRight(h[strings.Index(h, "trace")+5:], "\x00")
	if rest != "" {
		return 0, fmt.Errorf("not a Go trace header: %q", h)
	}
	switch minor {
	case 11, 19, 21:
		return minor, nil
	}
	return 0, fmt.Errorf("header go 1.%d: Go >= 1.23 converts only the old formats 1.11, 1.19 and 1.21", minor)
}

func check(path string, orders int, printSlices bool) error {
	data, err := ioutil.ReadFile(path)
	if err != nil {
		return err
	}
	ver, err := version(data)
	if err != nil {
		return err
	}
	var first *result
	for order := 0; order <= orders; order++ {
		res, err := replay(data, ver, order)
		if err != nil {
			if order > 0 {
				return fmt.Errorf("%v (with the Ps merged in shuffled order %d)", err, order)
			}
			return err
		}
		if first == nil {
			first = res
		}
	}
	if printSlices {
		for _, s := range first.slices {
			fmt.Printf("slice P %s g=%d res=%d %d %d\n", s.name, s.g, s.res, s.start, s.end-s.start)
		}
		for _, s := range first.gslices {
			fmt.Printf("slice G %s g=%d res=%d %d %d\n", s.name, s.g, s.res, s.start, s.end-s.start)
		}
	}
	fmt.Printf("%s: ok: %d events, %d goroutines, %d running slices, %d blocked syscall slices\n",
		path, first.events, first.goroutines, first.running, first.syscalls)
	return nil
}

func main() {
	orders := flag.Int("orders", 4, "shuffled orders of the Ps to merge in, besides the sorted one")
	printSlices := flag.Bool("slices", false, "print the slices of the per-P view")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: check-trace-go [-orders N] [-slices] FILE...")
		os.Exit(2)
	}
	for _, path := range flag.Args() {
		if err := check(path, *orders, *printSlices); err != nil {
			fmt.Printf("%s: %v\n", path, err)
			os.Exit(1)
		}
	}
}
