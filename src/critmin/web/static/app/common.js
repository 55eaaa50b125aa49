// Helpers shared by the dashboard pages. Text from the data is always set with textContent, never as HTML.
"use strict";
window.critmin = (function () {
  async function getJSON(url) {
    const res = await fetch(url, { headers: { Accept: "application/json" } });
    if (!res.ok) {
      let body = {};
      try { body = await res.json(); } catch (e) { /* not JSON */ }
      const err = new Error(body.message || res.statusText);
      err.status = res.status;
      throw err;
    }
    return res.json();
  }
  async function tryJSON(url, fallback) {
    try { return await getJSON(url); } catch (e) { return fallback; }
  }
  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }
  function band(points) {
    if (points === null || points === undefined) return "no data";
    if (points > 2500) return "highly concentrated";
    if (points >= 1500) return "moderately concentrated";
    return "unconcentrated";
  }
  function fmt(x, digits) {
    if (x === null || x === undefined || Number.isNaN(x)) return "–";
    return Number(x).toLocaleString("en", { maximumFractionDigits: digits === undefined ? 0 : digits });
  }
  function embed(node, spec) {
    return vegaEmbed(node, spec, { renderer: "svg", actions: false, ast: true, tooltip: { theme: "light" } });
  }
  // Offer a CSV download of an HTML table (cells as shown, text that a spreadsheet would run made inert).
  function tableCSV(table) {
    const quote = (s) => {
      let t = s.replace(/\s+/g, " ").trim();
      if (/^[=+\-@\t\r]/.test(t) && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) t = "'" + t;
      return /[",\n]/.test(t) ? '"' + t.replace(/"/g, '""') + '"' : t;
    };
    return Array.from(table.rows).map((r) => Array.from(r.cells).map((c) => quote(c.textContent)).join(",")).join("\n") + "\n";
  }
  function downloadLink(table, name) {
    const a = el("a", "Download this table (CSV)", { class: "download", download: name + ".csv" });
    a.href = URL.createObjectURL(new Blob([tableCSV(table)], { type: "text/csv" }));
    return a;
  }
  return { getJSON, tryJSON, el, band, fmt, embed, downloadLink };
})();
