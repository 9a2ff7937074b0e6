/* The coverage map's visitors: every checkpoint a marker with its entries and exits today, the area
   filled by how full it is (green, amber from 90 %, red at the limit), the panel's figures and the
   day's curve as an inline SVG chart; all read again from GET …/occupancy every few seconds (the
   curve every minute), without reloading the page. Data from <script id="gm-occupancy">; texts
   put in with textContent. */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var COLOURS = { open: "#2b8a3e", near: "#f08c00", full: "#c92a2a" };
  var CURVE_EVERY = 12; // refreshes between two readings of the curve

  function fmt(n) { return Number(n).toLocaleString(); }

  function node(tag, attrs) {
    var n = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { n.setAttribute(k, String(attrs[k])); });
    return n;
  }

  function drawCurve(box, curve, labels) {
    var w = 280, h = 90, pad = 4;
    var values = curve.occupancy;
    var top = Math.max(1, curve.limit || 0, Math.max.apply(null, values.concat([0])));
    var step = values.length > 1 ? (w - 2 * pad) / (values.length - 1) : 0;
    var y = function (v) { return h - pad - (v / top) * (h - 2 * pad); };
    var svg = node("svg", { viewBox: "0 0 " + w + " " + h, width: "100%", role: "img", class: "gm-curve" });
    var title = node("title", {});
    title.textContent = labels.curve;
    svg.appendChild(title);
    if (curve.limit !== null && curve.limit !== undefined) {
      svg.appendChild(node("line", { x1: pad, x2: w - pad, y1: y(curve.limit), y2: y(curve.limit),
        stroke: COLOURS.full, "stroke-dasharray": "4 3", "stroke-width": 1, "data-limit": curve.limit }));
    }
    var points = values.map(function (v, i) { return (pad + i * step).toFixed(1) + "," + y(v).toFixed(1); });
    svg.appendChild(node("polyline", { points: points.join(" "), fill: "none", stroke: "#1971c2", "stroke-width": 2 }));
    box.textContent = "";
    box.appendChild(svg);
    box.setAttribute("data-points", String(values.length));
  }

  function start() {
    var block = document.getElementById("gm-occupancy");
    if (!block || !window.GridmgrMap) return;
    var data = JSON.parse(block.textContent);
    var entry = GridmgrMap.layers[data.cellsKey];
    if (!entry) return;
    var map = entry.map;
    var L_ = data.labels;
    var panel = document.getElementById("visitors");
    var fill = L.geoJSON(data.outline, { interactive: false, style: { stroke: false, fillOpacity: 0.25, fillColor: COLOURS.open } });
    fill.addTo(map);
    fill.bringToBack();
    var markers = {};
    var ticks = 0;

    function field(name) { return panel ? panel.querySelector('[data-visitors="' + name + '"]') : null; }

    function show(now) {
      var ratio = now.limit ? now.occupancy / Math.max(now.limit, 1) : 0;
      fill.setStyle({ fillColor: COLOURS[now.status], fillOpacity: 0.15 + 0.3 * Math.min(ratio, 1) });
      var box = map.getContainer();
      box.setAttribute("data-occupancy", String(now.occupancy));
      box.setAttribute("data-occupancy-status", now.status);
      if (panel) {
        panel.setAttribute("data-status", now.status);
        field("occupancy").textContent = fmt(now.occupancy);
        field("limit").textContent = now.limit === null ? L_.no_limit : L_.of + " " + fmt(now.limit);
        field("status").textContent = L_[now.status];
        field("entries").textContent = fmt(now.entries_today);
      }
      now.checkpoints.forEach(function (c) {
        var text = c.name + " · " + L_.in + " " + fmt(c.in) + " / " + L_.out + " " + fmt(c.out);
        var m = markers[c.id];
        if (!m) {
          m = L.marker([c.lat, c.lon], {
            icon: L.divIcon({ className: "gm-checkpoint", html: "", iconSize: null }),
            title: c.name,
          });
          m.addTo(map);
          markers[c.id] = m;
        }
        var el = m.getElement();
        if (el) {
          el.textContent = text;
          el.setAttribute("data-checkpoint", String(c.id));
          el.setAttribute("data-in", String(c.in));
          el.setAttribute("data-out", String(c.out));
          var state = (data.states || {})[String(c.id)];
          if (state) { el.setAttribute("data-state", state); el.classList.add("gm-checkpoint-" + state); }
        }
      });
    }

    function curve() {
      var box = field("curve");
      if (!box) return;
      fetch(data.curveUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (resp) { if (!resp.ok) throw new Error("HTTP " + resp.status); return resp.json(); })
        .then(function (c) { drawCurve(box, c, L_); })
        .catch(function () { /* the next reading tries again */ });
    }

    function refresh() {
      fetch(data.occupancyUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (resp) { if (!resp.ok) throw new Error("HTTP " + resp.status); return resp.json(); })
        .then(show)
        .catch(function () { if (panel) field("status").textContent = L_.failed; });
      if (ticks++ % CURVE_EVERY === 0) curve();
    }

    refresh();
    window.setInterval(refresh, data.refreshMs);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
