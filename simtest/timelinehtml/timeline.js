// The renderer of Moonpool's timeline pages. It draws a Doc (see package
// timelinehtml) as SVG: one lane per process and the driver, time left to
// right. It needs nothing but the browser.
var MoonpoolTimeline = (function () {
	"use strict";

	var SVGNS = "http://www.w3.org/2000/svg";
	var LANE_H = 56, LABEL_W = 140, AXIS_H = 26, PAD_R = 16;
	var KINDS = ["failure", "fault", "reboot", "boot", "disk", "buggify", "net", "task", "phase", "log", "message", "diskop"];
	var HIDDEN = { task: true }; // kinds hidden until asked for
	// More than MAX_ARROWS arrows in view make one solid wall across a
	// large cluster's lanes. Past it, the messages of each stretch CELL_W
	// pixels wide that is denser than MAX_ARROWS over the chart's width
	// are drawn as a strip of density on each lane, the others as arrows.
	var MAX_ARROWS = 3000, CELL_W = 6;

	// fmtTime writes ns of simulated time as Go writes a time.Duration,
	// shortened to a few digits.
	function fmtTime(ns) {
		var a = Math.abs(ns), sign = ns < 0 ? "-" : "";
		if (a === 0) return "0s";
		if (a < 1e3) return sign + a + "ns";
		if (a < 1e6) return sign + trim(a / 1e3) + "µs";
		if (a < 1e9) return sign + trim(a / 1e6) + "ms";
		if (a < 60e9) return sign + trim(a / 1e9) + "s";
		var m = Math.floor(a / 60e9);
		return sign + m + "m" + trim((a - m * 60e9) / 1e9) + "s";
	}
	function trim(x) { return String(+x.toFixed(3)); }

	function svg(tag, attrs, parent) {
		var e = document.createElementNS(SVGNS, tag);
		for (var k in attrs) e.setAttribute(k, attrs[k]);
		if (parent) parent.appendChild(e);
		return e;
	}
	function html(tag, cls, text, parent) {
		var e = document.createElement(tag);
		if (cls) e.className = cls;
		if (text != null) e.textContent = text;
		if (parent) parent.appendChild(e);
		return e;
	}

	// niceStep is a round step of time giving about n ticks over span.
	function niceStep(span, n) {
		var raw = span / n, p = Math.pow(10, Math.floor(Math.log10(raw)));
		var steps = [1, 2, 5, 10];
		for (var i = 0; i < steps.length; i++) if (steps[i] * p >= raw) return steps[i] * p;
		return 10 * p;
	}

	function render(root, doc) {
		root.innerHTML = "";
		root.classList.add("mpt");
		var lanes = (doc.lanes || []).slice();
		var events = doc.events || [], messages = doc.messages || [], disk = doc.disk || [], spans = doc.spans || [];
		function addLane(l) { if (l != null && lanes.indexOf(l) < 0) lanes.push(l); }
		events.forEach(function (e) { addLane(e.lane); });
		messages.forEach(function (m) { addLane(m.from); addLane(m.to); });
		disk.forEach(function (d) { addLane(d.lane); });
		spans.forEach(function (p) { addLane(p.lane); });
		// No prototype: a lane may be named "__proto__" or "constructor".
		var laneIx = Object.create(null);
		lanes.forEach(function (l, i) { laneIx[l] = i; });
		var end = Math.max(doc.end_ns || 0, 1);
		events.forEach(function (e) { end = Math.max(end, e.at_ns); });
		messages.forEach(function (m) { end = Math.max(end, m.arrived_ns); });
		spans.forEach(function (p) { end = Math.max(end, p.end_ns); });
		var failures = events.filter(function (e) { return e.kind === "failure"; });

		// The head: what seed, how it ended, how to replay it.
		var head = html("div", "mpt-head", null, root);
		html("h1", null, doc.title || ("seed " + doc.seed), head);
		var meta = html("div", "mpt-meta", null, head);
		html("span", doc.failed ? "mpt-status mpt-failed" : "mpt-status mpt-passed", doc.failed ? "FAILED" : "passed", meta);
		html("span", null, "seed " + doc.seed, meta);
		html("span", null, "simulated " + fmtTime(end), meta);
		html("span", null, lanes.length + " lanes, " + events.length + " events, " + messages.length + " messages" +
			(doc.messages_left_out ? " (" + doc.messages_left_out + " more left out)" : "") + ", " + disk.length + " disk operations" +
			(doc.disk_left_out ? " (" + doc.disk_left_out + " more left out)" : ""), meta);
		if (doc.replay) html("code", "mpt-replay", doc.replay, head);
		(doc.notes || []).forEach(function (n) { html("p", "mpt-note", n, head); });
		(doc.links || []).forEach(function (l) {
			var a = html("a", "mpt-link", l.name, head);
			a.href = l.href;
		});
		if (failures.length) {
			var fl = html("ol", "mpt-failures", null, head);
			failures.forEach(function (f) {
				var li = html("li", null, fmtTime(f.at_ns) + "  " + (f.task ? f.task + ": " : "") + (f.summary || f.msg), fl);
				li.onclick = function () { focus(f.at_ns); show("failure", f); };
			});
		}

		// The tools: zoom, and a switch per kind of mark.
		var bar = html("div", "mpt-bar", null, root);
		function button(label, fn) { var b = html("button", null, label, bar); b.onclick = fn; return b; }
		button("zoom in", function () { zoomBy(0.5); });
		button("zoom out", function () { zoomBy(2); });
		button("whole seed", function () { zoom(0, end); });
		if (failures.length) button("first failure", function () { focus(failures[0].at_ns); });
		var hidden = {};
		KINDS.forEach(function (k) {
			hidden[k] = !!HIDDEN[k];
			var lab = html("label", "mpt-toggle mpt-k-" + k, null, bar);
			var cb = html("input", null, null, lab);
			cb.type = "checkbox";
			cb.checked = !hidden[k];
			cb.onchange = function () { hidden[k] = !cb.checked; draw(); };
			html("span", null, k, lab);
		});
		var range = html("span", "mpt-range", null, bar);

		// Only a page that can hold more messages in view than are drawn
		// as arrows says how it draws them: a small page is as it was.
		var allArrows = false, densityNote = null, densityText = null;
		if (messages.length > MAX_ARROWS) {
			densityNote = html("p", "mpt-density-note", null, root);
			densityText = html("span", null, null, densityNote);
			var al = html("label", "mpt-toggle", null, densityNote);
			var acb = html("input", null, null, al);
			acb.type = "checkbox";
			acb.onchange = function () { allArrows = acb.checked; draw(); };
			html("span", null, "draw every message as an arrow", al);
		}

		var chart = html("div", "mpt-chart", null, root);
		var details = html("pre", "mpt-details", "Click a mark, an arrow or a failure to see its details. Wheel to zoom, drag to move.", root);

		var t0 = 0, t1 = end, width = 0;
		var height = AXIS_H + lanes.length * LANE_H + 8;
		var s = svg("svg", { "class": "mpt-svg", height: height }, chart);
		var defs = svg("defs", {}, s);
		[["mpt-arrow", "mpt-arrowhead"], ["mpt-arrow-lost", "mpt-arrowhead-lost"]].forEach(function (a) {
			var m = svg("marker", { id: a[0], viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
			svg("path", { d: "M0,0 L10,5 L0,10 z", "class": a[1] }, m);
		});
		var layer = svg("g", {}, s);

		function x(ns) { return LABEL_W + (ns - t0) / (t1 - t0) * (width - LABEL_W - PAD_R); }
		function laneY(l) { return AXIS_H + laneIx[l] * LANE_H; }
		function visible(a, b) { return b >= t0 && a <= t1; }

		function show(kind, o) {
			var lines = [kind];
			for (var k in o) {
				var v = o[k];
				if (/_ns$/.test(k)) v = fmtTime(v) + " (" + v + " ns)";
				else if (typeof v === "object") v = JSON.stringify(v);
				lines.push(k + ": " + v);
			}
			if (o.sent_ns != null) lines.push("latency: " + fmtTime(o.arrived_ns - o.sent_ns));
			if (o.start_ns != null) lines.push("duration: " + fmtTime(o.end_ns - o.start_ns));
			details.textContent = lines.join("\n");
		}
		// diskDetail tells a disk operation's place: a truncate's size, a
		// read's or write's length and offset (of how many it was asked,
		// when a full disk cut it short), a sync's length; and its error.
		function diskDetail(o) {
			if (o.start_ns == null || o.what == null) return "";
			var err = o.err ? ": " + o.err : "";
			if (o.what === "truncate" && o.off != null) return " to " + o.off + err;
			var n = o.asked ? o.bytes + " of " + o.asked : o.bytes;
			if (o.off != null) return ", " + n + " bytes at " + o.off + err;
			return (o.bytes ? ", " + n + " bytes" : "") + err;
		}
		function clickable(e, kind, o) {
			e.addEventListener("click", function (ev) { ev.stopPropagation(); show(kind, o); });
			var t = svg("title", {}, e);
			t.textContent = kind + " " + (o.msg || o.what || "") + (o.file ? " " + o.file : "") + diskDetail(o);
		}

		function arrow(m) {
			var ya = laneY(m.from) + LANE_H / 2, yb = laneY(m.to) + LANE_H / 2;
			if (ya === yb) { ya -= 6; yb += 6; }
			var ln = svg("line", { x1: x(m.sent_ns), y1: ya, x2: x(m.arrived_ns), y2: yb, "class": m.lost ? "mpt-msg mpt-msg-lost" : "mpt-msg", "marker-end": m.lost ? "url(#mpt-arrow-lost)" : "url(#mpt-arrow)" }, layer);
			clickable(ln, "message", m);
		}

		// drawMessages draws the messages in view as arrows, or, when
		// there are more than MAX_ARROWS, as density where they crowd.
		function drawMessages() {
			var inView = messages.filter(function (m) { return visible(m.sent_ns, m.arrived_ns); });
			if (allArrows || inView.length <= MAX_ARROWS) {
				inView.forEach(arrow);
				if (densityNote) {
					densityNote.hidden = false;
					densityText.textContent = count(inView.length) + " messages in view, drawn as arrows" +
						(allArrows ? ". " : " (past " + count(MAX_ARROWS) + " in view, where they crowd, they are drawn as density). ");
				}
				return;
			}
			// A cell holds the messages sent in its stretch of time; one
			// that holds more than its share of MAX_ARROWS is dense.
			var plot = width - LABEL_W - PAD_R, cells = Math.max(1, Math.ceil(plot / CELL_W));
			var limit = MAX_ARROWS * CELL_W / plot;
			function cell(ns) { return Math.min(cells - 1, Math.max(0, Math.floor((x(ns) - LABEL_W) / CELL_W))); }
			var sent = new Array(cells);
			for (var c = 0; c < cells; c++) sent[c] = 0;
			inView.forEach(function (m) { sent[cell(m.sent_ns)]++; });
			// The density of a lane's cell: what it sent then, what
			// reached it, and what was lost on the way to it.
			var density = Object.create(null), dense = 0, arrows = [];
			function at(l, ns) {
				var k = laneIx[l] * cells + cell(ns);
				return density[k] || (density[k] = { lane: l, cell: cell(ns), sent: 0, received: 0, lost: 0, peers: Object.create(null) });
			}
			inView.forEach(function (m) {
				if (sent[cell(m.sent_ns)] <= limit) { arrows.push(m); return; }
				dense++;
				var a = at(m.from, m.sent_ns), b = at(m.to, m.arrived_ns);
				a.sent++;
				a.peers[m.to] = (a.peers[m.to] || 0) + 1;
				if (m.lost) b.lost++; else b.received++;
				if (b !== a) b.peers[m.from] = (b.peers[m.from] || 0) + 1;
			});
			var most = 1, mostLost = 1, k;
			for (k in density) {
				most = Math.max(most, density[k].sent + density[k].received);
				mostLost = Math.max(mostLost, density[k].lost);
			}
			// Darker with more, on a log scale: a cell of one message
			// still shows, and the busiest is solid.
			function shade(n, of) { return (0.12 + 0.88 * Math.log(1 + n) / Math.log(1 + of)).toFixed(3); }
			for (k in density) {
				var d = density[k], cx = LABEL_W + d.cell * CELL_W, y = laneY(d.lane) + LANE_H / 2;
				var from = Math.max(0, Math.round(nsAt(cx))), to = Math.min(end, Math.round(nsAt(cx + CELL_W)));
				var peers = Object.keys(d.peers).sort(function (p, q) { return d.peers[q] - d.peers[p]; });
				var o = {
					lane: d.lane, from_ns: from, to_ns: to, sent: d.sent, received: d.received, lost: d.lost,
					peers: peers.slice(0, 5).map(function (p) { return p + " " + d.peers[p]; }).join(", ") +
						(peers.length > 5 ? ", and " + (peers.length - 5) + " more" : ""),
					arrows: "zoom in on this stretch to draw its messages as arrows"
				};
				var tip = "messages of " + d.lane + ", " + fmtTime(from) + " .. " + fmtTime(to) + ": " + d.sent + " sent, " +
					d.received + " received" + (d.lost ? ", " + d.lost + " lost" : "") + "; zoom in to see them as arrows";
				if (d.sent + d.received) densityCell(svg("rect", { x: cx, y: y - 6, width: CELL_W, height: 12, "class": "mpt-density", "fill-opacity": shade(d.sent + d.received, most) }, layer), o, tip);
				if (d.lost) densityCell(svg("rect", { x: cx, y: y + 7, width: CELL_W, height: 4, "class": "mpt-density mpt-density-lost", "fill-opacity": shade(d.lost, mostLost) }, layer), o, tip);
			}
			arrows.forEach(arrow);
			densityNote.hidden = false;
			densityText.textContent = count(inView.length) + " messages in view, more than " + count(MAX_ARROWS) + ": " +
				(arrows.length ? count(dense) + " of them, where they crowd, are" : "they are") +
				" drawn as a strip on each lane that sent or got them, darker where there are more, with a red one below where some were lost" +
				(arrows.length ? "; the " + count(arrows.length) + " where they are sparse are arrows" : "") +
				". Zoom in (the wheel, or zoom in) to fewer than " + count(MAX_ARROWS) + " to see each one as an arrow, or click a strip for its counts. ";
		}
		function densityCell(r, o, tip) {
			r.addEventListener("click", function (ev) { ev.stopPropagation(); show("messages", o); });
			svg("title", {}, r).textContent = tip;
		}
		function count(n) { return n.toLocaleString("en-US"); }

		function draw() {
			width = Math.max(chart.clientWidth, 400);
			s.setAttribute("width", width);
			s.setAttribute("viewBox", "0 0 " + width + " " + height);
			layer.textContent = "";
			range.textContent = fmtTime(Math.round(t0)) + " .. " + fmtTime(Math.round(t1));

			// Lanes and their names.
			lanes.forEach(function (l, i) {
				var y = laneY(l);
				svg("rect", { x: 0, y: y, width: width, height: LANE_H, "class": "mpt-lane" + (i % 2 ? " mpt-lane-odd" : ""), "data-lane": l }, layer);
				var t = svg("text", { x: 8, y: y + LANE_H / 2 + 4, "class": "mpt-lane-label" }, layer);
				t.textContent = l;
			});
			// The axis.
			var step = niceStep(t1 - t0, Math.max(2, Math.floor((width - LABEL_W) / 110)));
			for (var tk = Math.ceil(t0 / step) * step; tk <= t1; tk += step) {
				var tx = x(tk);
				svg("line", { x1: tx, x2: tx, y1: AXIS_H - 6, y2: height, "class": "mpt-grid" }, layer);
				var lt = svg("text", { x: tx + 3, y: AXIS_H - 9, "class": "mpt-tick" }, layer);
				lt.textContent = fmtTime(Math.round(tk));
			}
			svg("line", { x1: LABEL_W, x2: LABEL_W, y1: 0, y2: height, "class": "mpt-label-edge" }, layer);

			// Spans under everything else, cut to the time shown: a
			// band across its lane, such as a process paused.
			spans.forEach(function (p) {
				if (hidden[p.kind] || !visible(p.start_ns, p.end_ns) || laneIx[p.lane] == null) return;
				var a = x(Math.max(p.start_ns, t0)), b = Math.max(x(Math.min(p.end_ns, t1)), a + 2);
				var r = svg("rect", { x: a, y: laneY(p.lane) + 2, width: b - a, height: LANE_H - 4, "class": "mpt-span mpt-span-" + p.kind, "data-kind": p.kind }, layer);
				clickable(r, p.kind, p);
			});
			if (!hidden.diskop) disk.forEach(function (d) {
				if (!visible(d.start_ns, d.end_ns) || laneIx[d.lane] == null) return;
				var a = x(d.start_ns), b = Math.max(x(d.end_ns), a + 2);
				var r = svg("rect", { x: a, y: laneY(d.lane) + LANE_H - 9, width: b - a, height: 6, "class": "mpt-diskop mpt-diskop-" + d.what.replace(/\W+/g, "-") + (d.err ? " mpt-diskop-failed" : "") }, layer);
				clickable(r, "disk operation", d);
			});
			if (!hidden.message) drawMessages();
			else if (densityNote) densityNote.hidden = true;
			events.forEach(function (e) {
				if (hidden[e.kind] || e.at_ns < t0 || e.at_ns > t1 || laneIx[e.lane] == null) return;
				var ex = x(e.at_ns), y = laneY(e.lane), mark;
				switch (e.kind) {
				case "failure":
					svg("line", { x1: ex, x2: ex, y1: AXIS_H, y2: height, "class": "mpt-failure-line" }, layer);
					mark = svg("path", { d: "M" + ex + "," + (y + 8) + " l10,18 l-10,18 l-10,-18 z", "class": "mpt-mark mpt-failure" }, layer);
					break;
				case "reboot":
					mark = svg("rect", { x: ex - 3, y: y + 2, width: 6, height: LANE_H - 4, "class": "mpt-mark mpt-reboot" }, layer);
					break;
				case "boot":
					mark = svg("path", { d: "M" + (ex - 6) + "," + (y + LANE_H - 4) + " l6,-12 l6,12 z", "class": "mpt-mark mpt-boot" }, layer);
					break;
				case "fault":
					mark = svg("circle", { cx: ex, cy: y + 10, r: 5, "class": "mpt-mark mpt-fault" }, layer);
					break;
				case "disk":
					mark = svg("rect", { x: ex - 4, y: y + LANE_H - 22, width: 8, height: 8, "class": "mpt-mark mpt-disk" }, layer);
					break;
				case "buggify":
					mark = svg("circle", { cx: ex, cy: y + 20, r: 3.5, "class": "mpt-mark mpt-buggify" }, layer);
					break;
				case "log":
					mark = svg("rect", { x: ex - 1.5, y: y + 14, width: 3, height: 14, "class": "mpt-mark mpt-log" + (e.level ? " mpt-level-" + e.level.toLowerCase() : "") }, layer);
					break;
				default: // net, task, phase
					mark = svg("rect", { x: ex - 1, y: y + 30, width: 2, height: 10, "class": "mpt-mark mpt-" + e.kind }, layer);
				}
				mark.setAttribute("data-kind", e.kind);
				clickable(mark, e.kind, e);
			});
			root.setAttribute("data-rendered", String((+root.getAttribute("data-rendered") || 0) + 1));
		}

		function zoom(a, b) {
			if (b - a < 1000) { var c = (a + b) / 2; a = c - 500; b = c + 500; }
			// A span past either end moves inside, keeping its width.
			if (a < 0) { b -= a; a = 0; }
			if (b > end) { a -= b - end; b = end; }
			t0 = Math.max(0, a); t1 = Math.min(end, b);
			if (t1 <= t0) { t0 = 0; t1 = end; }
			draw();
		}
		function zoomBy(f, at) {
			if (at == null) at = (t0 + t1) / 2;
			zoom(at - (at - t0) * f, at + (t1 - at) * f);
		}
		function focus(ns) {
			var span = Math.min(end, Math.max((t1 - t0) / 20, 1e6));
			zoom(ns - span / 2, ns + span / 2);
		}
		function nsAt(px) { return t0 + (px - LABEL_W) / (width - LABEL_W - PAD_R) * (t1 - t0); }

		s.addEventListener("wheel", function (ev) {
			ev.preventDefault();
			var r = s.getBoundingClientRect();
			zoomBy(ev.deltaY > 0 ? 1.25 : 0.8, nsAt(ev.clientX - r.left));
		}, { passive: false });
		var drag = null;
		s.addEventListener("mousedown", function (ev) { drag = { px: ev.clientX, a: t0, b: t1 }; });
		window.addEventListener("mouseup", function () { drag = null; });
		window.addEventListener("mousemove", function (ev) {
			if (!drag) return;
			var d = (ev.clientX - drag.px) / (width - LABEL_W - PAD_R) * (drag.b - drag.a);
			if (drag.a - d < 0) d = drag.a;
			if (drag.b - d > end) d = drag.b - end;
			t0 = drag.a - d; t1 = drag.b - d;
			draw();
		});
		window.addEventListener("resize", draw);
		draw();
		return { zoom: zoom, focus: focus, doc: doc, redraw: draw };
	}

	return { render: render, fmtTime: fmtTime };
})();
