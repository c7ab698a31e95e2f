/*
 * Drives a real headless Chromium through the DevTools protocol (over
 * --remote-debugging-pipe: no npm package needed) for the web UI's cases:
 *
 *	node ui-driver.js OUTDIR SHOTDIR < STEPS
 *
 * one step a line:
 *	load NAME URL		open URL, wait until the page is ready, keep its document as
 *				OUTDIR/NAME.html
 *	view NAME URL		the same for a document that is not the UI (an SVG): waits
 *				only for it to load
 *	click NAME SELECTOR	a mouse click in the middle of the element, then as load
 *	type NAME SELECTOR TEXT	TEXT typed into the element, then as load
 *	drag NAME SELECTOR F0 F1 a mouse drag across the element from F0 to F1 (fractions
 *				of its width, at mid height), then as load
 *	shot NAME		a screenshot, SHOTDIR/NAME.png
 *	metrics NAME		the time the page's main thread has been busy since it
 *				loaded (DevTools' Performance.getMetrics: TaskDuration, and
 *				of it ScriptDuration and LayoutDuration), in ms, as
 *				"task N script N layout N" into OUTDIR/NAME.metrics
 *
 * "Ready" is the page's own word (body data-ready, no data-loading) plus a moment for the
 * flame graph's transitions. Exits 1 with a message on the first step that fails.
 */
"use strict";
const { spawn } = require("child_process");
const fs = require("fs");
const path = require("path");

const [outDir, shotDir] = process.argv.slice(2);
const steps = fs.readFileSync(0, "utf8").split("\n").filter((l) => l.trim());
const profile = fs.mkdtempSync(path.join(outDir, "chromium-"));
const browser = spawn("chromium", ["--headless", "--no-sandbox", "--disable-gpu",
	"--hide-scrollbars", "--no-first-run", "--disable-extensions", "--user-data-dir=" + profile,
	"--remote-debugging-pipe", "--window-size=1280,1200"],
{ stdio: ["ignore", "ignore", fs.openSync(path.join(outDir, "chromium.err"), "w"), "pipe", "pipe"] });

let nextId = 1;
const waiting = new Map();
let buffered = "";
browser.stdio[4].on("data", (chunk) => {
	buffered += chunk.toString("utf8");
	let end;
	while ((end = buffered.indexOf("\0")) >= 0) {
		const msg = JSON.parse(buffered.slice(0, end));
		buffered = buffered.slice(end + 1);
		const w = msg.id && waiting.get(msg.id);
		if (w) {
			waiting.delete(msg.id);
			msg.error ? w.reject(new Error(JSON.stringify(msg.error))) : w.resolve(msg.result);
		}
	}
});

function send(method, params, sessionId) {
	const id = nextId++;
	const msg = { id, method, params: params || {} };
	if (sessionId)
		msg.sessionId = sessionId;
	browser.stdio[3].write(JSON.stringify(msg) + "\0");
	return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
	const { targetId } = await send("Target.createTarget", { url: "about:blank" });
	const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
	const page = (method, params) => send(method, params, sessionId);
	const evaluate = async (expression) =>
		(await page("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true })).result.value;
	await page("Page.enable");
	await page("Performance.enable");
	await page("Emulation.setDeviceMetricsOverride", { width: 1280, height: 1200, deviceScaleFactor: 1, mobile: false });

	async function settle(name, plain) {
		for (let i = 0; ; i++) {
			if (await evaluate(plain ? "document.readyState === 'complete'" :
				"document.body && document.body.dataset.ready === '1' && !document.body.dataset.loading"))
				break;
			if (i > 300)
				throw new Error(name + ": the page never became ready");
			await sleep(100);
		}
		await sleep(700);	/* the flame graph's transitions */
		fs.writeFileSync(path.join(outDir, name + ".html"),
			await evaluate("'<!DOCTYPE html>\\n' + document.documentElement.outerHTML"));
	}

	async function centre(selector, fraction) {
		const box = await evaluate("(() => { const e = document.querySelector(" + JSON.stringify(selector) +
			"); if (!e) return null; e.scrollIntoView({ block: 'center' }); const r = e.getBoundingClientRect();" +
			" return [r.left, r.top, r.width, r.height]; })()");
		if (!box)
			throw new Error("no element " + selector);
		return [box[0] + box[2] * fraction, box[1] + box[3] / 2];
	}

	async function mouse(type, [x, y]) {
		await page("Input.dispatchMouseEvent", { type, x, y, button: "left", buttons: type === "mouseReleased" ? 0 : 1, clickCount: 1 });
	}

	for (const line of steps) {
		const [cmd, name, ...rest] = line.split(" ");
		if (cmd === "load" || cmd === "view") {
			await page("Page.navigate", { url: "about:blank" });
			await page("Page.navigate", { url: rest[0] });
			await sleep(200);
			await settle(name, cmd === "view");
		} else if (cmd === "click") {
			const at = await centre(rest[0], 0.5);
			await mouse("mousePressed", at);
			await mouse("mouseReleased", at);
			await sleep(200);
			await settle(name);
		} else if (cmd === "type") {
			await evaluate("document.querySelector(" + JSON.stringify(rest[0]) + ").focus()");
			await page("Input.insertText", { text: rest.slice(1).join(" ") });
			await sleep(200);
			await settle(name);
		} else if (cmd === "drag") {
			const from = await centre(rest[0], +rest[1]), to = await centre(rest[0], +rest[2]);
			await mouse("mousePressed", from);
			for (let k = 1; k <= 10; k++)
				await page("Input.dispatchMouseEvent", { type: "mouseMoved", button: "left", buttons: 1,
					x: from[0] + ((to[0] - from[0]) * k) / 10, y: from[1] });
			await mouse("mouseReleased", to);
			await sleep(200);
			await settle(name);
		} else if (cmd === "metrics") {
			const { metrics } = await page("Performance.getMetrics");
			const ms = (k) => Math.round(1000 * metrics.find((m) => m.name === k).value);
			fs.writeFileSync(path.join(outDir, name + ".metrics"), "task " + ms("TaskDuration") +
				" script " + ms("ScriptDuration") + " layout " + ms("LayoutDuration") + "\n");
		} else if (cmd === "shot") {
			const { data } = await page("Page.captureScreenshot", { format: "png", captureBeyondViewport: true });
			fs.writeFileSync(path.join(shotDir, name + ".png"), Buffer.from(data, "base64"));
		} else {
			throw new Error("unknown step " + line);
		}
	}
}

/* a timeout that ends the driver ends its browser too */
process.on("SIGTERM", () => {
	browser.kill();
	process.exit(1);
});

main().then(() => {
	browser.kill();
	process.exit(0);
}, (e) => {
	console.error("ui-driver: " + e.message);
	browser.kill();
	process.exit(1);
});
