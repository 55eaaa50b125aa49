// Events: timeline and list with filters; one measure with its sources and history (all text as text).
"use strict";
(function () {
  const { getJSON, el, embed } = window.critmin;
  const form = document.getElementById("filters");
  const PAGE = 50; // measures listed at a time (the timeline shows them all)

  // A partial registry date (2025, 2025-10, 2025-10-09) as its first day.
  function day(text) {
    const [y, m, d] = String(text).split("-");
    return `${y}-${m || "01"}-${d || "01"}`;
  }

  function query() {
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) q.append(k, v);
    return q;
  }

  async function show(id) {
    const box = document.getElementById("detail");
    box.replaceChildren(el("p", "Loading…", { class: "note" }));
    try {
      const [rec, hist] = await Promise.all([
        getJSON(`/api/events/${encodeURIComponent(id)}`),
        getJSON(`/api/events/${encodeURIComponent(id)}/history`),
      ]);
      box.replaceChildren();
      box.append(el("h3", rec.event_id), el("p", rec.summary, { class: "summary", id: "detail-summary" }));
      const dl = el("dl");
      for (const k of ["country", "measure", "measure_detail", "announced", "effective_from", "effective_to", "status", "in_force_reason"]) {
        if (rec[k] === null || rec[k] === undefined) continue;
        dl.append(el("dt", k.replace(/_/g, " ")), el("dd", rec[k]));
      }
      box.append(dl, el("h4", "Sources"));
      const ul = el("ul");
      for (const url of rec.sources || []) {
        const li = el("li");
        const safe = /^https?:\/\//.test(url);
        li.append(safe ? el("a", url, { href: url, rel: "noreferrer noopener" }) : el("span", url));
        ul.append(li);
      }
      box.append(ul, el("h4", "History"));
      const table = el("table", null, { class: "data" });
      const head = el("tr");
      for (const c of ["recorded", "action", "field", "new value", "by"]) head.append(el("th", c, { scope: "col" }));
      const thead = el("thead");
      thead.append(head);
      table.append(thead);
      const body = el("tbody");
      for (const h of hist) {
        const tr = el("tr");
        tr.append(el("td", h.recorded_at), el("td", h.action), el("td", h.field), el("td", (h.new_value || "").slice(0, 160)), el("td", h.by));
        body.append(tr);
      }
      table.append(body);
      box.append(table);
    } catch (e) {
      box.replaceChildren(el("p", e.message, { class: "error" }));
    }
  }

  async function refresh() {
    const list = document.getElementById("list");
    let rows = [];
    try {
      rows = await getJSON(`/api/events?${query()}`);
      const when = (r) => r.effective_from || r.announced || "";
      rows.sort((a, b) => when(b).localeCompare(when(a))); // newest first, undated last
      document.getElementById("count").textContent = `${rows.length} measures.`;
    } catch (e) {
      document.getElementById("count").textContent = e.message;
    }
    list.replaceChildren();
    let shown = 0;
    const more = document.getElementById("more");
    const page = () => {
      for (const r of rows.slice(shown, shown + PAGE)) {
        const li = el("li");
        const b = el("button", r.event_id, { type: "button", class: "linkish" });
        b.addEventListener("click", () => show(r.event_id));
        li.append(b, el("span", ` · ${r.country || r.iso3} · ${r.measure} · ${r.effective_from || r.announced || "undated"}`), el("p", r.summary, { class: "summary" }));
        list.append(li);
      }
      shown = Math.min(rows.length, shown + PAGE);
      more.hidden = shown >= rows.length;
      more.textContent = `Show ${Math.min(PAGE, rows.length - shown)} more (${rows.length - shown} not shown)`;
    };
    more.onclick = page;
    page();
    const wanted = new URLSearchParams(location.search).get("event");
    if (wanted) show(wanted);
    const values = rows.filter((r) => r.effective_from || r.announced).map((r) => ({
      id: r.event_id, issuer: r.iso3, measure: r.measure, summary: r.summary,
      start: day(r.effective_from || r.announced),
      end: r.effective_to ? day(r.effective_to) : null,
      in_force: r.in_force === true ? "yes" : r.in_force === false ? "no" : "unknown",
    }));
    await embed(document.getElementById("timeline"), {
      width: 1100, height: { step: 12 },
      data: { values },
      mark: { type: "point", filled: true, size: 50 },
      encoding: {
        x: { field: "start", type: "temporal", title: "effective from (or announced)" },
        y: { field: "issuer", type: "nominal", title: "issuer" },
        color: { field: "in_force", type: "nominal", title: "in force", scale: { domain: ["yes", "no", "unknown"], range: ["#c8102e", "#7f8c99", "#e0a100"] } },
        tooltip: [{ field: "id" }, { field: "measure" }, { field: "start", title: "from" }, { field: "end", title: "to" }, { field: "summary" }],
      },
    });
  }

  form.addEventListener("change", refresh);
  form.addEventListener("submit", (e) => { e.preventDefault(); refresh(); });
  refresh();
})();
