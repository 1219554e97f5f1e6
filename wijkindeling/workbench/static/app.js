// The duidingssessie page: editor at /, read-only presentation at /presentatie.
// Every text from the data (names, notes) is written with textContent, never as HTML.
"use strict";

const PRESENT = location.pathname.startsWith("/presentatie");
const wb = { state: null, version: -1, layers: {}, labels: [], menu: null, noteTarget: null, paint: null };
window.wb = wb;

const nf = new Intl.NumberFormat("nl-NL");
const fmtInt = (x) => nf.format(Math.round(x));
const fmtNum = (x, d) => (x === null || x === undefined) ? "–" : new Intl.NumberFormat("nl-NL", { minimumFractionDigits: d, maximumFractionDigits: d }).format(x);
const fmtPct = (f, d = 1, signed = false) => (f === null || f === undefined) ? "–" : (signed && f > 0 ? "+" : "") + fmtNum(100 * f, d) + " %";
const $ = (id) => document.getElementById(id);

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function setStatus(text, bad) {
  const s = $("status");
  s.textContent = text || "";
  s.style.color = bad ? "#ffb3b3" : "";
}

async function api(method, path, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
  let resp;
  try { resp = await fetch(path, opts); } catch (err) { setStatus("De server antwoordt niet; draait 'wijkindeling sessie' nog?", true); return null; }
  let data = null;
  try { data = await resp.json(); } catch (err) { data = { error: "Onverwacht antwoord van de server." }; }
  if (!resp.ok) { setStatus(data.error || "Fout " + resp.status, true); return null; }
  return data;
}

const scen = () => encodeURIComponent(wb.state.scenario);

// ------------------------------------------------------------------ the map

let map, buurtLayer, labelLayer;

function initMap(geo) {
  map = L.map("map", { zoomSnap: 0.25 });
  buurtLayer = L.geoJSON(geo, {
    style: () => ({ color: "#444", weight: 0.8, fillOpacity: 0.7, className: "wb-buurt" }),
    onEachFeature: (f, layer) => {
      wb.layers[f.properties.code] = layer;
      layer.feature = f;
      layer.bindTooltip(() => buurtTip(f.properties), { sticky: true });
      layer.on("click", (e) => onBuurtClick(f.properties.code, e));
    },
  }).addTo(map);
  labelLayer = L.layerGroup().addTo(map);
  map.fitBounds(buurtLayer.getBounds(), { padding: [10, 10] });
  L.control.scale({ imperial: false }).addTo(map);
}

function buurtTip(p) {
  const box = el("div");
  box.appendChild(el("b", p.name));
  box.appendChild(el("div", p.code + " · " + fmtInt(p.population) + " inwoners"));
  const st = wb.state;
  if (st) {
    const a = st.labels[p.code];
    box.appendChild(el("div", "Gebied: " + st.names[a]));
    if (st.locked_buurten.includes(p.code)) box.appendChild(el("div", "vastgezet"));
    const note = st.notes.buurt[p.code];
    if (note) box.appendChild(el("div", "Notitie: " + note, "hint"));
  }
  return box;
}

function paintMap(st) {
  const bad = new Set(st.draw.areas);
  const badBuurten = new Set(st.draw.buurten);
  const locked = new Set(st.locked_buurten);
  for (const [code, layer] of Object.entries(wb.layers)) {
    const a = st.labels[code];
    const area = st.areas[a];
    layer.setStyle({
      fillColor: area.colour, fillOpacity: 0.72,
      color: badBuurten.has(code) || bad.has(a) ? "#c00" : "#333",
      weight: badBuurten.has(code) || bad.has(a) ? 3 : (locked.has(code) ? 2 : 0.8),
      dashArray: locked.has(code) ? "4 3" : null,
    });
    const path = layer.getElement && layer.getElement();
    if (path) { path.setAttribute("data-code", code); path.setAttribute("data-area", String(a)); }
  }
  labelLayer.clearLayers();
  for (const area of st.areas) {
    const members = Object.keys(st.labels).filter((c) => st.labels[c] === area.index);
    if (!members.length) continue;
    let lat = 0, lng = 0, w = 0;
    for (const c of members) {
      const ctr = wb.layers[c].getBounds().getCenter();
      const pw = 1 + wb.layers[c].feature.properties.population;
      lat += ctr.lat * pw; lng += ctr.lng * pw; w += pw;
    }
    const box = el("div", null, "area-label" + (bad.has(area.index) ? " bad" : ""));
    box.appendChild(el("b", area.name));
    box.appendChild(el("div", fmtInt(area.population)));
    box.setAttribute("data-area", String(area.index));
    const icon = L.divIcon({ html: box, className: "", iconSize: null });
    L.marker([lat / w, lng / w], { icon, interactive: false, keyboard: false }).addTo(labelLayer);
  }
}

// ------------------------------------------------------------------ the side panel

function scoreRow(table, label, value) {
  const tr = el("tr");
  tr.appendChild(el("td", label));
  tr.appendChild(el("td", value, "num"));
  table.appendChild(tr);
}

function renderPanel(st) {
  $("title").textContent = "Duidingssessie " + st.gemeente + " – " + st.scenario;
  document.title = "Sessie " + st.gemeente + " – " + st.scenario;
  const s = st.scores;
  const t = $("scores");
  t.replaceChildren();
  scoreRow(t, "Grootste afwijking van het doel", fmtPct(s.max_population_deviation));
  scoreRow(t, "Patiënten in eigen gebied" + (st.catchment_estimated ? " (geschat)" : ""), fmtPct(s.patients_in_own_area));
  scoreRow(t, "Gesplitste wijken/kernen", String(s.identity_splits));
  if (s.split_groups.length) {
    const tr = el("tr");
    const td = el("td", "Gesplitst: " + s.split_groups.join(", "), "hint");
    td.colSpan = 2;
    tr.appendChild(td);
    t.appendChild(tr);
  }
  scoreRow(t, "Doorsneden grens", fmtNum(s.cut_boundary_km, 1) + " km");
  scoreRow(t, "Doelfunctie (lager is beter)", fmtNum(s.objective, 3));
  const v = $("violations");
  v.replaceChildren();
  if (!st.violations.length) v.appendChild(el("li", "Alle regels kloppen.", "ok"));
  for (const text of st.violations) v.appendChild(el("li", text));
  $("bounds").textContent = "Toegestaan: " + fmtInt(st.lo) + " tot " + fmtInt(st.hi) + " inwoners per gebied (doel " + fmtInt(st.target) + ").";
  const at = $("areas");
  at.replaceChildren();
  const head = el("tr");
  for (const h of ["", "Gebied", "Inwoners", "Praktijken", "Eigen", ""]) head.appendChild(el("th", h));
  at.appendChild(head);
  for (const a of st.areas) at.appendChild(areaRow(st, a));
  const prov = [];
  if (st.practices_fictional) prov.push("Praktijken: FICTIEF voorbeeld.");
  if (st.catchment_estimated) prov.push("Patiëntaantallen per buurt zijn geschat.");
  $("provenance").textContent = prov.join(" ");
  $("undo").disabled = !st.can_undo;
  $("redo").disabled = !st.can_redo;
  renderNotes(st);
  renderStartfoto(st);
}

function renderStartfoto(st) {
  // The startfoto of one area next to the municipality; texts come ready-made from the server (model/startfoto.py).
  const pick = $("profile-area");
  const chosen = Math.min(wb.profileArea || 0, st.areas.length - 1);
  pick.replaceChildren();
  st.areas.forEach((a, k) => {
    const o = el("option", a.name);
    o.value = String(k);
    if (k === chosen) o.selected = true;
    pick.appendChild(o);
  });
  pick.onchange = () => { wb.profileArea = Number(pick.value); renderStartfoto(wb.state); };
  const t = $("profile");
  t.replaceChildren();
  const head = el("tr");
  for (const h of ["", "Gebied", "Gemeente"]) head.appendChild(el("th", h));
  t.appendChild(head);
  const foto = st.startfoto;
  foto.indicators.forEach((label, i) => {
    const tr = el("tr");
    tr.appendChild(el("td", label));
    tr.appendChild(el("td", foto.areas[chosen][i], "num"));
    tr.appendChild(el("td", foto.gemeente[i], "num"));
    t.appendChild(tr);
  });
}

function areaRow(st, a) {
  const tr = el("tr", null, a.out_of_bounds ? "bad" : "");
  tr.setAttribute("data-area", String(a.index));
  const sw = el("td");
  const chip = el("span", null, "swatch");
  chip.style.background = a.colour;
  sw.appendChild(chip);
  sw.appendChild(el("span", String(a.index + 1), "hint"));
  tr.appendChild(sw);
  const name = el("td");
  name.appendChild(el("span", a.name, "area-name"));
  name.appendChild(deviationBar(st, a));
  tr.appendChild(name);
  const pop = el("td", null, "num");
  pop.appendChild(el("span", fmtInt(a.population), "pop"));
  pop.appendChild(el("div", fmtPct(a.deviation, 1, true), "hint"));
  tr.appendChild(pop);
  tr.appendChild(el("td", a.practices.length ? String(a.practices.length) : "–", "num"));
  tr.appendChild(el("td", fmtPct(a.patients_in_own_area, 0), "num"));
  const act = el("td");
  if (!PRESENT) {
    const lock = el("button", a.locked ? "Los" : "Vast", "lock");
    lock.title = a.locked ? "Gebied losmaken" : "Gebied vastzetten";
    lock.onclick = () => edit("lock", { area: a.index, locked: !a.locked });
    const ren = el("button", "Naam", "rename");
    ren.onclick = () => {
      const name = prompt("Nieuwe naam voor " + a.name + ":", a.name);
      if (name !== null) edit("rename", { area: a.index, name });
    };
    const note = el("button", "Notitie", "note-area");
    note.onclick = () => selectNote({ kind: "area", target: a.index });
    const paint = el("button", wb.paint === a.index ? "Stop" : "Verf", "paint");
    paint.title = "Klik daarna buurten om ze in dit gebied te zetten";
    paint.onclick = () => { wb.paint = wb.paint === a.index ? null : a.index; render(wb.state); };
    const box = el("div", null, "acts");
    box.append(lock, ren, note, paint);
    act.appendChild(box);
  } else if (a.locked) act.appendChild(el("span", "vast", "hint"));
  tr.appendChild(act);
  return tr;
}

function deviationBar(st, a) {
  // scale: 0 .. 1.5 x target; green band = allowed range
  const max = 1.5 * st.target;
  const pos = (x) => Math.max(0, Math.min(100, 100 * x / max)) + "%";
  const bar = el("div", null, "bar");
  const range = el("div", null, "range");
  range.style.left = pos(st.lo);
  range.style.width = `calc(${pos(st.hi)} - ${pos(st.lo)})`;
  const target = el("div", null, "target");
  target.style.left = pos(st.target);
  const mark = el("div", null, "mark" + (a.out_of_bounds ? " bad" : ""));
  mark.style.left = pos(a.population);
  bar.append(range, target, mark);
  bar.title = "Inwoners t.o.v. het toegestane bereik";
  return bar;
}

function renderNotes(st) {
  const list = $("note-list");
  list.replaceChildren();
  for (const [k, text] of Object.entries(st.notes.area)) {
    const item = el("div", null, "note-item");
    item.appendChild(el("b", st.names[Number(k)] + ": "));
    item.appendChild(document.createTextNode(text));
    list.appendChild(item);
  }
  for (const [code, text] of Object.entries(st.notes.buurt)) {
    const item = el("div", null, "note-item");
    item.appendChild(el("b", wb.layers[code].feature.properties.name + ": "));
    item.appendChild(document.createTextNode(text));
    list.appendChild(item);
  }
  if (!list.children.length) list.appendChild(el("p", "Nog geen notities.", "hint"));
  const t = wb.noteTarget;
  $("note-target").textContent = PRESENT ? "" : t ? (t.kind === "area" ? "bij " + st.names[t.target] : "bij buurt " + wb.layers[t.target].feature.properties.name) : "(kies een gebied of buurt)";
}

function selectNote(target) {
  wb.noteTarget = target;
  const st = wb.state;
  $("note").value = (target.kind === "area" ? st.notes.area[String(target.target)] : st.notes.buurt[target.target]) || "";
  renderNotes(st);
  $("note").focus();
}

function render(st) {
  wb.state = st;
  wb.version = st.version;
  paintMap(st);
  renderPanel(st);
  renderJob(st.job);
}

function renderJob(job) {
  const running = job && job.state === "running";
  $("cancel").hidden = !running;
  $("optimise").disabled = !!running;
  if (!job) return;
  let text = job.text;
  if (running) {
    const p = job.progress || {};
    text += " " + fmtNum(job.seconds, 1) + " s";
    if (p.phase) text += " · " + p.phase;
    if (p.incumbent !== undefined && p.incumbent !== null) text += " · beste " + fmtNum(p.incumbent, 3);
    if (p.gap !== undefined && p.gap !== null) text += " · gat " + fmtPct(p.gap);
  }
  setStatus(text, job.state === "failed" || job.state === "no_plan");
}

// ------------------------------------------------------------------ editing

async function edit(action, body) {
  const data = await api("POST", `/api/s/${scen()}/${action}`, body);
  if (data) { setStatus(""); render(data); }
  return data;
}

function closeMenu() {
  $("menu").hidden = true;
  wb.menu = null;
  $("preview").hidden = true;
}

function onBuurtClick(code, e) {
  if (PRESENT) return;
  L.DomEvent.stopPropagation(e);
  if (wb.paint !== null && wb.paint !== undefined) {
    if (wb.state.labels[code] !== wb.paint) edit("move", { buurt: code, area: wb.paint });
    return;
  }
  openMenu(code, e.originalEvent.clientX, e.originalEvent.clientY);
}

function openMenu(code, x, y) {
  const st = wb.state;
  const m = $("menu");
  m.replaceChildren();
  const props = wb.layers[code].feature.properties;
  m.appendChild(el("div", props.name + " (" + fmtInt(props.population) + ") → ", "head"));
  for (const a of st.areas) {
    const item = el("div", null, "item" + (a.index === st.labels[code] ? " current" : ""));
    item.setAttribute("data-area", String(a.index));
    item.appendChild(el("span", a.index < 9 ? String(a.index + 1) : "", "key"));
    const chip = el("span", null, "swatch");
    chip.style.background = a.colour;
    item.appendChild(chip);
    item.appendChild(document.createTextNode(a.name));
    if (a.index !== st.labels[code]) {
      item.onmouseenter = () => preview(code, a.index);
      item.onclick = () => { closeMenu(); edit("move", { buurt: code, area: a.index }); };
    }
    m.appendChild(item);
  }
  const locked = st.locked_single.includes(code);
  const lock = el("div", locked ? "Buurt losmaken" : "Buurt vastzetten in dit gebied", "item");
  lock.onclick = () => { closeMenu(); edit("lock", { buurt: code, locked: !locked }); };
  const note = el("div", "Notitie bij deze buurt", "item");
  note.onclick = () => { closeMenu(); selectNote({ kind: "buurt", target: code }); };
  m.append(lock, note);
  m.style.left = Math.min(x, window.innerWidth - 260) + "px";
  m.style.top = Math.min(y, window.innerHeight - 40 - 26 * (st.areas.length + 3)) + "px";
  m.hidden = false;
  wb.menu = code;
}

async function preview(code, area) {
  const data = await api("POST", `/api/s/${scen()}/preview`, { buurt: code, area });
  if (!data || wb.menu !== code) return;
  const box = $("preview-body");
  box.replaceChildren();
  const t = el("table");
  for (const a of data.areas) {
    const tr = el("tr", null, a.within_bounds ? "" : "bad");
    tr.appendChild(el("td", a.name));
    tr.appendChild(el("td", fmtInt(a.before) + " → " + fmtInt(a.after), "num"));
    tr.appendChild(el("td", fmtPct(a.deviation_after, 1, true), "num"));
    t.appendChild(tr);
  }
  const labels = { objective: ["Doelfunctie", 3, 1], max_population_deviation: ["Grootste afwijking", "pct", 1],
    identity_splits: ["Gesplitste wijken/kernen", 0, 1], cut_boundary_km: ["Doorsneden grens (km)", 1, 1],
    patients_in_own_area: ["Patiënten in eigen gebied", "pct", -1] };
  for (const [key, [label, d, sign]] of Object.entries(labels)) {
    const c = data.scores[key];
    if (!c || c.change === null) continue;
    const tr = el("tr");
    tr.appendChild(el("td", label));
    const f = (x) => d === "pct" ? fmtPct(x) : fmtNum(x, d);
    tr.appendChild(el("td", f(c.before) + " → " + f(c.after), "num"));
    const good = sign * c.change < -1e-9, bad = sign * c.change > 1e-9;
    tr.appendChild(el("td", (c.change > 0 ? "+" : "") + (d === "pct" ? fmtPct(c.change) : fmtNum(c.change, d)), "num " + (good ? "change-good" : bad ? "change-bad" : "")));
    t.appendChild(tr);
  }
  box.appendChild(t);
  if (data.new_violations.length) {
    const ul = el("ul");
    for (const v of data.new_violations) ul.appendChild(el("li", "Breekt: " + v, "change-bad"));
    box.appendChild(ul);
  } else box.appendChild(el("p", data.valid ? "Alle regels blijven kloppen." : "Geen nieuwe regel gebroken.", "change-good"));
  $("preview").hidden = false;
}

document.addEventListener("keydown", (e) => {
  if (PRESENT || e.target.tagName === "TEXTAREA" || e.target.tagName === "INPUT") return;
  if (e.key === "Escape") { closeMenu(); wb.paint = null; render(wb.state); return; }
  if (wb.menu && /^[1-9]$/.test(e.key)) {
    const area = Number(e.key) - 1;
    const code = wb.menu;
    if (area < wb.state.areas.length && area !== wb.state.labels[code]) { closeMenu(); edit("move", { buurt: code, area }); }
    return;
  }
  if ((e.ctrlKey || e.metaKey) && e.key === "z") { e.preventDefault(); edit("undo"); }
  if ((e.ctrlKey || e.metaKey) && e.key === "y") { e.preventDefault(); edit("redo"); }
});

document.addEventListener("click", (e) => {
  if (wb.menu && !$("menu").contains(e.target) && !(e.target.classList && e.target.classList.contains("wb-buurt"))) closeMenu();
});

async function showSuggestions() {
  const data = await api("GET", `/api/s/${scen()}/suggest`);
  if (!data) return;
  const list = $("suggestion-list");
  list.replaceChildren();
  if (!data.moves.length) list.appendChild(el("li", "Geen enkele verplaatsing van één buurt verbetert de doelfunctie zonder een regel te breken."));
  for (const m of data.moves) {
    const li = el("li", m.buurtnaam + ": " + m.from_name + " → " + m.to_name + " (doelfunctie " + fmtNum(m.objective_change, 3) + ") ");
    const b = el("button", "Toepassen");
    b.onclick = () => { edit("move", { buurt: m.buurt, area: m.to }).then(() => showSuggestions()); };
    li.appendChild(b);
    list.appendChild(li);
  }
  $("suggestions").hidden = false;
}

async function loadScenarios() {
  const data = await api("GET", "/api/scenarios");
  if (!data) return;
  const sel = $("scenario");
  sel.replaceChildren();
  for (const name of data.scenarios) {
    const o = el("option", name);
    o.value = name;
    if (name === data.active) o.selected = true;
    sel.appendChild(o);
  }
}

function wire() {
  if (PRESENT) {
    document.body.classList.add("present");
    for (const e of document.querySelectorAll(".edit-only")) e.hidden = true;
    return;
  }
  $("undo").onclick = () => edit("undo");
  $("redo").onclick = () => edit("redo");
  $("optimise").onclick = async () => { const job = await api("POST", `/api/s/${scen()}/optimise`); if (job) renderJob(job); };
  $("cancel").onclick = async () => { const job = await api("POST", "/api/job/cancel"); if (job) renderJob(job); };
  $("suggest").onclick = showSuggestions;
  $("save").onclick = async () => {
    const name = prompt("Opslaan als scenario (letters, cijfers, - en _):", wb.state.scenario + "-sessie");
    if (!name) return;
    let data = await api("POST", `/api/s/${scen()}/save`, { name, force: false });
    if (!data && $("status").textContent.includes("bestaat al") && confirm("Scenario " + name + " bestaat al. Overschrijven?")) {
      data = await api("POST", `/api/s/${scen()}/save`, { name, force: true });
    }
    if (data) { render(data.state); loadScenarios(); setStatus("Opgeslagen in " + data.folder); }
  };
  $("compare").onclick = () => {
    const other = prompt("Vergelijk " + wb.state.scenario + " met welk scenario?", "voorstel");
    if (other) window.open("/vergelijk?a=" + encodeURIComponent(wb.state.scenario) + "&b=" + encodeURIComponent(other), "_blank");
  };
  $("scenario").onchange = async (e) => {
    const data = await api("POST", "/api/open", { name: e.target.value });
    if (data) render(data);
  };
  $("note-save").onclick = async () => {
    const t = wb.noteTarget;
    if (!t) { setStatus("Kies eerst een gebied (knop Notitie) of een buurt (klik op de kaart).", true); return; }
    const data = await edit("note", { kind: t.kind, target: t.target, text: $("note").value });
    if (data) setStatus("Notitie bewaard.");
  };
}

async function poll() {
  const v = await fetch("/api/version").then((r) => r.ok ? r.json() : null).catch(() => null);
  if (v) {
    if (v.version !== wb.version) {
      const st = await fetch("/api/state").then((r) => r.ok ? r.json() : null).catch(() => null);
      if (st) render(st);
    } else if (v.job) renderJob(v.job);
  }
  setTimeout(poll, 1000);
}

async function main() {
  const geo = await api("GET", "/api/geometry");
  if (!geo) return;
  initMap(geo);
  wire();
  const st = await api("GET", "/api/state");
  if (st) render(st);
  if (!PRESENT) loadScenarios();
  setTimeout(poll, 1000);
}

main();
