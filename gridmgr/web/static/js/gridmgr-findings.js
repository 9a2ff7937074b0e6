/* The coverage map's findings layer: a marker per finding (open, overdue, fixed, closed each with its
   own colour AND shape), the cells holding open findings outlined, a legend, and popups that fetch the
   finding (text, photos, deadline, responsible) from the API with the page's session. The page gives
   the data as JSON in <script type="application/json" id="gm-findings">; every text from users is
   put in the page with textContent, photos by URL. */
(function () {
  "use strict";

  var SHAPES = ["open", "overdue", "fixed", "closed"];

  function row(box, label, value) {
    if (value === null || value === undefined || value === "") return;
    var div = document.createElement("div");
    div.className = "gm-info-row";
    var l = document.createElement("span");
    l.className = "gm-info-label";
    l.textContent = label;
    var v = document.createElement("span");
    v.className = "gm-info-value";
    v.textContent = String(value);
    div.appendChild(l);
    div.appendChild(v);
    box.appendChild(div);
  }

  function fill(box, data, finding) {
    var L_ = data.labels;
    box.textContent = "";
    var state = finding.overdue ? "overdue" : finding.status;
    row(box, L_.category, data.zh ? finding.category_name.zh : finding.category_name.en);
    row(box, L_.text, finding.text);
    row(box, L_.status, L_.statuses[state] || state);
    row(box, L_.cell, finding.cell);
    row(box, L_.found, (finding.found_at || "").slice(0, 16).replace("T", " ") + " · " + finding.found_by);
    row(box, L_.deadline, finding.deadline);
    row(box, L_.responsible, [finding.unit, finding.person].filter(Boolean).join(" / "));
    row(box, L_.note, finding.note);
    if (finding.photos && finding.photos.length) {
      var photos = document.createElement("div");
      finding.photos.forEach(function (p) {
        var img = document.createElement("img");
        img.src = p.thumb_url;
        img.alt = L_.photo + " " + p.id;
        img.loading = "lazy";
        photos.appendChild(img);
      });
      box.appendChild(photos);
    }
    var link = document.createElement("a");
    link.href = data.ledger;
    link.textContent = L_.ledger;
    box.appendChild(link);
  }

  function popup(data, id) {
    var box = document.createElement("div");
    box.className = "gm-info gm-finding-popup";
    box.setAttribute("data-finding", String(id));
    box.textContent = "…";
    fetch(data.finding + id, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) { if (!resp.ok) throw new Error("HTTP " + resp.status); return resp.json(); })
      .then(function (finding) { fill(box, data, finding); })
      .catch(function (err) { box.textContent = data.labels.failed + " (" + err.message + ")"; });
    return box;
  }

  function legend(map, data) {
    var ctl = L.control({ position: "bottomleft" });
    ctl.onAdd = function () {
      var div = L.DomUtil.create("div", "gm-legend gm-findings-legend");
      var title = document.createElement("div");
      title.className = "gm-findings-title";
      title.textContent = data.labels.title;
      div.appendChild(title);
      SHAPES.forEach(function (s) {
        var r = document.createElement("div");
        r.className = "gm-legend-row";
        var mark = document.createElement("span");
        mark.className = "gm-finding gm-finding-" + s;
        var label = document.createElement("span");
        label.className = "gm-legend-label";
        label.textContent = data.labels.statuses[s];
        r.appendChild(mark);
        r.appendChild(label);
        div.appendChild(r);
      });
      var r = document.createElement("div");
      r.className = "gm-legend-row";
      var sw = document.createElement("span");
      sw.className = "gm-swatch";
      sw.style.borderColor = data.outline.color;
      sw.style.borderWidth = "3px";
      sw.style.borderStyle = "solid";
      var label = document.createElement("span");
      label.className = "gm-legend-label";
      label.textContent = data.labels.outlined;
      r.appendChild(sw);
      r.appendChild(label);
      div.appendChild(r);
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    ctl.addTo(map);
  }

  function start() {
    var el = document.getElementById("gm-findings");
    if (!el || !window.GridmgrMap) return;
    var data = JSON.parse(el.textContent);
    var entry = GridmgrMap.layers[data.cellsKey];
    if (!entry) return;
    var map = entry.map;
    var group = L.layerGroup();
    data.ids.forEach(function (id, i) {
      var state = data.status[i];
      var marker = L.marker([data.lat[i], data.lon[i]], {
        icon: L.divIcon({ className: "gm-finding gm-finding-" + state, iconSize: [14, 14] }),
        title: data.labels.statuses[state],
        riseOnHover: true,
      });
      marker.bindPopup(function () { return popup(data, id); }, { className: "gm-popup", minWidth: 200 });
      marker.on("add", function () {
        var node = marker.getElement();
        if (node) { node.setAttribute("data-finding", String(id)); node.setAttribute("data-status", state); }
      });
      group.addLayer(marker);
    });
    group.addTo(map);
    function outline() {
      data.cellsOpen.forEach(function (code) {
        var sub = entry.byId.get(String(code));
        if (!sub) return;
        sub.setStyle(data.outline);
        var node = sub.getElement && sub.getElement();
        if (node) node.classList.add("gm-open-findings");
      });
      map.getContainer().setAttribute("data-findings-outlined", String(data.cellsOpen.length));
    }
    if (entry.loaded) outline(); else entry.layer.on("gm:loaded", outline);
    legend(map, data);
    map.getContainer().setAttribute("data-findings", String(data.ids.length));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
