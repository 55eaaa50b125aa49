// Overview: choropleth of the selected stage with the sites layer, stage stepper, year slider, HHI, measures.
"use strict";
(function () {
  const { getJSON, tryJSON, el, band, fmt, embed } = window.critmin;
  const form = document.getElementById("controls");
  const state = { data: null, commodity: null, flows: {} };
  const SHAPES = { mine: "triangle-up", deposit: "circle", district: "square", separation_plant: "diamond",
    metal_plant: "cross", magnet_plant: "triangle-down", refinery: "wedge" };

  async function load(cid) {
    const enc = encodeURIComponent(cid);
    const [reserves, wmd, usgs, shares, numeric, conc, trade, events] = await Promise.all([
      tryJSON(`/api/reserves/${enc}`, []),
      tryJSON(`/api/production/${enc}?source=wmd`, []),
      tryJSON(`/api/production/${enc}`, []),
      tryJSON(`/api/stage-shares/${enc}`, []),
      getJSON("/api/countries/iso-numeric"),
      tryJSON(`/api/concentration/${enc}`, []),
      tryJSON(`/api/concentration/${enc}?source=trade`, []),
      tryJSON(`/api/events?commodity=${enc}`, []),
    ]);
    const ids = Object.fromEntries(numeric.map((r) => [r.iso3, r.iso_numeric]));
    return { reserves, wmd, usgs, shares, ids, conc, trade, events };
  }

  // Values by country for one stage and year, with their unit and source.
  function stageValues(d, stage, year) {
    const country = (r) => r.iso3 && r.iso3 !== "WLD" && r.value !== null;
    if (stage === "reserves") {
      const rows = d.reserves.filter(country);
      return { rows, what: "reserves", unit: rows.length ? rows[0].unit : "", year: rows.length ? rows[0].year : null };
    }
    if (stage === "mining") {
      let rows = d.wmd.filter((r) => r.year === year && country(r));
      if (!rows.length) {
        const years = d.usgs.map((r) => r.year);
        const y = years.includes(year) ? year : Math.max(...years);
        rows = d.usgs.filter((r) => r.year === y && country(r));
      }
      return { rows, what: "mine production", unit: rows.length ? rows[0].unit : "", year: rows.length ? rows[0].year : null };
    }
    const rows = d.shares.filter((r) => r.stage === stage && r.iso3);
    const years = [...new Set(rows.map((r) => r.year))].sort();
    const y = years.filter((v) => v <= year).pop() || years[0];
    const sel = rows.filter((r) => r.year === y);
    const src = sel.length ? sel[0].source : null;
    return { rows: sel.filter((r) => r.source === src).map((r) => ({ ...r, value: r.share_pct })), what: `${stage} share`, unit: "% of world", year: y || null };
  }

  // Ores and concentrates traded from mining to refining countries (BACI), the largest flows of the year.
  async function flows(cid, year) {
    const key = `${cid}|${year}`;
    if (!(key in state.flows)) {
      state.flows[key] = await tryJSON(`/api/flows/${encodeURIComponent(cid)}?stage=mining&year=${year}&top=25`, []);
    }
    return state.flows[key];
  }

  function mapSpec(d, stage, year, sites, arcs) {
    const sv = stageValues(d, stage, year);
    const values = sv.rows.map((r) => ({ id: d.ids[r.iso3], country: r.country, value: r.value, source: r.source }));
    document.getElementById("map-what").textContent = `· ${sv.what}${sv.year ? ", " + sv.year : ""}${sv.unit ? " (" + sv.unit + ")" : ""}`;
    document.getElementById("map-note").textContent = values.length ? `${values.length} countries with data.` : "No country data for this stage.";
    return {
      width: 900, height: 440, projection: { type: "equalEarth" },
      layer: [
        { data: { url: "/static/geo/countries-110m.json", format: { type: "topojson", feature: "countries" } },
          transform: [{ lookup: "id", from: { data: { values }, key: "id", fields: ["country", "value", "source"] } }],
          mark: { type: "geoshape", stroke: "#ffffff", strokeWidth: 0.4 },
          encoding: {
            color: { field: "value", type: "quantitative", title: sv.unit || "value", scale: { scheme: "blues" }, legend: { orient: "bottom-left" } },
            tooltip: [{ field: "country" }, { field: "value", format: ",.4~r", title: sv.what }, { field: "source" }] } },
        { data: { values: sites },
          mark: { type: "point", filled: true, size: 28, opacity: 0.8, stroke: "#1f2a37", strokeWidth: 0.4 },
          encoding: {
            longitude: { field: "lon", type: "quantitative" }, latitude: { field: "lat", type: "quantitative" },
            shape: { field: "site_type", type: "nominal", title: "site type", scale: { domain: Object.keys(SHAPES), range: Object.values(SHAPES) } },
            color: { value: "#c8102e" },
            tooltip: [{ field: "name" }, { field: "site_type", title: "type" }, { field: "status" }, { field: "status_as_of", title: "status as of" },
              { field: "operator" }, { field: "source" }, { field: "licence" }] } },
        ...(arcs.length ? [{ data: { values: arcs },
          mark: { type: "rule", color: "#e07b00", opacity: 0.7, strokeCap: "round" },
          encoding: {
            longitude: { field: "exporter_lon", type: "quantitative" }, latitude: { field: "exporter_lat", type: "quantitative" },
            longitude2: { field: "importer_lon" }, latitude2: { field: "importer_lat" },
            strokeWidth: { field: "value_kusd", type: "quantitative", title: "ores traded (thousand USD)", scale: { range: [0.6, 6] }, legend: { orient: "bottom-right" } },
            tooltip: [{ field: "exporter", title: "from" }, { field: "importer", title: "to" }, { field: "year" },
              { field: "value_kusd", format: ",.0f", title: "thousand USD" }, { field: "quantity_t", format: ",.0f", title: "tonnes" },
              { field: "hs", title: "HS92" }, { field: "source" }] } }] : []),
      ],
      config: { view: { stroke: null } },
    };
  }

  async function sites(cid) {
    const q = new URLSearchParams({ commodity: cid });
    const t = document.getElementById("site-type").value;
    const s = document.getElementById("site-status").value;
    if (t) q.append("site_type", t);
    if (s) q.append("status", s);
    const geo = await tryJSON(`/api/sites?${q}`, { features: [] });
    return geo.features.map((f) => ({ ...f.properties, lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1] }));
  }

  function hhiTable(d, year) {
    const body = document.querySelector("#hhi tbody");
    body.replaceChildren();
    const pick = (rows) => {
      const years = rows.map((r) => r.year);
      const y = years.includes(year) ? year : Math.max(...years.filter((v) => v <= year), ...(years.length ? [] : [0]));
      return rows.filter((r) => r.year === (Number.isFinite(y) && years.includes(y) ? y : Math.max(...years)));
    };
    const rows = [...pick(d.conc).map((r) => ({ ...r, label: `${r.stage} (production)` })),
      ...["mining", "refining", "metal", "magnet"].flatMap((st) => pick(d.trade.filter((r) => r.stage === st)).map((r) => ({ ...r, label: `${st} (exports)` })))];
    for (const r of rows) {
      const tr = el("tr");
      tr.append(el("td", r.label), el("td", r.year), el("td", fmt(r.hhi_points), { class: "num" }), el("td", band(r.hhi_points)),
        el("td", `${r.top1 || "–"} ${r.top1_share !== null ? fmt(100 * r.top1_share, 0) + "%" : ""}`), el("td", r.source, { class: "src" }));
      body.append(tr);
    }
    if (!rows.length) {
      const tr = el("tr");
      tr.append(el("td", "No concentration figures for this commodity.", { colspan: "6" }));
      body.append(tr);
    }
  }

  function latest(d) {
    const list = document.getElementById("latest");
    list.replaceChildren();
    const rows = [...d.events].sort((a, b) => String(b.announced || b.effective_from || "").localeCompare(String(a.announced || a.effective_from || ""))).slice(0, 8);
    for (const r of rows) {
      const li = el("li");
      const a = el("a", r.event_id, { href: `/events?event=${encodeURIComponent(r.event_id)}` });
      li.append(a, el("span", ` · ${r.country || r.iso3} · ${r.measure} · ${r.announced || r.effective_from || "undated"} · ${r.in_force === true ? "in force" : r.in_force === false ? "not in force" : "in force unknown"}`));
      li.append(el("p", r.summary, { class: "summary" }));
      list.append(li);
    }
    if (!rows.length) list.append(el("li", "No measures recorded for this commodity."));
  }

  async function paint() {
    const cid = document.getElementById("commodity").value;
    if (state.commodity !== cid) {
      state.data = await load(cid);
      state.commodity = cid;
      document.querySelector("h1").textContent = `Where ${cid} comes from`;
      history.replaceState(null, "", `/?commodity=${encodeURIComponent(cid)}`);
      latest(state.data);
    }
    const stage = form.querySelector("input[name=stage]:checked").value;
    const year = Number(document.getElementById("year").value);
    document.getElementById("year-out").textContent = String(year);
    const pts = await sites(cid);
    document.getElementById("sites-count").textContent = `${pts.length} sites shown (one point per physical site).`;
    const arcs = document.getElementById("flows-on").checked ? await flows(cid, year) : [];
    document.getElementById("flows-note").textContent = !document.getElementById("flows-on").checked ? "" : arcs.length
      ? `Lines: the ${arcs.length} largest flows of ores and concentrates (HS92 ${arcs[0].hs}) from mining countries to the countries that process them, ${arcs[0].year}, by value; ${arcs[0].source}.`
      : `No flow lines: no HS92 code isolates the mined product of ${cid}, or BACI records no such trade in ${year}.`;
    const view = await embed(document.getElementById("map"), mapSpec(state.data, stage, year, pts, arcs));
    document.getElementById("map").dataset.flows = String(arcs.length);
    document.getElementById("map").dataset.sites = String(pts.length);
    document.getElementById("map").dataset.commodity = cid;
    hhiTable(state.data, year);
    return view;
  }

  form.addEventListener("change", () => { paint(); });
  form.addEventListener("input", (e) => { if (e.target.id === "year") document.getElementById("year-out").textContent = e.target.value; });
  form.addEventListener("submit", (e) => e.preventDefault());
  paint();
})();
