// Commodity page: the brief's charts drawn interactively (hover values), a CSV download under each table.
"use strict";
(function () {
  const { embed, downloadLink } = window.critmin;
  const specs = JSON.parse(document.getElementById("critmin-specs").textContent);
  for (const [name, spec] of Object.entries(specs)) {
    const node = document.getElementById("chart-" + name);
    if (node) embed(node, spec);
  }
  for (const table of document.querySelectorAll("table.downloadable")) {
    table.after(downloadLink(table, table.dataset.name));
  }
  const pick = document.getElementById("commodity");
  pick.addEventListener("change", () => { pick.form.action = "/commodity/" + encodeURIComponent(pick.value); });
})();
