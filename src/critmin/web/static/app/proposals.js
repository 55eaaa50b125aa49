// News proposals on the Events page: pending measures read from articles, accepted or rejected with the token.
"use strict";
(function () {
  const { getJSON, el } = window.critmin;
  const list = document.getElementById("proposals");
  const status = document.getElementById("proposals-status");
  const by = document.getElementById("decider-by");
  const token = document.getElementById("decider-token");
  document.getElementById("decider").addEventListener("submit", (e) => e.preventDefault());

  function describe(p) {
    const c = p.candidate || {};
    const target = c.target === "all" ? "all" : (c.target || []).join(", ");
    return `${c.country || "?"} ${c.measure || "?"} (${c.status_change || "?"}): ${(c.commodities || []).join(", ")}` +
      `; target ${target || "not stated"}; effective ${c.effective || "not stated"}`;
  }

  async function decide(p, action) {
    if (!by.value.trim()) { status.textContent = "Enter your name to record who decided."; by.focus(); return; }
    if (!token.value) { status.textContent = `Enter the bearer token to ${action} a proposal.`; token.focus(); return; }
    const body = { by: by.value.trim() };
    const res = await fetch(`/api/news/proposals/${encodeURIComponent(p.proposal_id)}/${action}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", Authorization: `Bearer ${token.value}` },
      body: JSON.stringify(body),
    });
    let out = {};
    try { out = await res.json(); } catch (e) { /* not JSON */ }
    if (!res.ok) { status.textContent = `${p.proposal_id}: ${out.message || res.statusText}`; return; }
    status.textContent = action === "accept" ? `Accepted ${p.proposal_id} as ${out.event_id}.` : `Rejected ${p.proposal_id}.`;
    await load();
  }

  async function load() {
    let rows = [];
    try {
      rows = await getJSON("/api/news/proposals");
    } catch (e) {
      list.replaceChildren(el("li", e.message, { class: "error" }));
      return;
    }
    list.replaceChildren();
    if (!rows.length) list.append(el("li", "No proposals waiting for a decision.", { class: "note" }));
    for (const p of rows) {
      const li = el("li", null, { "data-proposal": p.proposal_id });
      const head = el("p");
      head.append(el("strong", p.proposal_id), el("span", ` · ${p.kind}${p.event_id ? " of " + p.event_id : ""} · confidence ${Number(p.confidence).toFixed(2)}`));
      const quote = el("blockquote", p.evidence, { class: "summary" });
      const link = /^https?:\/\//.test(p.url) ? el("a", p.url, { href: p.url, rel: "noreferrer noopener" }) : el("span", p.url);
      const actions = el("p", null, { class: "actions" });
      const accept = el("button", "Accept", { type: "button", "aria-label": `Accept proposal ${p.proposal_id}` });
      const reject = el("button", "Reject", { type: "button", "aria-label": `Reject proposal ${p.proposal_id}` });
      accept.addEventListener("click", () => decide(p, "accept"));
      reject.addEventListener("click", () => decide(p, "reject"));
      actions.append(accept, " ", reject);
      li.append(head, el("p", describe(p), { class: "summary" }), quote, link, actions);
      list.append(li);
    }
  }

  load();
})();
