// The demo page: it loads the simulation (demo.wasm), runs the seed asked
// for, and draws its timeline and history. window.demoState holds the
// last run, for the page's browser test.
(function () {
	"use strict";
	var $ = function (id) { return document.getElementById(id); };
	window.demoState = { runs: 0, error: null };

	function run(mode, seed) {
		$("run").disabled = true;
		$("status").className = "";
		$("status").textContent = "running " + mode + " seed " + seed + "…";
		var start = performance.now();
		// Let the page paint the status before the simulation takes the thread.
		setTimeout(function () {
			window.moonpoolDemo.run(mode, seed).then(function (text) {
				var out = JSON.parse(text);
				var ms = Math.round(performance.now() - start);
				$("run").disabled = false;
				if (out.error) {
					window.demoState = { runs: window.demoState.runs + 1, error: out.error };
					$("status").className = "failed";
					$("status").textContent = out.error;
					return;
				}
				$("status").className = out.ok ? "ok" : "failed";
				$("status").textContent = (out.ok ? "passed" : "FAILED") + ": " + mode + " seed " + out.seed + ", " +
					out.history.length + " history lines, " + ms + " ms in this browser";
				$("history").textContent = out.history.join("\n");
				$("report").textContent = out.report || "";
				MoonpoolTimeline.render($("timeline"), out.doc);
				window.demoState = { runs: window.demoState.runs + 1, mode: mode, seed: out.seed, ok: out.ok, history: out.history, ms: ms };
			});
		}, 20);
	}

	$("controls").addEventListener("submit", function (ev) {
		ev.preventDefault();
		run($("mode").value, $("seed").value.trim());
	});

	window.moonpoolDemoReady = function () {
		JSON.parse(window.moonpoolDemo.presets).forEach(function (p) {
			var b = document.createElement("button");
			b.type = "button";
			b.textContent = p.name;
			b.title = p.mode + " seed " + p.seed;
			b.onclick = function () { $("mode").value = p.mode; $("seed").value = p.seed; run(p.mode, p.seed); };
			$("presets").appendChild(b);
		});
		$("run").disabled = false;
		$("run").textContent = "run";
		var q = new URLSearchParams(location.search);
		if (q.get("mode")) $("mode").value = q.get("mode");
		if (q.get("seed")) $("seed").value = q.get("seed");
		run($("mode").value, $("seed").value.trim());
	};

	var go = new Go();
	WebAssembly.instantiateStreaming(fetch("demo.wasm"), go.importObject).then(function (r) {
		go.run(r.instance);
	}).catch(function (err) {
		window.demoState.error = String(err);
		$("status").className = "failed";
		$("status").textContent = "the simulation did not load: " + err;
	});
})();
