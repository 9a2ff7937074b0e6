/* gridmgr base maps: a layer switch of the base maps gridmgr/basemaps.py offers, and the datum shift
   of every vector layer to the datum of the base map shown. AMap's tiles are GCJ-02: while it is the
   base map every path on the map (cells, gaps, overlaps, outlines) is drawn shifted from WGS84 to
   GCJ-02 so that cells line up with its streets, and drawn at its WGS84 place again on any other base
   map. The forward transform is the same published series as gridmgr/datum.py (agreeing to well under
   a millimetre). */
(function () {
  "use strict";

  var A = 6378245.0;                  // Krasovsky 1940, the ellipsoid of the GCJ-02 series
  var EE = 0.00669342162296594323;
  var PI = Math.PI;

  function outsideChina(lon, lat) {
    return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
  }

  /* WGS84 [lon, lat] to GCJ-02 [lon, lat]; positions outside China stay as they are */
  function wgs84ToGcj02(lon, lat) {
    if (outsideChina(lon, lat)) return [lon, lat];
    var x = lon - 105.0, y = lat - 35.0, sx = Math.sqrt(Math.abs(x));
    var dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx;
    var dLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx;
    var common = (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    dLat += common;
    dLon += common;
    dLat += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    dLon += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    dLat += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    dLon += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    var rad = lat / 180.0 * PI;
    var magic = 1.0 - EE * Math.sin(rad) * Math.sin(rad);
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrtMagic) * PI);
    dLon = (dLon * 180.0) / (A / sqrtMagic * Math.cos(rad) * PI);
    return [lon + dLon, lat + dLat];
  }

  var SHIFTS = {
    wgs84: null,
    gcj02: function (ll) {
      var p = wgs84ToGcj02(ll.lng, ll.lat);
      return L.latLng(p[1], p[0]);
    },
  };

  function mapLatLngs(latlngs, fn) {
    if (Array.isArray(latlngs)) return latlngs.map(function (item) { return mapLatLngs(item, fn); });
    return fn(latlngs);
  }

  /* draw a path in `datum`: its WGS84 vertices are kept the first time it is shifted */
  function toDatum(path, datum) {
    var shift = SHIFTS[datum] || null;
    if ((path._gmDatum || "wgs84") === (shift ? datum : "wgs84")) return;
    if (!path._gmWgs84) path._gmWgs84 = mapLatLngs(path.getLatLngs(), function (ll) { return L.latLng(ll.lat, ll.lng); });
    path.setLatLngs(shift ? mapLatLngs(path._gmWgs84, shift) : path._gmWgs84);
    path._gmDatum = shift ? datum : "wgs84";
  }

  function shiftAll(map, datum) {
    map.eachLayer(function (layer) {
      if (layer instanceof L.Polyline) toDatum(layer, datum);
    });
  }

  function tileLayers(spec) {
    var parts = spec.tiles.map(function (t) {
      var options = { attribution: t.attribution, maxZoom: t.maxZoom, maxNativeZoom: t.maxNativeZoom };
      if (t.subdomains) options.subdomains = t.subdomains;
      return L.tileLayer(t.url, options);
    });
    var group = L.layerGroup(parts);
    group.gmBasemap = spec;
    return group;
  }

  /* the base maps of `specs` (the first shown), in a layer switch when there is more than one */
  function setup(map, specs, options) {
    options = options || {};
    var state = { datum: "wgs84", layers: {}, control: null };
    map.gmBasemaps = state;
    var named = {};
    specs.forEach(function (spec) {
      var layer = tileLayers(spec);
      state.layers[spec.key] = layer;
      named[spec.name] = layer;
    });
    function use(spec) {
      state.datum = spec.datum || "wgs84";
      state.key = spec.key;
      map.getContainer().setAttribute("data-basemap", spec.key);
      shiftAll(map, state.datum);
    }
    map.on("baselayerchange", function (ev) {
      if (ev.layer && ev.layer.gmBasemap) use(ev.layer.gmBasemap);
    });
    map.on("layeradd", function (ev) {
      if (ev.layer instanceof L.Polyline) toDatum(ev.layer, state.datum);
    });
    if (specs.length) {
      state.layers[specs[0].key].addTo(map);
      use(specs[0]);
    }
    if (specs.length > 1) {
      state.control = L.control.layers(named, null, {
        position: options.position || "topleft",
        collapsed: options.collapsed !== false,
      }).addTo(map);
      var el = state.control.getContainer();
      el.classList.add("gm-basemaps");
      el.setAttribute("title", options.title || "Base map");
    }
    return state;
  }

  /* show the base map `key` as the layer switch does */
  function select(map, key) {
    var state = map.gmBasemaps, layer = state && state.layers[key];
    if (!layer || map.hasLayer(layer)) return false;
    Object.keys(state.layers).forEach(function (k) {
      if (k !== key && map.hasLayer(state.layers[k])) map.removeLayer(state.layers[k]);
    });
    map.addLayer(layer);
    map.fire("baselayerchange", { layer: layer, name: layer.gmBasemap.name });
    return true;
  }

  window.GridmgrBasemaps = {
    setup: setup,
    select: select,
    wgs84ToGcj02: wgs84ToGcj02,
    toDatum: toDatum,
  };
})();
