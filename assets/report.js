// tipfit report.html: the interactive charts (drawn by uPlot) and sortable
// tables. Reads the session's curves from the JSON in #tipfit-data. Only
// view choices are computed here (which curves, normalisation, smoothing,
// difference); every number in the tables is tipfit's own.
(function () {
  "use strict";
  var el = document.getElementById("tipfit-data");
  if (!el || typeof uPlot === "undefined") return;
  var D = JSON.parse(el.textContent);
  var G = D.grid_hz;
  var PER_OCT = 48;
  var state = { shown: {}, fits: {}, norm: "300-1000", smooth: 12, baseline: "" };
  D.tips.forEach(function (t) { state.shown[t.name] = true; state.fits[t.name] = false; });

  // ------------------------------------------------------------ curves
  function meanOf(curves) {
    if (!curves.length) return null;
    return G.map(function (_, k) {
      var s = 0, n = 0;
      curves.forEach(function (c) { if (c[k] != null) { s += c[k]; n++; } });
      return n ? s / n : null;
    });
  }
  // 1/N-octave smoothing: the power mean over the band around each point.
  function smooth(c, n) {
    if (!c || !n) return c;
    var half = Math.max(1, Math.round(PER_OCT / n / 2));
    return c.map(function (v, k) {
      if (v == null) return null;
      var s = 0, m = 0;
      for (var j = Math.max(0, k - half); j <= Math.min(c.length - 1, k + half); j++) {
        if (c[j] != null) { s += Math.pow(10, c[j] / 10); m++; }
      }
      return 10 * Math.log10(s / m);
    });
  }
  function levelAt(c, norm) {
    if (norm === "none") return 0;
    var lo, hi;
    if (norm.indexOf("-") > 0) { var p = norm.split("-"); lo = +p[0]; hi = +p[1]; }
    else { lo = +norm / Math.pow(2, 1 / 96); hi = +norm * Math.pow(2, 1 / 96); }
    var s = 0, n = 0;
    G.forEach(function (f, k) { if (f >= lo && f <= hi && c[k] != null) { s += c[k]; n++; } });
    return n ? s / n : null;
  }
  function prepare(c) {
    if (!c) return null;
    var sm = smooth(c, state.smooth);
    var lv = levelAt(sm, state.norm);
    if (lv == null) return sm.map(function () { return null; });
    return sm.map(function (v) { return v == null ? null : v - lv; });
  }
  function tipMean(t) { return meanOf(t.fits.map(function (f) { return f.db; })); }
  function baselineCurve() {
    if (!state.baseline) return null;
    if (state.baseline === "@reference") return prepare(D.reference);
    var t = D.tips.filter(function (x) { return x.name === state.baseline; })[0];
    return t ? prepare(tipMean(t)) : null;
  }
  function minus(c, b) {
    if (!b) return c;
    return c.map(function (v, k) { return v == null || b[k] == null ? null : v - b[k]; });
  }
  function lighter(hex) {
    var n = parseInt(hex.slice(1), 16), r = n >> 16, g = (n >> 8) & 255, b = n & 255;
    var m = function (x) { return Math.round(x + (255 - x) * 0.45); };
    return "rgb(" + m(r) + "," + m(g) + "," + m(b) + ")";
  }

  // ------------------------------------------------------------ charts
  function hz(v) {
    if (v == null) return "–";
    return v >= 1000 ? (v / 1000).toFixed(v >= 10000 ? 1 : 2) + " kHz" : v.toFixed(v >= 100 ? 0 : 1) + " Hz";
  }
  function db(v) { return v == null ? "–" : v.toFixed(1) + " dB"; }
  var charts = {};
  function width(box) { return Math.max(320, box.clientWidth - 4); }
  function draw(id, xs, series, data, xr, yLabel) {
    var box = document.getElementById(id);
    if (charts[id]) { charts[id].destroy(); }
    var opts = {
      width: width(box), height: 380,
      scales: { x: { distr: 3, log: 10, range: xr } },
      series: [{ label: "Frequency", value: function (u, v) { return hz(v); } }].concat(series),
      axes: [
        { label: "Frequency (Hz)", values: function (u, s) { return s.map(function (v) { return v >= 1000 ? v / 1000 + "k" : v; }); } },
        { label: yLabel, size: 60 }
      ],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } }
    };
    charts[id] = new uPlot(opts, [xs].concat(data), box);
  }
  function curveSeries(withFits, fn) {
    var series = [], data = [];
    D.tips.forEach(function (t) {
      if (!state.shown[t.name]) return;
      var r = fn(t);
      series.push({ label: t.name, stroke: t.colour, width: 2.5, value: function (u, v) { return db(v); } });
      data.push(r.mean);
      if (withFits && state.fits[t.name]) {
        r.fits.forEach(function (c, i) {
          series.push({ label: t.name + " fit " + t.fits[i].fit, stroke: lighter(t.colour), width: 1, value: function (u, v) { return db(v); } });
          data.push(c);
        });
      }
    });
    return { series: series, data: data };
  }
  function render() {
    var b = baselineCurve();
    var what = function (t) {
      return { mean: minus(prepare(tipMean(t)), b), fits: t.fits.map(function (f) { return minus(prepare(f.db), b); }) };
    };
    var s = curveSeries(true, what);
    if (D.reference && state.baseline !== "@reference") {
      s.series.push({ label: "reference", stroke: "#222", width: 1.5, dash: [6, 4], value: function (u, v) { return db(v); } });
      s.data.push(minus(prepare(D.reference), b));
    }
    if (D.target && !b) {
      s.series.push({ label: "target", stroke: "#888", width: 1.5, dash: [3, 3], value: function (u, v) { return db(v); } });
      s.data.push(prepare(D.target));
    }
    var yl = b ? "Difference (dB) against " + (state.baseline === "@reference" ? "the reference" : state.baseline)
      : (state.norm === "none" ? D.level_label : "Level (dB), normalised " + (state.norm.indexOf("-") > 0 ? "over " + state.norm + " Hz" : "at " + hz(+state.norm)));
    draw("chart-fr", G, s.series, s.data, [20, 20000], yl);
    draw("chart-bass", G, s.series, s.data, [10, 500], yl);
    // Isolation: each tip's mean over fits per band (as measured).
    if (D.band_hz.length) {
      var iso = curveSeries(true, function (t) {
        var fits = t.fits.map(function (f) { return f.isolation_db || D.band_hz.map(function () { return null; }); });
        var mean = D.band_hz.map(function (_, k) {
          var v = fits.map(function (c) { return c[k]; }).filter(function (x) { return x != null; });
          return v.length ? v.reduce(function (a, c) { return a + c; }, 0) / v.length : null;
        });
        return { mean: mean, fits: fits };
      });
      iso.series.forEach(function (x) { x.points = { show: true, size: 6 }; });
      draw("chart-iso", D.band_hz, iso.series, iso.data, [20, 20000], "Attenuation (dB)");
    } else {
      document.getElementById("chart-iso").textContent = "Isolation was not measured in this session.";
    }
    // Repeatability: every fit minus its tip's mean (smoothing applies).
    var rs = [], rd = [];
    D.tips.forEach(function (t) {
      if (!state.shown[t.name]) return;
      var m = smooth(tipMean(t), state.smooth);
      t.fits.forEach(function (f) {
        var c = smooth(f.db, state.smooth);
        rs.push({ label: t.name + " fit " + f.fit, stroke: t.colour, width: 1.2, value: function (u, v) { return db(v); } });
        rd.push(c && m ? c.map(function (v, k) { return v == null || m[k] == null ? null : v - m[k]; }) : G.map(function () { return null; }));
      });
    });
    draw("chart-rep", G, rs, rd, [10, 1000], "Fit minus tip mean (dB)");
  }

  // ------------------------------------------------------------ controls
  var toggles = document.getElementById("tip-toggles");
  D.tips.forEach(function (t) {
    var row = document.createElement("div");
    row.className = "tip-toggle";
    row.innerHTML = "<label><input type=\"checkbox\" checked> <span class=\"swatch\"></span> </label> <label><input type=\"checkbox\"> single fits</label>";
    row.querySelector(".swatch").style.background = t.colour;
    row.querySelector("label").appendChild(document.createTextNode(t.name + " (" + t.fits.length + (t.fits.length === 1 ? " fit)" : " fits)")));
    var boxes = row.querySelectorAll("input");
    boxes[0].addEventListener("change", function () { state.shown[t.name] = this.checked; render(); });
    boxes[1].addEventListener("change", function () { state.fits[t.name] = this.checked; render(); });
    toggles.appendChild(row);
  });
  var base = document.getElementById("baseline");
  if (D.reference) base.add(new Option("the reference", "@reference"));
  D.tips.forEach(function (t) { base.add(new Option("tip " + t.name, t.name)); });
  document.getElementById("norm").addEventListener("change", function () { state.norm = this.value; render(); });
  document.getElementById("smooth").addEventListener("change", function () { state.smooth = +this.value; render(); });
  base.addEventListener("change", function () { state.baseline = this.value; render(); });
  var timer = null;
  window.addEventListener("resize", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      Object.keys(charts).forEach(function (id) {
        charts[id].setSize({ width: width(document.getElementById(id)), height: 380 });
      });
    }, 150);
  });
  render();

  // ------------------------------------------------------------ tables
  // A cell's sort key: its number (a corner's centre or bound, in Hz; a
  // "<" bound just below its value), else its text.
  function key(td) {
    var t = td.textContent.replace(/\u2212/g, "-").replace(/–/g, " ").trim();
    var num = "(-?\\d+(?:\\.\\d+)?)\\s*(kHz|Hz)?";
    var m = t.match(new RegExp("^median\\s+([<>])?\\s*" + num)) ||
      t.match(new RegExp("^(?:all \\d+ fits\\s+)?([<>])\\s*" + num)) ||
      t.match(new RegExp("()" + num));
    if (!m) return { n: null, t: t.toLowerCase() };
    var v = parseFloat(m[2]);
    if (m[3] === "kHz") v *= 1000;
    if (m[1] === "<") v -= 1e-6;
    if (m[1] === ">") v += 1e-6;
    return { n: v, t: t.toLowerCase() };
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var heads = table.querySelectorAll("tr:first-child th");
    Array.prototype.forEach.call(heads, function (th, col) {
      th.title = "click to sort";
      th.style.cursor = "pointer";
      th.addEventListener("click", function () {
        var rows = Array.prototype.slice.call(table.querySelectorAll("tr")).slice(1);
        var dir = th.dataset.dir === "asc" ? -1 : 1;
        Array.prototype.forEach.call(heads, function (h) { delete h.dataset.dir; });
        th.dataset.dir = dir === 1 ? "asc" : "desc";
        rows.sort(function (a, b) {
          var x = key(a.children[col]), y = key(b.children[col]);
          if (x.n != null && y.n != null) return dir * (x.n - y.n);
          if (x.n != null) return -1;
          if (y.n != null) return 1;
          return dir * x.t.localeCompare(y.t);
        });
        var body = rows[0] ? rows[0].parentNode : table;
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
