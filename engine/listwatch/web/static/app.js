// The listwatch web view: fills the page from the journal's data and keeps it current.
// Served, it asks api/snapshot once, then api/changes (a long poll) for what changed; written as a
// report, everything it shows is in the page's boot data and nothing is asked for.
"use strict";
(function () {
  const boot = JSON.parse(document.getElementById("listwatch-boot").textContent);
  const view = {
    mode: boot.mode,
    seq: 0,
    skew: 0, // the server's clock minus the browser's, in seconds
    frozenNow: null, // a trace or report: ages count to the run's last moment
    rows: new Map(), // uid -> {data, tr}
    selected: null,
    light: "all",
    steps: new Map(), // step id -> {title, internal}
    edges: new Map(), // step id -> [<g class="edge">]
    stepRows: new Map(), // step id -> its row in the table of steps
    counts: {},
    unsorted: false,
    details: boot.details || null,
    detail: null,
  };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function status(text, kind) {
    const node = document.getElementById("status");
    node.textContent = text;
    node.className = "status " + (kind || "");
  }

  async function api(path) {
    const response = await fetch("api/" + path, { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) throw new Error(path + ": " + response.status);
    return response.json();
  }

  // apimachinery's HumanDuration, as kubectl prints AGE (listwatch.printers.human_duration).
  function humanDuration(seconds) {
    if (seconds < -1) return "<invalid>";
    if (seconds < 0) return "0s";
    const s = Math.floor(seconds);
    if (s < 120) return s + "s";
    const minutes = Math.floor(s / 60);
    if (minutes < 10) return s % 60 ? minutes + "m" + (s % 60) + "s" : minutes + "m";
    if (minutes < 180) return minutes + "m";
    const hours = Math.floor(minutes / 60);
    if (hours < 8) return minutes % 60 ? hours + "h" + (minutes % 60) + "m" : hours + "h";
    if (hours < 48) return hours + "h";
    const days = Math.floor(hours / 24);
    if (days < 8) return hours % 24 ? days + "d" + (hours % 24) + "h" : days + "d";
    if (days < 730) return days + "d";
    const years = Math.floor(days / 365);
    if (years < 8) return days % 365 ? years + "y" + (days % 365) + "d" : years + "y";
    return years + "y";
  }

  function now() {
    return view.frozenNow !== null ? view.frozenNow : Date.now() / 1000 + view.skew;
  }

  // -- the flow picture ------------------------------------------------------------------------

  function indexEdges() {
    for (const g of document.querySelectorAll("#flow g.edge")) {
      const step = (g.id || "").split(".")[0];
      if (!step) continue;
      if (!view.edges.has(step)) view.edges.set(step, []);
      view.edges.get(step).push(g);
      const label = g.querySelector("text");
      if (label) g.dataset.label = label.textContent;
    }
  }

  function label(g, text) {
    const node = g.querySelector("text");
    if (node) node.textContent = text;
  }

  function stepTable(steps) {
    const body = document.querySelector("#step-table tbody");
    for (const step of steps) {
      const tr = el(
        "tr",
        { "data-step": step.id, class: step.internal ? "internal" : "" },
        el("td", {}, el("span", { class: "step", text: step.id })),
        el("td", { text: step.sources.join(", ") + " → " + step.targets.join(", ") }),
        el("td", { text: step.title }),
        el("td", { class: "count" })
      );
      view.stepRows.set(step.id, tr);
      body.append(tr);
    }
  }

  function markRow(step, classes, text) {
    const tr = view.stepRows.get(step);
    if (!tr) return;
    tr.classList.remove("lit", "done", "dim");
    for (const name of classes) tr.classList.add(name);
    tr.lastElementChild.textContent = text;
  }

  function flash(step) {
    if (view.light !== "all") return;
    const tr = view.stepRows.get(step);
    if (tr) {
      markRow(step, ["lit"], view.counts[step] ? "×" + view.counts[step] : "");
      clearTimeout(tr._fade);
      tr._fade = setTimeout(() => tr.classList.remove("lit"), 1500);
    }
    for (const g of view.edges.get(step) || []) {
      g.classList.remove("lit");
      requestAnimationFrame(() => g.classList.add("lit"));
      g.dataset.count = view.counts[step] || 0;
      clearTimeout(g._fade);
      g._fade = setTimeout(() => g.classList.remove("lit"), 1500);
    }
  }

  function lightAll() {
    for (const step of view.stepRows.keys()) {
      markRow(step, [], view.counts[step] ? "×" + view.counts[step] : "");
    }
    for (const [step, edges] of view.edges) {
      for (const g of edges) {
        g.classList.remove("lit", "done", "dim");
        delete g.dataset.order;
        g.dataset.count = view.counts[step] || 0;
        label(g, g.dataset.label);
      }
    }
  }

  function lightPod(timeline) {
    const order = [];
    for (const entry of timeline || []) {
      if (entry.kind === "step" && !order.includes(entry.step)) order.push(entry.step);
    }
    for (const step of view.stepRows.keys()) {
      const place = order.indexOf(step);
      markRow(
        step,
        place < 0 ? ["dim"] : [place === order.length - 1 ? "lit" : "done"],
        place < 0 ? "" : "#" + (place + 1)
      );
    }
    for (const [step, edges] of view.edges) {
      const place = order.indexOf(step);
      for (const g of edges) {
        g.classList.remove("lit", "done", "dim");
        if (place < 0) {
          g.classList.add("dim");
          delete g.dataset.order;
          label(g, g.dataset.label);
        } else {
          g.classList.add(place === order.length - 1 ? "lit" : "done");
          g.dataset.order = place + 1;
          label(g, place + 1 + " \u00b7 " + g.dataset.label);
        }
      }
    }
  }

  function relight() {
    if (view.light === "pod" && view.detail) lightPod(view.detail.timeline);
    else lightAll();
  }

  // -- the steps as they happen ----------------------------------------------------------------

  function logStep(entry) {
    const list = document.getElementById("step-log");
    const step = view.steps.get(entry.step) || { title: "" };
    const item = el(
      "li",
      { "data-step": entry.step, "data-uid": entry.uid || "", class: step.internal ? "internal" : "" },
      el("span", { class: "time", text: seconds(entry.time) }),
      el("span", { class: "step", text: entry.step }),
      el("span", { class: "object", text: entry.object || "" }),
      el("span", { class: "what", text: step.title })
    );
    if (entry.uid) item.addEventListener("click", () => select(entry.uid));
    list.append(item);
    while (list.children.length > 200) list.firstElementChild.remove();
    list.scrollTop = list.scrollHeight;
  }

  function seconds(value) {
    return typeof value === "number" ? value.toFixed(3) + "s" : "";
  }

  // -- the pods table --------------------------------------------------------------------------

  function upsert(row) {
    let known = view.rows.get(row.uid);
    if (!known) {
      const tr = el("tr", { "data-uid": row.uid });
      tr.addEventListener("click", () => select(row.uid));
      known = { data: row, tr: tr };
      view.rows.set(row.uid, known);
      view.unsorted = true;
    }
    known.data = row;
    const tr = known.tr;
    tr.classList.toggle("deleted", !!row.deleted);
    tr.classList.toggle("selected", row.uid === view.selected);
    tr.dataset.status = row.cells[3];
    tr.dataset.key = row.cells[0] + "/" + row.cells[1];
    row.cells.forEach((text, i) => {
      const shown = i === 5 ? humanDuration(now() - row.created) : text;
      let td = tr.children[i];
      if (!td) td = tr.appendChild(el("td"));
      if (td.textContent !== shown) td.textContent = shown;
    });
    filterRow(known);
  }

  function remove(uid) {
    const known = view.rows.get(uid);
    if (known) {
      known.tr.remove();
      view.rows.delete(uid);
    }
  }

  function sortRows() {
    if (!view.unsorted) return;
    view.unsorted = false;
    const body = document.querySelector("#pods tbody");
    const sorted = [...view.rows.values()].sort((a, b) =>
      a.tr.dataset.key < b.tr.dataset.key ? -1 : a.tr.dataset.key > b.tr.dataset.key ? 1 : 0
    );
    const fragment = document.createDocumentFragment();
    for (const known of sorted) fragment.append(known.tr);
    body.append(fragment);
  }

  function filterRow(known) {
    const wanted = document.getElementById("pod-filter").value.trim().toLowerCase();
    const hay = known.data.cells.join(" ").toLowerCase();
    known.tr.hidden = !!wanted && !hay.includes(wanted);
  }

  function countPods() {
    let shown = 0;
    for (const known of view.rows.values()) if (!known.tr.hidden) shown++;
    const total = view.rows.size;
    document.getElementById("pod-count").textContent =
      (shown === total ? "" : "showing " + shown + " of ") + total + (total === 1 ? " pod" : " pods");
  }

  function tickAges() {
    for (const known of view.rows.values()) {
      const td = known.tr.children[5];
      const shown = humanDuration(now() - known.data.created);
      if (td && td.textContent !== shown) td.textContent = shown;
    }
  }

  // -- one pod ---------------------------------------------------------------------------------

  async function select(uid) {
    if (view.selected && view.rows.has(view.selected))
      view.rows.get(view.selected).tr.classList.remove("selected");
    view.selected = uid;
    if (view.rows.has(uid)) view.rows.get(uid).tr.classList.add("selected");
    await refreshDetail();
  }

  async function refreshDetail() {
    const uid = view.selected;
    if (!uid) return;
    let detail = null;
    try {
      detail = view.details ? view.details[uid] || null : await api("pod?uid=" + encodeURIComponent(uid));
    } catch (error) {
      detail = null;
    }
    if (uid !== view.selected) return;
    view.detail = detail;
    renderDetail(detail);
    relight();
  }

  function renderDetail(detail) {
    const title = document.getElementById("detail-title");
    const timeline = document.querySelector("#timeline tbody");
    const events = document.querySelector("#events tbody");
    timeline.replaceChildren();
    events.replaceChildren();
    if (!detail) {
      title.textContent = "That pod is gone";
      return;
    }
    const cells = detail.row.cells;
    title.replaceChildren(
      el("span", { text: "Pod " }),
      el("code", { text: cells[0] + "/" + cells[1] }),
      el("span", { class: "badge " + (detail.row.phase || "").toLowerCase(), text: cells[3] })
    );
    title.dataset.uid = detail.row.uid;
    for (const entry of detail.timeline) timeline.append(timelineRow(entry));
    for (const event of detail.events) {
      events.append(
        el(
          "tr",
          { class: event.type === "Warning" ? "warning" : "" },
          el("td", { text: event.type }),
          el("td", { text: event.reason }),
          el("td", { text: ageOf(event.last) + (event.count > 1 ? " (x" + event.count + ")" : "") }),
          el("td", { text: event.source }),
          el("td", { text: event.message })
        )
      );
    }
    renderDiagnosis(detail.diagnosis);
    renderExplanation(detail.explanations);
  }

  function ageOf(stamp) {
    const parsed = Date.parse(stamp);
    return isNaN(parsed) ? "" : humanDuration(now() - parsed / 1000);
  }

  function timelineRow(entry) {
    const change = entry.change ? changeList(entry.change) : "";
    if (entry.kind === "step") {
      return el(
        "tr",
        { "data-step": entry.step, class: entry.internal ? "internal" : "" },
        el("td", { class: "time", text: seconds(entry.time) }),
        el("td", {}, el("span", { class: "step", text: entry.step })),
        el("td", { text: entry.actor + (entry.target ? " \u2192 " + entry.target : "") }),
        el("td", {}, el("div", { text: entry.title }), el("div", { class: "detail", text: entry.detail })),
        el("td", {}, change)
      );
    }
    return el(
      "tr",
      { class: "write" },
      el("td", { class: "time", text: seconds(entry.time) }),
      el("td", {}, el("span", { class: "step none", text: entry.type })),
      el("td", { text: "" }),
      el("td", { text: "a write no step of the flow stands for (rv " + entry.revision + ")" }),
      el("td", {}, change)
    );
  }

  function changeList(change) {
    const list = el("ul", { class: "changes" });
    const shown = change.changes.length > 8 ? 6 : change.changes.length;
    let rest = null;
    change.changes.forEach((c, i) => {
      const text =
        c.op === "add"
          ? "+ " + c.path + ": " + show(c.new)
          : c.op === "remove"
          ? "\u2212 " + c.path + ": " + show(c.old)
          : "~ " + c.path + ": " + show(c.old) + " \u2192 " + show(c.new);
      const item = el("li", { class: c.op, text: text });
      if (i < shown) {
        list.append(item);
        return;
      }
      if (!rest) {
        rest = el("ul", { class: "changes" });
        const more = change.changes.length - shown + (change.more || 0);
        list.append(el("li", {}, el("details", {}, el("summary", { text: more + " more" }), rest)));
      }
      rest.append(item);
    });
    if (change.more && rest) rest.append(el("li", { class: "more", text: "\u2026 and " + change.more + " more" }));
    return list;
  }

  function show(value) {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    return text.length > 80 ? text.slice(0, 77) + "\u2026" : text;
  }

  function renderDiagnosis(diagnosis) {
    const box = document.getElementById("diagnosis");
    box.replaceChildren();
    if (!diagnosis) return;
    box.className = diagnosis.healthy ? "healthy" : "unhealthy";
    box.append(
      el("h3", {}, "Troubleshooting: ", el("span", { class: "finding", text: diagnosis.finding }))
    );
    const path = el("ol", { class: "path" });
    for (const step of diagnosis.path) {
      path.append(el("li", { text: step.ask + " " + (step.answer ? "yes" : "no") }));
    }
    box.append(path);
    if (diagnosis.evidence.length) box.append(el("pre", { class: "evidence", text: diagnosis.evidence.join("\n") }));
    if (diagnosis.fix.length) {
      box.append(el("div", { class: "fix-label", text: "Fix:" }));
      box.append(el("pre", { class: "fix", text: diagnosis.fix.join("\n") }));
    }
  }

  function renderExplanation(explanations) {
    const box = document.getElementById("explanation");
    box.replaceChildren();
    if (!explanations || !explanations.length) {
      box.append(el("p", { class: "note", text: "No scheduling attempt recorded for this pod." }));
      return;
    }
    const attempt = explanations[explanations.length - 1];
    box.append(
      el(
        "p",
        { class: "verdict" },
        "Attempt " + attempt.attempt + ": ",
        attempt.chosen
          ? el("span", {}, "chose ", el("b", { class: "chosen", text: attempt.chosen }))
          : el("span", { class: "unschedulable", text: attempt.message || "no node fits" }),
        " (" + attempt.evaluated + " of " + attempt.total + " nodes evaluated)"
      )
    );
    if (attempt.chosen && !attempt.scored) {
      box.append(
        el("p", { class: "note", text: "Only one node passed every filter: kube-scheduler then skips scoring." })
      );
    }
    const head = el("tr", {}, el("th", { text: "node" }));
    for (const f of attempt.filters) head.append(el("th", { class: "filter", text: f.plugin }));
    for (const s of attempt.scores) head.append(el("th", { class: "score", text: s.plugin + " \u00d7" + s.weight }));
    head.append(el("th", { text: "total" }), el("th", { text: "rank" }));
    const table = el("table", { class: "explain" }, el("thead", {}, head));
    const body = el("tbody");
    for (const node of attempt.nodes) {
      const rank = attempt.ranking.indexOf(node.node);
      const tr = el("tr", {
        "data-node": node.node,
        class: (node.node === attempt.chosen ? "chosen " : "") + (node.feasible ? "feasible" : "infeasible"),
      });
      tr.append(el("th", { text: node.node }));
      const verdicts = new Map(node.filters.map((f) => [f.plugin, f]));
      for (const f of attempt.filters) {
        const v = verdicts.get(f.plugin);
        const verdict = v ? v.verdict : "Skipped";
        tr.append(
          el(
            "td",
            { "data-plugin": f.plugin, class: verdict.toLowerCase(), title: v && v.reason ? v.reason : verdict },
            verdict === "Passed" ? "\u2713" : verdict === "Rejected" ? "\u2717 " + (v.reason || "") : "\u2013"
          )
        );
      }
      const scores = new Map(node.scores.map((s) => [s.plugin, s]));
      for (const s of attempt.scores) {
        const v = scores.get(s.plugin);
        tr.append(
          el("td", { "data-plugin": s.plugin, class: "score" }, v ? v.raw + " \u2192 " + v.normalized + " (" + v.weighted + ")" : "")
        );
      }
      tr.append(el("td", { class: "total", text: node.total === null ? "" : node.total }));
      tr.append(el("td", { class: "rank", text: rank < 0 ? "" : rank + 1 }));
      body.append(tr);
    }
    table.append(body);
    box.append(table);
  }

  // -- the machines ----------------------------------------------------------------------------

  function renderMachines(machines) {
    const box = document.getElementById("machines");
    box.replaceChildren();
    for (const m of machines) {
      const states = el("div", { class: "states" });
      for (const state of m.states) {
        const count = m.counts[state] || 0;
        states.append(
          el("span", { class: "state" + (count ? " occupied" : ""), "data-state": state }, state + " ", el("b", { text: count }))
        );
      }
      box.append(
        el("div", { class: "machine", "data-machine": m.name }, el("div", { class: "name", text: m.name + " (per " + m.per + ", " + m.owner + ")" }), states)
      );
    }
  }

  // -- start and follow ------------------------------------------------------------------------

  function apply(data, first) {
    view.seq = data.seq;
    if (view.mode === "live") view.skew = data.now - Date.now() / 1000;
    else view.frozenNow = data.now;
    for (const row of data.pods) upsert(row);
    for (const uid of data.gone || []) remove(uid);
    view.counts = data.stepCounts || view.counts;
    for (const entry of data.recent || []) {
      logStep(entry);
      if (!first) flash(entry.step);
    }
    if (data.machines) renderMachines(data.machines);
    sortRows();
    countPods();
    if (first) relight();
    if (view.selected && (data.touched || []).includes(view.selected)) refreshDetail();
  }

  async function follow() {
    for (;;) {
      let data;
      try {
        data = await api("changes?since=" + view.seq);
      } catch (error) {
        status("disconnected: retrying", "error");
        await new Promise((done) => setTimeout(done, 2000));
        continue;
      }
      apply(data, false);
      status(view.mode === "live" ? "live" : "recorded run", view.mode);
      if (data.closed && view.mode !== "live") return;
      if (data.closed) {
        status("the cluster stopped", "error");
        return;
      }
    }
  }

  async function start() {
    let data = boot.pods ? boot : null;
    try {
      if (!data) data = await api("snapshot");
    } catch (error) {
      status("cannot load: " + error.message, "error");
      return;
    }
    for (const step of data.steps) view.steps.set(step.id, step);
    const head = document.querySelector("#pods thead tr");
    for (const name of data.columns) head.append(el("th", { text: name }));
    indexEdges();
    stepTable(data.steps);
    apply(data, true);
    document.getElementById("pod-filter").addEventListener("input", () => {
      for (const known of view.rows.values()) filterRow(known);
      countPods();
    });
    for (const radio of document.querySelectorAll('input[name="light"]')) {
      radio.addEventListener("change", () => {
        view.light = radio.value;
        relight();
      });
    }
    setInterval(tickAges, 1000);
    if (view.mode === "report") {
      status("report of a run", "report");
      return;
    }
    status(view.mode === "live" ? "live" : "recorded run", view.mode);
    follow();
  }

  start();
})();
