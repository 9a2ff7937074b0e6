/* gridmgr maps in the browser: GeoJSON layers, tooltips, popups and legends for gridmgr/maps.py.
   Every text that came from users (names, codes, notes) is put in the page with textContent, never
   parsed as HTML. Pages reach features through GridmgrMap.focus(layerKey, id) or any element with
   data-gm-layer="KEY" data-gm-focus="ID" (a click zooms to that feature and opens its popup). */
(function () {
  "use strict";

  var layers = {};
  var own = function (obj, key) { return obj != null && Object.prototype.hasOwnProperty.call(obj, key); };

  function cssToken(value) {
    return String(value).toLowerCase().replace(/[^a-z0-9_-]/g, "-");
  }

  /* a value as text; `roles` names the roles of {name, role} objects in the page's language */
  function display(value, roles) {
    if (value === null || value === undefined || value === "") return "–";
    if (Array.isArray(value)) {
      return value.length ? value.map(function (v) { return display(v, roles); }).join(", ") : "–";
    }
    if (typeof value === "object") {
      if ("name" in value) {
        if (!value.role) return String(value.name);
        return value.name + " (" + (own(roles, value.role) ? roles[value.role] : value.role) + ")";
      }
      return JSON.stringify(value);
    }
    if (typeof value === "number") return value.toLocaleString();
    return String(value);
  }

  function infoBox(props, fields, labels) {
    var box = document.createElement("div");
    box.className = "gm-info";
    fields.forEach(function (pair) {
      if (!own(props, pair[0])) return;
      var row = document.createElement("div");
      row.className = "gm-info-row gm-info-" + cssToken(pair[0]);
      var label = document.createElement("span");
      label.className = "gm-info-label";
      label.textContent = pair[1];
      var value = document.createElement("span");
      value.className = "gm-info-value";
      var raw = props[pair[0]];
      var named = labels && labels[pair[0]];
      value.textContent = typeof raw === "string" && own(named, raw)
        ? named[raw] : display(raw, labels && labels.role);
      row.appendChild(label);
      row.appendChild(value);
      box.appendChild(row);
    });
    return box;
  }

  /* the cells API's ?format=compact (docs/api.md): property columns with lookup tables, and integer
     coordinates (units of 10^-precision degrees), each ring's first vertex from the origin and each
     next one as the step from the one before, closing vertex left out */
  function compactColumn(name, column, tables) {
    if (name === "status" || name === "schedule") {
      var table = tables[name];
      return column.map(function (k) { return k == null ? null : table[k]; });
    }
    if (name === "wardens") {
      var posts = tables.wardens, at = 0;
      return column.counts.map(function (n) {
        var list = [];
        for (var j = 0; j < n; j++, at++) {
          var post = posts[column.posts[at]];
          list.push({ name: post[0], role: post[1] });
        }
        return list;
      });
    }
    if (name === "code" && !Array.isArray(column)) {
      return column.numbers.map(function (n) {
        var digits = String(n);
        while (digits.length < column.width) digits = "0" + digits;
        return column.prefix + digits;
      });
    }
    return column;
  }

  function compactGeometries(data) {
    var g = data.geometries, scale = Math.pow(10, data.precision);
    var ox = data.origin[0], oy = data.origin[1];
    var multi = new Set(g.multi), part = 0, ring = 0, c = 0, out = new Array(data.count);
    for (var i = 0; i < data.count; i++) {
      var polygons = [];
      for (var p = 0; p < g.parts[i]; p++, part++) {
        var rings = [];
        for (var r = 0; r < g.rings[part]; r++, ring++) {
          var n = g.vertices[ring], x = 0, y = 0, coords = new Array(n + 1);
          for (var v = 0; v < n; v++, c += 2) {
            if (v === 0) { x = g.coords[c]; y = g.coords[c + 1]; }
            else { x += g.coords[c]; y += g.coords[c + 1]; }
            coords[v] = [(ox + x) / scale, (oy + y) / scale];
          }
          coords[n] = coords[0];
          rings.push(coords);
        }
        polygons.push(rings);
      }
      out[i] = multi.has(i)
        ? { type: "MultiPolygon", coordinates: polygons }
        : { type: "Polygon", coordinates: polygons[0] || [] };
    }
    return out;
  }

  function decodeCompact(data) {
    var names = Object.keys(data.columns);
    var columns = {};
    names.forEach(function (n) { columns[n] = compactColumn(n, data.columns[n], data.tables || {}); });
    return { columns: columns, geometries: compactGeometries(data) };
  }

  /* inline data comes as {columns: {field: [...]}, geometries: [...]} (smaller than GeoJSON); fetched
     data as GeoJSON or the compact format */
  function expand(data) {
    if (!data) return { type: "FeatureCollection", features: [] };
    if (data.type) return data;
    if (data.format === "compact") data = decodeCompact(data);
    var names = Object.keys(data.columns);
    return {
      type: "FeatureCollection",
      features: data.geometries.map(function (geometry, i) {
        var props = {};
        names.forEach(function (n) { props[n] = data.columns[n][i]; });
        return { type: "Feature", properties: props, geometry: geometry };
      }),
    };
  }

  function notice(map, text, className) {
    var ctl = L.control({ position: "topleft" });
    ctl.onAdd = function () {
      var div = L.DomUtil.create("div", "gm-notice " + (className || ""));
      div.setAttribute("role", "status");
      div.textContent = text;
      return div;
    };
    ctl.addTo(map);
    return ctl;
  }

  function geojson(map, opts, data) {
    var byId = new Map();
    if (opts.pane && !map.getPane(opts.pane)) map.createPane(opts.pane).style.zIndex = 450;
    var layer = L.geoJSON(null, {
      pane: opts.pane || "overlayPane",
      style: function (feature) {
        var value = opts.styleBy ? feature.properties[opts.styleBy] : null;
        var style = Object.assign({}, opts.base, (own(opts.styles, value) && opts.styles[value]) || {});
        style.className = "gm-feature" + (value == null ? "" : " gm-" + cssToken(value));
        return style;
      },
      onEachFeature: function (feature, sub) {
        var props = feature.properties || {};
        if (opts.tooltip.length) {
          sub.bindTooltip(function () { return infoBox(props, opts.tooltip, opts.valueLabels); },
            { sticky: true, className: "gm-tooltip" });
        }
        if (opts.popup.length) {
          sub.bindPopup(function () { return infoBox(props, opts.popup, opts.valueLabels); }, { className: "gm-popup" });
        }
        var id = opts.idField ? props[opts.idField] : null;
        if (id != null) byId.set(String(id), sub);
        sub.on("add", function () {
          var el = sub.getElement && sub.getElement();
          if (!el) return;
          if (id != null) el.setAttribute("data-id", String(id));
          if (opts.styleBy) el.setAttribute("data-value", String(props[opts.styleBy]));
        });
      },
    });
    var entry = { map: map, layer: layer, byId: byId, loaded: false };
    layers[opts.key] = entry;

    function loaded(collection) {
      layer.addData(collection);
      entry.loaded = true;
      map.getContainer().setAttribute("data-loaded-" + opts.key, String(layer.getLayers().length));
      layer.fire("gm:loaded", { count: layer.getLayers().length });
    }

    if (opts.url) {
      var waiting = notice(map, opts.loading || "Loading cells…", "gm-loading");
      fetch(opts.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (resp) {
          if (!resp.ok) throw new Error("HTTP " + resp.status);
          return resp.json();
        })
        .then(function (body) { waiting.remove(); loaded(expand(body)); })
        .catch(function (err) {
          waiting.remove();
          notice(map, opts.error + " (" + err.message + ")", "gm-error");
        });
    } else {
      loaded(expand(data));
    }
    return layer;
  }

  /* VectorGrid 1.3 finds the feature under the pointer from the map's layer point less the tile's
     offset, which is wrong at a fractional zoom (the tiles are scaled): take the point from the
     canvas's own box on the screen instead, right at any scale */
  function tilePointFromCanvas() {
    var proto = L.Canvas.Tile && L.Canvas.Tile.prototype;
    if (!proto || proto._gmTilePoint) return;
    proto._gmTilePoint = function (e) {
      var box = this._container.getBoundingClientRect();
      return L.point((e.clientX - box.left) * this._size.x / box.width,
                     (e.clientY - box.top) * this._size.y / box.height);
    };
    proto._onClick = function (e) {
      var point = this._gmTilePoint(e), hit = null;
      for (var id in this._layers) {
        var sub = this._layers[id];
        if (sub.options.interactive && sub._containsPoint(point) && !this._map._draggableMoved(sub)) hit = sub;
      }
      if (hit) { L.DomEvent.fakeStop(e); this._fireEvent([hit], e); }
    };
    proto._onMouseMove = function (e) {
      if (!this._map || this._map.dragging.moving() || this._map._animatingZoom) return;
      this._handleMouseHover(e, this._gmTilePoint(e));
    };
  }

  /* a plan too big to send whole, drawn from the vector tiles API (Leaflet.VectorGrid on canvas):
     the same colours per status as `geojson`, a tooltip on hover and a popup on click built by
     infoBox, and "popupopen" fired on the layer as a GeoJSON layer's cell would (with
     ev.layer.feature.properties), so page scripts that add to the popup work alike. Zoomed out, the
     tiles carry the cells merged per status (layer opts.mergedLayer, with `cells` and `cells_zoom`):
     the same colours, a tooltip with how many cells (opts.merged: "{status}", "{count}"), and a
     click zooms in to where single cells are drawn */
  function tiles(map, opts) {
    // Leaflet 1.8 dropped DomEvent.fakeStop, which VectorGrid 1.3's canvas click still calls
    if (!L.DomEvent.fakeStop) L.DomEvent.fakeStop = function (e) { e._stopped = true; };
    tilePointFromCanvas();
    var drawn = {};  // code -> fill colour of the features drawn so far (tests and pages read it)
    var merged = {};  // status -> fill colour of the merged features drawn so far
    var styles = {};
    function styled(props) {
      var value = opts.styleBy ? props[opts.styleBy] : null;
      return Object.assign({ fill: true }, opts.base,
        (own(opts.styles, value) && opts.styles[value]) || {});
    }
    styles[opts.layer] = function (props) {
      var style = styled(props);
      if (opts.idField && props[opts.idField] != null) drawn[props[opts.idField]] = style.fillColor;
      return style;
    };
    if (opts.mergedLayer) {
      styles[opts.mergedLayer] = function (props) {
        var style = styled(props);
        if (opts.styleBy && props[opts.styleBy] != null) merged[props[opts.styleBy]] = style.fillColor;
        return style;
      };
    }
    function isMerged(props) { return props.cells_zoom != null && props.cells != null; }
    function mergedBox(props) {
      var box = document.createElement("div");
      box.className = "gm-info gm-merged";
      var status = props[opts.styleBy];
      var named = opts.valueLabels && opts.valueLabels[opts.styleBy];
      box.textContent = String(opts.merged || "{status}: {count}")
        .replace("{status}", own(named, status) ? named[status] : display(status))
        .replace("{count}", display(props.cells));
      return box;
    }
    var layer = L.vectorGrid.protobuf(opts.url, {
      rendererFactory: L.canvas.tile,
      vectorTileLayerStyles: styles,
      interactive: true,
      maxNativeZoom: opts.maxNativeZoom || 22,
    });
    var entry = { map: map, layer: layer, byId: new Map(), loaded: false, tiles: true, drawn: drawn,
                  merged: merged };
    layers[opts.key] = entry;
    /* a tile's properties as the GeoJSON layer has them: `posts` (JSON text of [name, role] pairs,
       parsed as data, never run) back into wardens as {name, role} */
    function shown(props) {
      if (typeof props.posts !== "string") return props;
      var out = Object.assign({}, props);
      try {
        out.wardens = JSON.parse(props.posts).map(function (p) { return { name: p[0], role: p[1] }; });
      } catch (e) { /* keep the names as they came */ }
      return out;
    }
    var tip = L.tooltip({ sticky: true, className: "gm-tooltip", direction: "auto" });
    var hovered = null;
    if (opts.tooltip.length) {
      layer.on("mouseover mousemove", function (ev) {
        var props = (ev.layer && ev.layer.properties) || {};
        if (hovered !== props) {
          hovered = props;
          tip.setContent(isMerged(props) ? mergedBox(props)
            : infoBox(shown(props), opts.tooltip, opts.valueLabels));
        }
        tip.setLatLng(ev.latlng);
        if (!map.hasLayer(tip)) map.openTooltip(tip);
      });
      layer.on("mouseout", function () { hovered = null; map.closeTooltip(tip); });
    }
    if (opts.popup.length) {
      layer.on("click", function (ev) {
        var props = (ev.layer && ev.layer.properties) || {};
        map.closeTooltip(tip);
        if (isMerged(props)) {  // zoom in to the single cells there
          map.setView(ev.latlng, Math.max(map.getZoom() + 1, Number(props.cells_zoom)));
          return;
        }
        var popup = L.popup({ className: "gm-popup" })
          .setLatLng(ev.latlng)
          .setContent(infoBox(shown(props), opts.popup, opts.valueLabels))
          .openOn(map);
        layer.fire("popupopen", { popup: popup, layer: { feature: { properties: props } } });
      });
    }
    layer.on("load", function () {
      var count = Object.keys(drawn).length;
      map.getContainer().setAttribute("data-loaded-" + opts.key, String(count));
      if (!entry.loaded) { entry.loaded = true; layer.fire("gm:loaded", { count: count }); }
    });
    // on the map once its first view is settled: fitting the bounds zooms in with an animation
    // (started on the next frame), during which the map still says the zoom it came from, so
    // those tiles were asked for too
    function addSettled() {
      if (map._animatingZoom) { map.once("zoomend", addSettled); return; }
      if (!map.hasLayer(layer)) layer.addTo(map);
    }
    L.Util.requestAnimFrame(addSettled);
    return layer;
  }

  function focus(key, id) {
    var entry = layers[key];
    if (!entry) return false;
    var sub = entry.byId.get(String(id));
    if (!sub) return false;
    var map = entry.map;
    if (!map.hasLayer(entry.layer)) map.addLayer(entry.layer);
    var bounds = sub.getBounds();
    map.fitBounds(bounds, { maxZoom: 18, padding: [30, 30], animate: false });
    if (sub.getPopup()) sub.openPopup(bounds.getCenter());
    else if (sub.getTooltip()) sub.openTooltip(bounds.getCenter());
    var el = sub.getElement && sub.getElement();
    if (el) {
      el.classList.add("gm-focused");
      setTimeout(function () { el.classList.remove("gm-focused"); }, 2500);
    }
    return true;
  }

  function legend(map, spec) {
    var ctl = L.control({ position: spec.position || "bottomright" });
    ctl.onAdd = function () {
      var div = L.DomUtil.create("div", "gm-legend");
      var title = document.createElement("div");
      title.className = "gm-legend-title";
      title.textContent = spec.title;
      div.appendChild(title);
      spec.items.forEach(function (item) {
        var row = document.createElement("div");
        row.className = "gm-legend-row";
        var swatch = document.createElement("span");
        swatch.className = "gm-swatch";
        swatch.style.backgroundColor = item.fill;
        swatch.style.borderColor = item.stroke;
        if (item.dash) swatch.style.borderStyle = "dashed";
        var label = document.createElement("span");
        label.className = "gm-legend-label";
        label.textContent = item.label;
        row.appendChild(swatch);
        row.appendChild(label);
        if (item.count != null) {
          var count = document.createElement("span");
          count.className = "gm-legend-count";
          count.textContent = display(item.count);
          row.appendChild(count);
        }
        div.appendChild(row);
      });
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    ctl.addTo(map);
    return ctl;
  }

  document.addEventListener("click", function (ev) {
    var link = ev.target.closest ? ev.target.closest("[data-gm-focus]") : null;
    if (!link) return;
    var key = link.getAttribute("data-gm-layer");
    if (focus(key, link.getAttribute("data-gm-focus"))) {
      ev.preventDefault();
      var box = layers[key].map.getContainer().getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) layers[key].map.getContainer().scrollIntoView();
    }
  });

  window.GridmgrMap = {
    geojson: geojson,
    tiles: tiles,
    legend: legend,
    focus: focus,
    expand: expand,
    decodeCompact: decodeCompact,
    display: display,
    layers: layers,
  };
})();
