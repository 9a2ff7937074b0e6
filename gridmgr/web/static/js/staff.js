// Staff page: click cells on the map (or codes in the table) to pick them into the codes field.
// The page works without this script; it only saves typing.
(function () {
  "use strict";
  var field = document.getElementById("codes");
  if (!field) { return; }
  var PICKED = { color: "#d95f02", weight: 3, fillColor: "#fdae6b", fillOpacity: 0.55 };
  var layers = {};  // code -> [Leaflet layer of that cell]

  function codes() {
    return field.value.split(/[\s,;，；]+/).filter(function (c) { return c; });
  }

  function show() {
    var picked = {};
    codes().forEach(function (c) { picked[c] = true; });
    Object.keys(layers).forEach(function (code) { restyle(code, !!picked[code]); });
    document.querySelectorAll("table.cells tr[data-code]").forEach(function (row) {
      row.classList.toggle("picked", !!picked[row.getAttribute("data-code")]);
    });
  }

  function toggle(code) {
    var list = codes();
    var at = list.indexOf(code);
    if (at >= 0) { list.splice(at, 1); } else { list.push(code); }
    field.value = list.join(" ");
    field.dispatchEvent(new Event("change"));
  }

  function hook(entry) {
    entry.layer.eachLayer(function (sub) {
      var props = sub.feature && sub.feature.properties;
      if (!props || props.code == null) { return; }
      var code = String(props.code);
      (layers[code] = layers[code] || []).push(sub);
      sub.on("click", function () { toggle(code); });
    });
  }

  function restyle(code, picked) {
    layers[code].forEach(function (sub) {
      var entry = window.GridmgrMap.layers[frame.getAttribute("data-layer")];
      if (picked) { sub.setStyle(PICKED); } else { entry.layer.resetStyle(sub); }
      var el = sub.getElement && sub.getElement();
      if (el) { el.classList.toggle("picked", picked); }
    });
  }

  var frame = document.getElementById("staff-map");
  if (frame && window.GridmgrMap) {
    var entry = window.GridmgrMap.layers[frame.getAttribute("data-layer")];
    if (entry && entry.loaded) { hook(entry); show(); }
    else if (entry) { entry.layer.on("gm:loaded", function () { hook(entry); show(); }); }
  }
  document.querySelectorAll("table.cells td.code").forEach(function (td) {
    td.addEventListener("click", function () { toggle(td.textContent.trim()); });
  });
  field.addEventListener("change", show);
  field.addEventListener("input", show);
  show();
})();
