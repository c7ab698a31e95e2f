/*
 * The first of the page's scripts, in its head: it reads the view from the URL's fragment
 * and asks the server for the timeline and the window's stacks at once, so that the server
 * works on them while the libraries below load and compile (a third of a second, measured
 * in BENCHMARKS.md), instead of after. app.js takes the answers up with goprof.request().
 *
 * What the page shows lives in the fragment (#type=cpu&from=10&to=20&q=burn...), so that
 * a view can be bookmarked, sent, or loaded by a test. Written by `goprof-export -f html`,
 * the page has its data inline (GOPROF_DATA, set before this runs) and asks for nothing.
 */
"use strict";
var goprof = (function () {
	const fileMode = typeof GOPROF_DATA !== "undefined";
	const token = new URLSearchParams(location.search).get("token");
	const h = new URLSearchParams(location.hash.slice(1));
	const num = (k) => (h.has(k) && h.get(k) !== "" && isFinite(+h.get(k)) ? +h.get(k) : null);
	const state = {
		type: h.get("type") || "cpu",
		from: num("from"), to: num("to"),
		bfrom: num("bfrom"), bto: num("bto"),
		compare: h.get("compare") === "1",
		st: num("st") === 0 ? 0 : 1,
		q: h.get("q") || "",
		icicle: h.get("icicle") === "1",
		label: h.get("label") || "",
		focus: h.get("focus") || "",
		sort: h.get("sort") || "flat",
		source: h.get("source") || "",
	};

	function apiUrl(path, args) {
		const u = new URLSearchParams(args || {});
		if (token)
			u.set("token", token);
		return "api/" + path + "?" + u.toString();
	}

	/* The query of the profile over a window, seconds after the start (null: the edge). */
	function windowArgs(from, to) {
		const a = { type: state.type };
		if (from !== null) a.from = "+" + from + "s";
		if (to !== null) a.to = "+" + to + "s";
		return a;
	}

	/* Answers asked for here, by URL, each taken once. */
	const early = new Map();
	const ask = (url) => early.set(url, fetch(url));
	if (!fileMode) {
		ask(apiUrl("timeline"));
		ask(apiUrl("profile", windowArgs(state.from, state.to)));
		if (state.compare && state.bfrom !== null && state.bto !== null)
			ask(apiUrl("profile", windowArgs(state.bfrom, state.bto)));
	}

	/* The response to url: the one asked for early, or a new request. */
	function request(url) {
		const r = early.get(url);
		early.delete(url);
		return r || fetch(url);
	}

	return { fileMode, state, apiUrl, windowArgs, request };
})();
