/* The coverage map's rounds as evidence: a cell's popup lists its rounds of the day (time, warden,
   note, entered late, where the phone was) fetched from GET …/cells/{code}/rounds with the page's
   session; cells whose rounds today all lack proof are outlined (dashed) with a legend row. The page
   gives the data as JSON in <script type="application/json" id="gm-rounds">; every text from users
   goes in with textContent. */
(function () {
  "use strict";

  function tag(li, text, cls) {
    var span = document.createElement("span");
    span.className = "gm-round-tag " + cls;
    span.textContent = text;
    li.appendChild(span);
  }

  function list(box, data, rounds) {
    var L_ = data.labels;
    box.textContent = "";
    var title = document.createElement("div");
    title.className = "gm-info-label";
    title.textContent = L_.title;
    box.appendChild(title);
    if (!rounds.length) {
      var none = document.createElement("div");
      none.className = "muted";
      none.textContent = L_.none;
      box.appendChild(none);
      return;
    }
    var ul = document.createElement("ul");
    rounds.forEach(function (r) {
      var li = document.createElement("li");
      li.className = "gm-round";
      li.setAttribute("data-round", String(r.id));
      li.setAttribute("data-late-entry", r.late_entry ? "true" : "false");
      li.setAttribute("data-in-cell", r.in_cell === null ? "none" : String(r.in_cell));
      var text = (r.at || "").slice(11, 16) + " · " + (r.warden || "–");
      if (r.note) text += " · " + r.note;
      li.appendChild(document.createTextNode(text));
      if (r.late_entry) tag(li, L_.late + " (" + (r.received_at || "").slice(11, 16) + ")", "late");
      if (r.in_cell === true) tag(li, L_.in_cell, "proof");
      else if (r.in_cell === false) tag(li, L_.outside + " · " + Math.round(r.distance_m) + " m", "no-proof");
      else tag(li, L_.no_position, "no-proof");
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  function addList(data, popup, code) {
    var root = popup.getElement && popup.getElement();
    var content = root && root.querySelector(".leaflet-popup-content");
    if (!content || content.querySelector(".gm-rounds")) return;
    var box = document.createElement("div");
    box.className = "gm-rounds";
    box.setAttribute("data-rounds-of", code);
    box.textContent = "…";
    // the popup's content becomes a node of its own (a function's would be made again, without the list)
    var wrapper = document.createElement("div");
    while (content.firstChild) wrapper.appendChild(content.firstChild);
    wrapper.appendChild(box);
    popup.setContent(wrapper);
    var url = data.rounds.replace("{code}", encodeURIComponent(code)) + "?day=" + data.day;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) { if (!resp.ok) throw new Error("HTTP " + resp.status); return resp.json(); })
      .then(function (rounds) { list(box, data, rounds); popup.update(); })
      .catch(function (err) { box.textContent = data.labels.failed + " (" + err.message + ")"; });
  }

  function legend(map, data) {
    var ctl = L.control({ position: "bottomleft" });
    ctl.onAdd = function () {
      var div = L.DomUtil.create("div", "gm-legend gm-rounds-legend");
      var row = document.createElement("div");
      row.className = "gm-legend-row";
      var sw = document.createElement("span");
      sw.className = "gm-swatch swatch-unproven";
      var label = document.createElement("span");
      label.className = "gm-legend-label";
      label.textContent = data.labels.unproven;
      var count = document.createElement("span");
      count.className = "gm-legend-count";
      count.textContent = String(data.unproven.length);
      row.appendChild(sw);
      row.appendChild(label);
      row.appendChild(count);
      div.appendChild(row);
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    ctl.addTo(map);
  }

  function start() {
    var el = document.getElementById("gm-rounds");
    if (!el || !window.GridmgrMap) return;
    var data = JSON.parse(el.textContent);
    var entry = GridmgrMap.layers[data.cellsKey];
    if (!entry) return;
    entry.layer.on("popupopen", function (ev) {
      var props = (ev.layer && ev.layer.feature && ev.layer.feature.properties) || {};
      if (props.code != null) addList(data, ev.popup, String(props.code));
    });
    function outline() {
      data.unproven.forEach(function (code) {
        var sub = entry.byId.get(String(code));
        if (!sub) return;
        sub.setStyle(data.outline);
        var node = sub.getElement && sub.getElement();
        if (node) node.classList.add("gm-unproven");
      });
      entry.map.getContainer().setAttribute("data-unproven", String(data.unproven.length));
    }
    if (entry.loaded) outline(); else entry.layer.on("gm:loaded", outline);
    legend(entry.map, data);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
