// Scenario builder: the form → a scenario spec (JSON) → POST /api/scenarios → poll → charts. The form's state
// lives in the query string, so a run can be shared by its URL (opening it runs it again).
"use strict";
(function () {
  const { getJSON, el, embed, fmt } = window.critmin;
  const form = document.getElementById("builder");
  const status = document.getElementById("run-status");
  const duration = form.elements.namedItem("duration");
  const delay = form.elements.namedItem("licence_delay");
  const AFTER = 6; // months simulated after the restriction ends (recovery)

  function monthsBetween(a, b) {
    const [ya, ma] = a.split("-").map(Number);
    const [yb, mb] = b.split("-").map(Number);
    return (yb - ya) * 12 + mb - ma;
  }

  function spec(f) {
    const low = Number(f.get("severity_low"));
    const high = Number(f.get("severity_high"));
    const duration = Number(f.get("duration"));
    const licenceDelay = Number(f.get("licence_delay") || 0);
    const targets = String(f.get("targets")).split(",").map((t) => t.trim()).filter(Boolean);
    const commodities = f.getAll("commodity");
    return {
      scenario: {
        name: `${f.get("issuer")} restricts ${commodities.join(", ")} (${f.get("stage")}) to ${targets.join(", ")}`,
        start: f.get("start"),
        months: Math.min(120, duration + AFTER),
      },
      restriction: commodities.map((commodity) => ({
        issuer: f.get("issuer"), commodity, stage: f.get("stage"), targets,
        start: f.get("start"), duration, licence_delay: licenceDelay,
        severity: low === high ? low : { dist: "uniform", low: Math.min(low, high), high: Math.max(low, high) },
      })),
    };
  }

  function fill(params) {
    for (const [name, value] of params) {
      const field = form.elements.namedItem(name);
      if (!field) continue;
      if (field instanceof HTMLSelectElement && field.multiple) {
        const wanted = params.getAll(name);
        for (const o of field.options) o.selected = wanted.includes(o.value);
      } else if ("value" in field) {
        field.value = value;
      }
    }
  }

  // the licence delay is part of the restriction: at most its duration
  function limitDelay() {
    delay.max = String(Math.max(0, Number(duration.value) || 0));
  }

  async function poll(id) {
    for (;;) {
      const job = await getJSON(`/api/scenarios/${id}`);
      if (job.status === "done" || job.status === "failed") return job;
      status.textContent = `${job.status}… ${Math.round(100 * job.progress)} % of the draws`;
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  function draw(job) {
    const r = job.results;
    const stage = r.flows.length ? r.flows[0].stage : null;
    const unit = r.shortfall.length ? r.shortfall[0].unit.replace(" per month", "") : "";
    const byImporter = {};
    for (const row of r.shortfall) {
      if (stage && row.stage !== stage) continue;
      const k = `${row.commodity}|${row.importer}`;
      const acc = byImporter[k] || (byImporter[k] = { commodity: row.commodity, importer: row.importer, unserved: 0, p05: 0, p95: 0, demand: 0 });
      acc.unserved += row.unserved; acc.p05 += row.unserved_p05; acc.p95 += row.unserved_p95; acc.demand += row.demand;
    }
    const rows = Object.values(byImporter).filter((d) => d.unserved > 0 || d.p95 > 0)
      .map((d) => ({ ...d, share: d.demand ? d.unserved / d.demand : 0 }))
      .sort((a, b) => b.unserved - a.unserved).slice(0, 20);
    const shortfall = document.getElementById("shortfall");
    if (!rows.length) {
      shortfall.replaceChildren(el("p", "No importer is short of supply in this run: other producers, stocks and substitution cover what is blocked.", { class: "note" }));
    } else embed(shortfall, {
      width: 700, height: { step: 18 },
      data: { values: rows },
      encoding: { y: { field: "importer", type: "nominal", sort: "-x", title: "importer" } },
      layer: [
        { mark: "bar", encoding: {
          x: { field: "unserved", type: "quantitative", title: `unserved over the scenario (${unit}, median parameters)` },
          color: { field: "commodity", type: "nominal", title: "commodity" },
          tooltip: [{ field: "importer" }, { field: "commodity" }, { field: "unserved", format: ",.0f" }, { field: "share", format: ".0%", title: "share of demand" }, { field: "p05", format: ",.0f", title: "sum of monthly 5th percentiles" }, { field: "p95", format: ",.0f", title: "sum of monthly 95th percentiles" }] } },
        { mark: { type: "rule", color: "#1f2a37" }, encoding: { x: { field: "p05", type: "quantitative" }, x2: { field: "p95" } } },
      ],
    });
    embed(document.getElementById("prices"), {
      width: 700, height: 260,
      data: { values: r.prices },
      encoding: {
        x: { field: "month", type: "temporal", timeUnit: "yearmonth", title: "month", axis: { format: "%b %Y" } },
        color: { field: "market", type: "nominal", title: "market" },
      },
      layer: [
        { mark: { type: "area", opacity: 0.25 }, encoding: {
          y: { field: "multiple_p05", type: "quantitative", title: "price multiple of the base price" }, y2: { field: "multiple_p95" } } },
        { mark: { type: "line", point: true }, encoding: {
          y: { field: "multiple_median", type: "quantitative" },
          tooltip: [{ field: "market" }, { field: "month" }, { field: "multiple_median", format: ".2f", title: "median multiple" }, { field: "multiple_p05", format: ".2f", title: "5th percentile" }, { field: "multiple_p95", format: ".2f", title: "95th percentile" }, { field: "source" }] } },
      ],
    });
    embed(document.getElementById("flows"), {
      width: 260, height: { step: 16 },
      data: { values: r.flows },
      transform: [{ fold: ["baseline", "shocked"], as: ["case", "volume"] }],
      mark: "bar",
      encoding: {
        row: { field: "commodity", type: "nominal", title: null },
        column: { field: "case", type: "nominal", title: null },
        y: { field: "target", type: "nominal", title: "to" },
        x: { field: "volume", type: "quantitative", title: `${unit} per month` },
        color: { field: "source", type: "nominal", title: "from", scale: { range: ["#1d5b87", "#7f8c99", "#c8102e"] } },
        tooltip: [{ field: "source" }, { field: "target" }, { field: "case" }, { field: "volume", format: ",.1f" }],
      },
    });
    const ul = document.getElementById("downloads");
    ul.replaceChildren();
    for (const name of job.tables) {
      const li = el("li");
      li.append(el("a", `${name}.csv`, { href: `/api/scenarios/${job.id}/${name}?format=csv`, download: `${name}.csv` }));
      ul.append(li);
    }
  }

  async function run() {
    if (!form.checkValidity()) { form.reportValidity(); status.textContent = "Please correct the highlighted field."; return; }
    const f = new FormData(form);
    const params = new URLSearchParams();
    for (const [k, v] of f) params.append(k, v);
    history.replaceState(null, "", `?${params}`);
    status.textContent = "submitting…";
    try {
      const res = await fetch(`/api/scenarios?draws=${encodeURIComponent(f.get("draws"))}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(spec(f)),
      });
      const job = await res.json();
      if (!res.ok) { status.textContent = `${job.field ? job.field + ": " : ""}${job.message}`; return; }
      const done = await poll(job.id);
      if (done.status === "failed") { status.textContent = `The run failed: ${done.error.message}`; return; }
      draw(done);
      status.textContent = `Done: ${done.name}, ${fmt(done.draws)} draws.`;
    } catch (e) {
      status.textContent = e.message;
    }
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); run(); });
  duration.addEventListener("input", limitDelay);
  limitDelay();
  const params = new URLSearchParams(location.search);
  if ([...params.keys()].length) { fill(params); limitDelay(); run(); }
})();
