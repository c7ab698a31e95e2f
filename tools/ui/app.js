/*
 * goprof's web UI: the glue between goprof's JSON answers (README "Web UI") and the
 * libraries that draw them, uPlot (the timeline) and d3-flame-graph (the flame graph).
 * The server sends each window's stacks once; trees, the top table, the label filter,
 * focus and the comparison of two windows are computed here from them.
 *
 * What the page shows lives in the URL's fragment (boot.js).
 *
 * Served by goprof, the page reads api/timeline and api/profile; written by
 * `goprof-export -f html`, it finds its one profile in GOPROF_DATA and has no timeline.
 */
"use strict";
(function () {
	const $ = (id) => document.getElementById(id);
	const { fileMode, state, apiUrl, windowArgs } = goprof;

	/* ---- state: the fragment of the URL (boot.js reads it) ---- */
	function saveState() {
		const h = new URLSearchParams();
		for (const [k, v] of Object.entries(state))
			if (v !== null && v !== "" && v !== false)
				h.set(k, v === true ? "1" : v);
		history.replaceState(null, "", "#" + h.toString());
	}

	async function getJSON(path, args) {
		const r = await goprof.request(apiUrl(path, args));
		if (!r.ok)
			throw new Error((await r.text()).trim() || r.statusText);
		return r.json();
	}

	function status(msg) {
		$("status").textContent = msg || "";
	}

	/* ---- formatting ---- */
	function fmt(v, unit) {
		const a = Math.abs(v);
		if (unit === "nanoseconds") {
			if (a >= 1e9) return (v / 1e9).toFixed(2) + "s";
			if (a >= 1e6) return (v / 1e6).toFixed(2) + "ms";
			if (a >= 1e3) return (v / 1e3).toFixed(2) + "us";
			return v + "ns";
		}
		if (unit === "bytes") {
			if (a >= 1 << 30) return (v / (1 << 30)).toFixed(2) + "GB";
			if (a >= 1 << 20) return (v / (1 << 20)).toFixed(2) + "MB";
			if (a >= 1 << 10) return (v / (1 << 10)).toFixed(2) + "kB";
			return v + "B";
		}
		return String(v);
	}
	const pct = (v, total) => (total ? ((100 * v) / total).toFixed(2) : "0.00") + "%";

	/* ---- trees from stacks ---- */
	let data = null;	/* the window's stacks (api/profile format=json) */
	let baseData = null;	/* the base window's, when comparing */

	function keepStack(d, s) {
		if (state.label) {
			const i = state.label.indexOf("=");
			const set = d.label_sets[s[2]] || {};
			if (set[state.label.slice(0, i)] !== state.label.slice(i + 1))
				return false;
		}
		if (state.focus && !s[3].some((f) => d.funcs[f][0] === state.focus))
			return false;
		return true;
	}

	/*
	 * Functions numbered by name, once per answer: ids[f] is the number of d.funcs[f]'s
	 * name, names[id] its [name, where] (of the first function so named).
	 */
	function nameIds(d) {
		if (!d.nameIds) {
			const byName = new Map(), names = [];
			const ids = Int32Array.from(d.funcs, (f) => {
				let id = byName.get(f[0]);
				if (id === undefined) {
					id = names.length;
					byName.set(f[0], id);
					names.push(f);
				}
				return id;
			});
			d.nameIds = { ids, names };
		}
		return d.nameIds;
	}

	/*
	 * Call paths merged by function name, each node with its cum (value) and flat (self).
	 * Frames narrower than 1/PRUNE of the total are left out of the drawing (a tenth of a
	 * pixel of a graph 1,000 pixels wide); their time stays in their callers' width, and
	 * the top table and search count every stack. The whole tree is built in flat arrays
	 * first and only the frames drawn become objects: a history of 20,000 unrelated
	 * stacks has 265,000 frames, of which a few thousand are wide enough to see.
	 */
	const PRUNE = 10000;
	function buildTree(d) {
		const root = { name: "all", value: 0, self: 0, where: "", children: [] };
		if (!d)
			return root;
		const ids = nameIds(d).ids;
		/*
		 * node i: the frame of function func[i] called from node parent[i]; 0 = root. There
		 * are at most as many as the stacks have frames: allocated once (growing the
		 * arrays and the table was half of the time).
		 */
		let cap = 1;
		for (const s of d.stacks)
			cap += s[3].length;
		const parent = new Int32Array(cap), func = new Int32Array(cap);
		const value = new Float64Array(cap), self = new Float64Array(cap);
		/* open addressing on (parent, name number): node + 1, 0 = free; at most half full */
		let mask = 1;
		while (mask < 2 * cap)
			mask *= 2;
		const slots = new Int32Array(mask--);
		let n = 1;
		for (const s of d.stacks) {
			if (!keepStack(d, s))
				continue;
			const v = s[state.st];
			let at = 0;
			value[0] += v;
			for (const f of s[3]) {
				const id = ids[f];
				let j = (Math.imul(at, 0x9e3779b1) ^ Math.imul(id, 0x85ebca6b)) & mask, c = 0;
				for (; slots[j]; j = (j + 1) & mask) {
					const k = slots[j] - 1;
					if (parent[k] === at && ids[func[k]] === id) {
						c = k;
						break;
					}
				}
				if (!c) {
					c = n++;
					parent[c] = at;
					func[c] = f;
					slots[j] = c + 1;
				}
				value[c] += v;
				at = c;
			}
			self[at] += v;
		}
		root.value = value[0];
		root.self = self[0];
		const limit = Math.abs(root.value) / PRUNE;
		const made = new Array(n);	/* parents come before their children */
		made[0] = root;
		for (let i = 1; i < n; i++) {
			const p = made[parent[i]];
			if (p === undefined || Math.abs(value[i]) < limit)
				continue;
			const f = d.funcs[func[i]];
			made[i] = { name: f[0], value: value[i], self: self[i], where: f[1], children: [] };
			p.children.push(made[i]);
		}
		return root;
	}

	/* Differential: each node of the window's tree gets delta = its value - the base's. */
	function addDelta(node, base) {
		node.delta = node.value - (base ? base.value : 0);
		const byName = new Map(base ? base.children.map((c) => [c.name, c]) : []);
		for (const c of node.children)
			addDelta(c, byName.get(c.name));
	}

	/* The stacks' total, and that of those with a function whose name holds term. */
	function searchShare(d, term) {
		let sum = 0, total = 0;
		for (const s of d.stacks) {
			if (!keepStack(d, s))
				continue;
			total += s[state.st];
			if (s[3].some((f) => d.funcs[f][0].indexOf(term) >= 0))
				sum += s[state.st];
		}
		return [sum, total];
	}

	/*
	 * Flat, cum per function name; cum counts a function once per stack (recursion): the
	 * stack's number + 1 stamped on a name marks it counted. In typed arrays by name
	 * number, as buildTree: a Set per stack made this a tenth of a second of the page's two.
	 */
	function topRows(d) {
		let total = 0;
		if (!d)
			return { rows: [], total };
		const { ids, names } = nameIds(d);
		const flat = new Float64Array(names.length), cum = new Float64Array(names.length);
		const stamp = new Int32Array(names.length);
		d.stacks.forEach((s, k) => {
			if (!keepStack(d, s))
				return;
			const v = s[state.st], fr = s[3];
			total += v;
			for (const f of fr) {
				const id = ids[f];
				if (stamp[id] !== k + 1) {
					stamp[id] = k + 1;
					cum[id] += v;
				}
			}
			if (fr.length)
				flat[ids[fr[fr.length - 1]]] += v;
		});
		const rows = [];
		names.forEach((n, id) => {
			if (stamp[id])
				rows.push({ name: n[0], where: n[1], flat: flat[id], cum: cum[id] });
		});
		return { rows, total };
	}

	/* ---- the flame graph ---- */
	const fg = flamegraph.default;
	const unit = () => (data ? data.sample_types[state.st][1] : "count");
	let chart = null;
	let rootValue = 0;

	function nodeText(n) {
		const d = n.data;
		let s = d.name + " \u2014 cum " + fmt(d.value, unit()) + " (" + pct(d.value, rootValue) + "), flat " +
			fmt(d.self, unit()) + " (" + pct(d.self, rootValue) + ")";
		if (state.compare)
			s += ", " + (d.delta >= 0 ? "+" : "") + fmt(d.delta, unit()) + " vs base";
		if (d.where)
			s += ", " + d.where;
		return s;
	}

	function newChart() {
		const width = Math.max(600, $("flame").clientWidth || 1000);
		chart = fg()
			.width(width)
			.cellHeight(18)
			.minFrameSize(1)
			.transitionDuration(200)
			.inverted(state.icicle)
			.sort(true)
			.setLabelHandler(nodeText)
			.setSearchMatch((n, term) => !!term && n.data.name.indexOf(term) >= 0)
			.setSearchHandler((results) => {
				/* the share from every stack, pruned frames too */
				const [sum, total] = searchShare(data, state.q);
				$("search-result").textContent = state.q ?
					"\u201c" + state.q + "\u201d: " + results.length + " frames, " +
					fmt(sum, unit()) + " of " + fmt(total, unit()) + " = " + pct(sum, total) + " of the total" : "";
			})
			.setDetailsHandler((n) => {
				$("details").textContent = n ? nodeText({ data: n.data || n }) : "";
			})
			.onClick((n) => n.parent && showSource(n.data.name));
		if (state.compare)
			chart.setColorMapper(flamegraph.colorMapper.differentialColorMapper);
		d3.select("#flame").selectAll("*").remove();
	}

	function drawFlame() {
		const tree = buildTree(data);
		rootValue = tree.value;
		if (state.compare && baseData)
			addDelta(tree, buildTree(baseData));
		newChart();
		d3.select("#flame").datum(tree).call(chart);
		if (state.q)
			chart.search(state.q);
		else
			$("search-result").textContent = "";
	}

	/* ---- the top table and the source view ---- */
	function drawTables() {
		const { rows, total } = topRows(data);
		const key = state.sort;
		rows.sort((a, b) => (key === "name" ? a.name.localeCompare(b.name) :
			b[key === "sum" ? "flat" : key] - a[key === "sum" ? "flat" : key] || a.name.localeCompare(b.name)));
		const body = $("top").tBodies[0];
		body.textContent = "";
		let sum = 0;
		const u = unit();
		for (const r of rows.slice(0, 500)) {
			sum += r.flat;
			const tr = body.insertRow();
			for (const text of [fmt(r.flat, u), pct(r.flat, total), pct(sum, total), fmt(r.cum, u), pct(r.cum, total)])
				tr.insertCell().textContent = text;
			const name = tr.insertCell();
			name.className = "name";
			name.textContent = r.name;
			const b = document.createElement("button");
			b.type = "button";
			b.textContent = "source";
			b.title = "the cost of " + r.name + " per source line";
			b.addEventListener("click", (e) => {
				e.stopPropagation();
				showSource(r.name);
			});
			tr.insertCell().append(b);
			if (r.name === state.focus)
				tr.className = "focused";
			tr.addEventListener("click", () => setFocus(r.name === state.focus ? "" : r.name));
		}
		$("top").caption.textContent = "top: " + rows.length + " functions, total " + fmt(total, u) +
			(rows.length > 500 ? " (first 500 shown)" : "");
	}

	/*
	 * ---- the source view: one function's cost per line (api/profile?format=source) ----
	 * The function is chosen by a top row's "source" button or a click on its frame, kept
	 * in the fragment (#source=NAME), and asked for again when the window or the label
	 * filter change; the sample type only redraws.
	 */
	let source = null;	/* the answer for state.source */
	let sourceLoads = 0;

	async function loadSource() {
		const mine = ++sourceLoads;
		source = null;
		if (!state.source || fileMode) {
			drawSource();
			return;
		}
		const args = Object.assign(windowArgs(state.from, state.to), { format: "source", fn: state.source },
			state.label ? { label: state.label } : {});
		let answer;
		try {
			answer = await getJSON("profile", args);
		} catch (e) {
			answer = { error: e.message };
		}
		if (mine !== sourceLoads)
			return;	/* an older window's, or another function's */
		source = answer;
		drawSource();
	}

	async function showSource(name) {
		state.source = name;
		saveState();
		document.body.dataset.loading = "1";
		await loadSource();
		delete document.body.dataset.loading;
		$("source").scrollIntoView({ block: "nearest" });
	}

	function sourceRow(body, cells, cls) {
		const tr = body.insertRow();
		if (cls)
			tr.className = cls;
		for (const [text, c] of cells) {
			const td = tr.insertCell();
			td.textContent = text;
			if (c)
				td.className = c;
		}
		return tr;
	}

	/*
	 * Lines as pprof's source view shows them: flat and cum, and cum's share of the
	 * function's, the hotter the redder; a row of dots where lines were left out.
	 */
	function drawSource() {
		const view = $("source"), body = view.tBodies[0];
		body.textContent = "";
		view.hidden = !state.source || fileMode;
		if (view.hidden)
			return;
		const note = (text) => sourceRow(body, [[text, "note"]]).cells[0].colSpan = 5;
		view.caption.textContent = "source: " + state.source;
		if (!source)
			return;
		if (source.error) {
			note(source.error);
			return;
		}
		const st = state.st, u = source.sample_types[st][1];
		const fc = source.function_costs, cum = fc[2 + st];
		view.caption.textContent = "source: " + state.source + " \u2014 flat " + fmt(fc[st], u) + ", cum " +
			fmt(cum, u) + " (" + pct(cum, source.total[st]) + " of the total)";
		if (!fc[2] && !fc[3]) {
			note("no samples of " + state.source + " in this window");
			return;
		}
		if (!source.files.length) {
			note("no line information: " + state.source + "'s code has no debug information (built without -g)");
			return;
		}
		for (const f of source.files) {
			sourceRow(body, [[f.file, "file"]], "file").cells[0].colSpan = 5;
			if (!f.readable)
				note(f.file + " cannot be read here: the lines' figures without their text");
			let last = 0;
			for (const l of f.lines) {
				if (last && l[0] > last + 1)
					sourceRow(body, [["\u22ee", "gap"]], "gap").cells[0].colSpan = 5;
				last = l[0];
				const flat = l[1 + st], c = l[3 + st];
				const tr = sourceRow(body, [[String(l[0]), "line"], [flat ? fmt(flat, u) : "."],
					[c ? fmt(c, u) : "."], [c ? pct(c, cum) : ""], [l[5] === null ? "" : l[5], "text"]]);
				if (c) {
					tr.classList.add("hot");
					tr.style.setProperty("--heat", Math.min(1, Math.abs(c) / Math.abs(cum)).toFixed(3));
				}
			}
		}
		const un = source.unlined;
		if (un[2 + st])
			sourceRow(body, [["?", "line"], [un[st] ? fmt(un[st], u) : "."], [fmt(un[2 + st], u)],
				[pct(un[2 + st], cum)], ["(no line information)", "text"]], "hot");
	}

	function setFocus(name) {
		state.focus = name;
		const f = $("focus");
		f.textContent = "";
		if (name) {
			f.append("focus: " + name);
			const b = document.createElement("button");
			b.type = "button";
			b.textContent = "\u00d7";
			b.title = "show every stack again";
			b.addEventListener("click", () => setFocus(""));
			f.append(b);
		}
		saveState();
		render();
	}

	/* ---- controls ---- */
	function fillSamples() {
		const sel = $("sample");
		sel.textContent = "";
		data.sample_types.forEach((t, i) => sel.add(new Option(t[0] + " (" + t[1] + ")", String(i))));
		sel.value = String(state.st);
	}

	function fillLabels() {
		const sel = $("label");
		const seen = new Set();
		for (const set of data.label_sets)
			for (const [k, v] of Object.entries(set))
				seen.add(k + "=" + v);
		if (state.label)
			seen.add(state.label);
		sel.textContent = "";
		sel.add(new Option("all", ""));
		for (const kv of [...seen].sort())
			sel.add(new Option(kv, kv));
		sel.value = state.label;
	}

	function updateLinks() {
		if (fileMode)
			return;
		/* downloads hold what the page shows: the window and the label filter */
		const shown = (format) => Object.assign(windowArgs(state.from, state.to), { format: format },
			state.label ? { label: state.label } : {});
		$("download").href = apiUrl("profile", shown("pprof"));
		$("download-svg").href = apiUrl("profile", shown("svg"));
		$("download").download = state.type + ".pb.gz";
		$("download-svg").download = state.type + ".svg";
	}

	function render() {
		if (!data)
			return;
		const t = performance.now();
		drawFlame();
		timing.flame = Math.round(performance.now() - t);
		drawTables();
		timing.tables = Math.round(performance.now() - t) - timing.flame;
		drawSource();
	}

	let loading = 0;
	const timing = {};
	async function loadProfile() {
		const mine = ++loading;
		showWindow();
		document.body.dataset.loading = "1";
		status("loading\u2026");
		updateLinks();
		try {
			const [d, b] = await Promise.all([getJSON("profile", windowArgs(state.from, state.to)),
				state.compare && state.bfrom !== null && state.bto !== null ?
					getJSON("profile", windowArgs(state.bfrom, state.bto)) : null]);
			if (mine !== loading)
				return;
			data = d;
			baseData = b;
			timing.data = Math.round(performance.now());
			status(state.compare && !b ? "compare: choose a base window" : "");
		} catch (e) {
			if (mine !== loading)
				return;
			data = { stacks: [], funcs: [], label_sets: [{}], sample_types: [["samples", "count"], ["value", "count"]] };
			baseData = null;
			status(e.message);
		}
		fillSamples();
		fillLabels();
		render();
		await loadSource();
		if (mine === loading)
			delete document.body.dataset.loading;
	}

	function ready() {
		if (document.body.dataset.ready)
			return;
		document.body.dataset.ready = "1";
		/* since the navigation began: the page, its scripts, the data and the drawing */
		$("timing").textContent = "ready in " + Math.round(performance.now()) + " ms (data at " +
			timing.data + " ms, timeline at " + timing.timeline + " ms; flame graph " + timing.flame +
			" ms, tables " + timing.tables + " ms)";
	}

	/* ---- the timeline ---- */
	let timeline = null;
	const plots = [];
	let pickBase = false;

	function setWindowInputs() {
		$("from").value = state.from === null ? "" : state.from;
		$("to").value = state.to === null ? "" : state.to;
		$("bfrom").value = state.bfrom === null ? "" : state.bfrom;
		$("bto").value = state.bto === null ? "" : state.bto;
		document.body.classList.toggle("nocompare", !state.compare);
		$("compare").checked = state.compare;
	}

	function selectWindow(a, b) {
		a = Math.max(0, Math.floor(a * 10) / 10);
		b = Math.ceil(b * 10) / 10;
		if (!(b > a))
			return;
		if (pickBase) {
			state.bfrom = a;
			state.bto = b;
			pickBase = false;
		} else {
			state.from = a;
			state.to = b;
		}
		setWindowInputs();
		saveState();
		loadProfile();
	}

	function plot(title, x, series, fmtValue, stackedColours) {
		const el = document.createElement("div");
		$("charts").append(el);
		const opts = {
			title, width: 470, height: 170,
			cursor: { drag: { x: true, y: false, setScale: false }, sync: { key: "goprof" } },
			scales: { x: { time: false }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
			axes: [{ label: "s" }, { values: (u, ticks) => ticks.map(fmtValue), size: 70 }],
			legend: { show: false },
			series: [{ label: "s" }].concat(series.map((s, i) => ({
				label: s.label, stroke: stackedColours ? stackedColours[i] : s.colour,
				fill: stackedColours ? stackedColours[i] + "99" : undefined, width: 1, points: { show: false },
			}))),
			hooks: {
				setSelect: [(u) => {
					if (u.select.width < 2)
						return;
					selectWindow(u.posToVal(u.select.left, "x"), u.posToVal(u.select.left + u.select.width, "x"));
				}],
			},
		};
		plots.push(new uPlot(opts, [x].concat(series.map((s) => s.data)), el));
	}

	/* The window, shown as the charts' selection. */
	function showWindow() {
		for (const u of plots) {
			const a = state.from === null ? null : u.valToPos(state.from, "x");
			const b = state.to === null ? null : u.valToPos(state.to, "x");
			if (a === null && b === null) {
				u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
				continue;
			}
			const left = a === null ? 0 : Math.max(0, a);
			const right = b === null ? u.over.clientWidth : Math.min(u.over.clientWidth, b);
			u.setSelect({ left, width: Math.max(1, right - left), top: 0, height: u.over.clientHeight }, false);
		}
	}

	function drawTimeline(t) {
		const step = t.bucket_ns / 1e9;
		const x = Array.from({ length: t.points }, (_, i) => i * step);
		/* CPU: stacked, the sum of all threads drawn first so each band shows one thread */
		const colours = ["#e6550d", "#3182bd", "#31a354", "#756bb1", "#de2d26", "#636363", "#fd8d3c",
			"#6baed6", "#74c476", "#9e9ac8", "#fc9272", "#969696", "#e7ba52", "#8c6d31", "#843c39", "#7b4173"];
		const cum = [];
		let run = new Array(t.points).fill(0);
		t.cpu.forEach((th, i) => {
			run = run.map((v, p) => v + th.ns[p] / t.bucket_ns);
			cum.push({ label: (th.name || "thread") + " " + (th.tid >= 0 ? th.tid : ""), data: run, colour: colours[i % colours.length] });
		});
		cum.reverse();
		plot("CPU (cores busy), stacked by thread", x, cum, (v) => v.toFixed(2), cum.map((c) => c.colour));
		plot("heap in use (" + t.heap_source + ")", x, [{ label: "heap", data: t.heap_bytes, colour: "#3182bd" }],
			(v) => fmt(v, "bytes"));
		plot("block and mutex delay per second", x, [
			{ label: "block", data: t.block_ns.map((v) => v / t.bucket_ns), colour: "#e6550d" },
			{ label: "mutex", data: t.mutex_ns.map((v) => v / t.bucket_ns), colour: "#756bb1" }],
		(v) => v.toFixed(2) + "s/s");
		plot("threads", x, [{ label: "threads", data: t.threads, colour: "#31a354" }], (v) => String(v));
	}

	async function loadTimeline() {
		try {
			timeline = await getJSON("timeline");
		} catch (e) {
			status(e.message);
			return;
		}
		const sel = $("type");
		for (const p of timeline.profiles)
			sel.add(new Option(p, p));
		const other = !timeline.profiles.includes(state.type) && timeline.profiles.length;
		if (other)
			state.type = timeline.profiles[0];
		sel.value = state.type;
		$("subtitle").textContent = new Date(timeline.start_ns / 1e6).toISOString() + ", " +
			((timeline.end_ns - timeline.start_ns) / 1e9).toFixed(1) + " s";
		drawTimeline(timeline);
		showWindow();
		timing.timeline = Math.round(performance.now());
		if (other)
			await loadProfile();
	}

	function wire() {
		$("window").addEventListener("submit", (e) => {
			e.preventDefault();
			const v = (id) => ($(id).value.trim() === "" ? null : +$(id).value);
			state.from = v("from");
			state.to = v("to");
			state.bfrom = v("bfrom");
			state.bto = v("bto");
			saveState();
			loadProfile();
		});
		$("whole").addEventListener("click", () => {
			state.from = state.to = null;
			setWindowInputs();
			saveState();
			loadProfile();
		});
		$("compare").addEventListener("change", (e) => {
			state.compare = e.target.checked;
			setWindowInputs();
			saveState();
			loadProfile();
		});
		$("base-pick").addEventListener("click", () => {
			pickBase = true;
			status("select the base window on a chart");
		});
		$("type").addEventListener("change", (e) => {
			state.type = e.target.value;
			state.st = 1;
			saveState();
			loadProfile();
		});
		$("sample").addEventListener("change", (e) => {
			state.st = +e.target.value;
			saveState();
			render();
		});
		$("label").addEventListener("change", (e) => {
			state.label = e.target.value;
			saveState();
			updateLinks();
			render();
			if (state.source)
				showSource(state.source);
		});
		$("icicle").addEventListener("change", (e) => {
			state.icicle = e.target.checked;
			saveState();
			render();
		});
		$("search").addEventListener("input", (e) => {
			state.q = e.target.value;
			saveState();
			if (!chart)
				return;
			if (state.q)
				chart.search(state.q);
			else {
				chart.clear();
				$("search-result").textContent = "";
			}
		});
		$("reset").addEventListener("click", () => chart && chart.resetZoom());
		for (const th of $("top").tHead.rows[0].cells)
			th.addEventListener("click", () => {
				state.sort = th.dataset.key;
				saveState();
				drawTables();
			});
	}

	async function main() {
		$("search").value = state.q;
		$("icicle").checked = state.icicle;
		setFocus(state.focus);
		setWindowInputs();
		wire();
		if (fileMode) {
			document.body.classList.add("file");
			data = GOPROF_DATA;
			state.type = data.type;
			$("type").add(new Option(data.type, data.type));
			$("subtitle").textContent = data.type + ", " + new Date(data.from_ns / 1e6).toISOString() + " to " +
				new Date(data.to_ns / 1e6).toISOString();
			fillSamples();
			fillLabels();
			render();
			ready();
			return;
		}
		/* both at once: the flame graph need not wait for the timeline */
		await Promise.all([loadTimeline(), loadProfile()]);
		ready();
	}
	main();
})();
