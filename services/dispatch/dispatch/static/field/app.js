/* 城管通: the field app. No framework, no build step. What a person does is written to the
   phone's IndexedDB first (the outbox), then sent in order with an Idempotency-Key until the
   server acknowledges it; the shell is cached by the service worker (sw.js). */
"use strict";

const $ = (sel, root) => (root || document).querySelector(sel);
const h = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const state = { me: null, csrf: null, token: null, tokenUntil: 0, offset: 0, fix: null, tasks: [], categories: [], cases: [], periods: null, periodsAt: 0 };
const PHOTO_EDGE = 2048, PHOTO_QUALITY = 0.7, PHOTO_MAX_BYTES = 25 * 1024 * 1024, SKEW_MS = 120000;
const OUTCOMES = [["resolved", "已处理 (默认)"], ["violation", "违法属实"], ["no_violation", "现场未发现"]];
const COLOURS = { blue: ["蓝卡", "无违规"], yellow: ["黄卡", "警告"], orange: ["橙卡", "告知、处罚"], red: ["红卡", "暂扣、从重处罚"] };

// -- storage: IndexedDB ------------------------------------------------------------------------------
let dbp = null;
function db() {
  dbp = dbp || new Promise((ok, fail) => {
    const r = indexedDB.open("cgzf-field", 1);
    r.onupgradeneeded = () => {
      const d = r.result;
      d.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
      d.createObjectStore("kv");
    };
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
  return dbp;
}
async function tx(store, mode, fn) {
  const d = await db();
  return new Promise((ok, fail) => {
    const t = d.transaction(store, mode);
    const s = t.objectStore(store);
    let out;
    Promise.resolve(fn(s)).then((v) => { out = v; });
    t.oncomplete = () => ok(out);
    t.onerror = () => fail(t.error);
    t.onabort = () => fail(t.error);
  });
}
const req = (r) => new Promise((ok, fail) => { r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
const kvGet = (k) => tx("kv", "readonly", (s) => req(s.get(k)));
const kvSet = (k, v) => tx("kv", "readwrite", (s) => { s.put(v, k); });
const allItems = () => tx("outbox", "readonly", (s) => req(s.getAll()));
const putItem = (item) => tx("outbox", "readwrite", (s) => req(s.put(item)));
const deleteItem = (seq) => tx("outbox", "readwrite", (s) => { s.delete(seq); });

// -- time, position, session -------------------------------------------------------------------------
const serverNow = () => new Date(Date.now() + state.offset);
function fmtTime(d) {
  return new Date(d).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}
const span = (ms) => { const m = Math.round(Math.abs(ms) / 60000); return m >= 60 ? `${Math.floor(m / 60)} 小时 ${m % 60} 分` : `${m} 分钟`; };
function left(a) {
  // working time, on the bureau's calendar (the board's working periods); an urgent case counts clock time
  if (!a.deadline_at) return "";
  const end = Date.parse(a.deadline_at), now = serverNow().getTime();
  if (end <= now) return `<span class="late">已超时 ${span(now - end)}</span>`;
  if (a.urgency === "urgent" || !state.periods) return `剩余 ${span(end - now)}`;
  let ms = 0;
  for (const [b, e] of state.periods) { if (b >= end) break; const from = Math.max(b, now), to = Math.min(e, end); if (to > from) ms += to - from; }
  return `剩余工作时间 ${span(ms)}`;
}
function distance(a, b) {
  const R = 6371000, r = Math.PI / 180, dLat = (b.lat - a.lat) * r, dLon = (b.lon - a.lon) * r;
  const x = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * r) * Math.cos(b.lat * r) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(x));
}
function fixNow() {
  // a fresh fix each time a screen opens, with a timeout; its accuracy and age are shown, never reused silently
  return new Promise((ok) => {
    if (!navigator.geolocation) return ok(null);
    navigator.geolocation.getCurrentPosition(
      (p) => { state.fix = { lon: p.coords.longitude, lat: p.coords.latitude, acc: p.coords.accuracy, at: Date.now() }; ok(state.fix); showFix(); },
      () => { showFix("无法定位: 请打开定位权限, 到室外重试"); ok(null); },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 }
    );
  });
}
function fixText() {
  const f = state.fix;
  if (!f) return "正在定位…";
  const age = Math.round((Date.now() - f.at) / 1000);
  return `位置 ${f.lat.toFixed(5)}, ${f.lon.toFixed(5)} · 精度 ±${Math.round(f.acc)} 米 · ${age < 60 ? "刚刚" : Math.round(age / 60) + " 分钟前"}`;
}
function showFix(err) {
  document.querySelectorAll(".fix").forEach((el) => { el.textContent = err || fixText(); el.classList.toggle("bad", !!err || (state.fix && Date.now() - state.fix.at > 60000)); });
}
async function session() {
  // the signed-in person, with a first bearer token (one round trip on a weak signal, not two):
  // null when the session is over (401), undefined when there is no network
  try {
    const r = await fetch("/field/auth/session?token=true", { credentials: "same-origin" });
    if (r.status === 401) return null;
    if (!r.ok) return undefined;
    const { token: t, ...s } = await r.json();
    useToken(t);
    await kvSet("session", s); // the person, never the token
    return s;
  } catch (e) {
    return undefined;
  }
}
function useToken(t) {
  state.token = t.access_token;
  state.tokenUntil = Date.now() + t.expires_in * 1000;
  state.offset = new Date(t.server_time) - Date.now();
  const skew = $("#skew");
  skew.style.display = Math.abs(state.offset) > SKEW_MS ? "block" : "none";
  skew.textContent = `手机时间与服务器相差 ${Math.round(state.offset / 60000)} 分钟: 照片水印按服务器时间, 并已标注`;
}
async function token() {
  if (state.asking) await state.asking; // the session's CSRF token (and a first token) as the server has them now
  if (state.token && Date.now() < state.tokenUntil - 120000) return state.token;
  const r = await fetch("/field/auth/token", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": state.csrf || "" } });
  if (!r.ok) { const e = new Error((await answerText(r)) || "请重新登录"); e.status = r.status; throw e; }
  useToken(await r.json());
  return state.token;
}
const IN_CHINESE = {
  // the refusals an officer meets in the street, in their words (the API's own sentence follows)
  too_far_from_post: (m) => { const [far, radius] = (m.match(/\d+/g) || []); return `距岗点 ${far} 米, 须在 ${radius} 米内签到`; },
  position_too_uncertain: (m) => { const [acc, radius] = (m.match(/\d+/g) || []); return `定位精度 ±${acc} 米, 须优于 ±${radius} 米: 请到室外等待卫星定位`; },
};
async function answerText(r) {
  try {
    const j = await r.json();
    if (typeof j.detail === "string") return j.detail;
    return (j.detail || []).map((d) => (IN_CHINESE[d.type] ? `${IN_CHINESE[d.type](d.msg)} (${d.msg})` : `${(d.loc || []).slice(1).join(".")}: ${d.msg}`)).join("; ");
  } catch (e) { return r.statusText; }
}
async function api(path, options) {
  const o = Object.assign({ headers: {} }, options || {});
  o.headers = Object.assign({ Authorization: "Bearer " + (await token()) }, o.headers);
  const r = await fetch(path, o);
  if (!r.ok) { const e = new Error(await answerText(r)); e.status = r.status; throw e; }
  return r.status === 204 ? null : r.json();
}
async function cached(key, path) {
  // the last answer is kept, so the lists open with no signal
  try { const v = await api(path); await kvSet(key, v); return v; } catch (e) { const v = await kvGet(key); if (v) return v; throw e; }
}

// -- the outbox ----------------------------------------------------------------------------------------
const uuid = () => (crypto.randomUUID ? crypto.randomUUID() : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) => (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)));
let asked = false;
async function enqueue(item) {
  item = Object.assign({ id: uuid(), state: "queued", attempts: 0, nextAt: 0, takenAt: serverNow().toISOString(), fix: state.fix }, item);
  if (!asked && navigator.storage && navigator.storage.persist) { asked = true; navigator.storage.persist(); }
  await putItem(item);
  await showQueue();
  send();
  return item;
}
async function showQueue() {
  const items = await allItems();
  const waiting = items.filter((i) => i.state !== "sent");
  $("#queuebar").classList.toggle("on", waiting.length > 0);
  $("#queuecount").textContent = `${waiting.length} 件待上传`;
  if (location.hash === "#queue") renderQueue(items);
}
function formOf(item, files) {
  const fd = new FormData();
  for (const [k, v] of Object.entries(item.fields || {})) if (v !== null && v !== undefined && v !== "") fd.append(k, v);
  for (const f of files || item.files || []) fd.append(f.name, f.blob, f.filename);
  return fd;
}
async function post(path, key, body) {
  const headers = { "Idempotency-Key": key };
  if (!(body instanceof FormData)) headers["Content-Type"] = "application/json";
  return api(path, { method: "POST", headers, body: body instanceof FormData ? body : JSON.stringify(body) });
}
const steps = {
  // each kind of item: how it is sent. A dependent item waits for what it needs (a patrol case)
  async json(item) { return post(item.url, item.id, item.body); },
  async form(item) { return post(item.url, item.id, formOf(item)); },
  async onspot(item) {
    const report = (await allItems()).find((i) => i.id === item.after);
    if (!report || report.state !== "sent") throw Object.assign(new Error("等待巡查上报先发送"), { wait: true });
    const incident = await api(`/v1/incidents/${report.result.id}`).catch(() => null);
    if (!incident || !incident.case_id) throw Object.assign(new Error("等待立案派遣"), { wait: true });
    const list = await api(`/v1/assignments?open=true&limit=500`);
    const a = list.find((x) => x.case_id === incident.case_id && x.current);
    if (!a) throw Object.assign(new Error("等待派遣到本中队"), { wait: true });
    if (a.status === "dispatched") await post(`/v1/assignments/${a.id}/accept`, item.id + ":accept", {});
    return post(`/v1/cases/${incident.case_id}/handle`, item.id + ":handle", formOf(item));
  },
};
let sending = false;
async function send(force) {
  if (sending) return;
  sending = true;
  try {
    const items = (await allItems()).sort((a, b) => a.seq - b.seq);
    for (const item of items) {
      if (item.state === "sent" || item.state === "failed") continue;
      if (!force && item.nextAt > Date.now()) break; // in order: what follows waits for it
      item.state = "sending"; await putItem(item); await showQueue();
      try {
        item.result = await steps[item.kind](item);
        item.state = "sent"; item.sentAt = Date.now(); item.error = null;
        item.files = []; // sent: the photos leave the phone's storage
        await putItem(item);
        toast(`已上传: ${item.label}`);
        afterSent();
      } catch (e) {
        item.attempts += 1;
        item.error = e.status || e.wait ? e.message : `没有网络, 信号恢复后自动重发 (已尝试 ${item.attempts} 次)`;
        const forGood = !e.wait && [400, 401, 403, 404, 409, 413, 422].includes(e.status) && !(e.status === 409 && /being handled/.test(e.message));
        if (forGood) { item.state = "failed"; item.failedStatus = e.status; }
        else { item.state = "queued"; item.nextAt = Date.now() + Math.min(60000, 1000 * 2 ** Math.min(item.attempts, 6)) * (0.75 + Math.random() / 2); }
        await putItem(item);
        if (!forGood) break;
      }
    }
    const done = (await allItems()).filter((i) => i.state === "sent").sort((a, b) => b.sentAt - a.sentAt);
    for (const old of done.slice(20)) await deleteItem(old.seq);
  } finally {
    sending = false;
    await showQueue();
  }
}
function afterSent() { if (location.hash.startsWith("#tasks")) refreshTasks(); } // the list as the server has it now
setInterval(() => send(), 3000);
window.addEventListener("online", () => { netState(); send(true); });
window.addEventListener("offline", netState);
function netState() { const n = $("#net"); n.textContent = navigator.onLine ? "在线" : "离线"; n.classList.toggle("off", !navigator.onLine); }

// -- photos: scaled, compressed, watermarked on the phone -------------------------------------------------
async function takePhotos(input, task) {
  const out = [];
  for (const file of input.files) {
    if (!/^image\//.test(file.type)) throw new Error(`${file.name}: 不是照片`);
    if (file.size > PHOTO_MAX_BYTES) throw new Error(`${file.name}: 超过 25 MB`);
    let bitmap;
    try { bitmap = await createImageBitmap(file, { imageOrientation: "from-image" }); } catch (e) { throw new Error(`${file.name}: 无法读取此照片格式, 请用相机拍摄 JPEG`); }
    const scale = Math.min(1, PHOTO_EDGE / Math.max(bitmap.width, bitmap.height));
    const c = document.createElement("canvas");
    c.width = Math.round(bitmap.width * scale); c.height = Math.round(bitmap.height * scale);
    const g = c.getContext("2d");
    g.drawImage(bitmap, 0, 0, c.width, c.height);
    const f = state.fix, now = serverNow();
    const lines = [
      `${fmtTime(now)}${Math.abs(state.offset) > SKEW_MS ? " (已按服务器校时)" : ""}`,
      f ? `${f.lat.toFixed(5)}, ${f.lon.toFixed(5)} ±${Math.round(f.acc)}m` : "无定位",
      `${state.me.name || state.me.subject}${task ? " · " + task : ""}`,
    ];
    const size = Math.max(14, Math.round(c.width / 45));
    g.font = `${size}px sans-serif`;
    const w = Math.max(...lines.map((l) => g.measureText(l).width)) + size, hh = size * 1.35 * lines.length + size / 2;
    g.fillStyle = "rgba(0,0,0,.55)"; g.fillRect(0, c.height - hh, w, hh);
    g.fillStyle = "#fff";
    lines.forEach((l, i) => g.fillText(l, size / 2, c.height - hh + size * 1.35 * (i + 1)));
    const blob = await new Promise((ok) => c.toBlob(ok, "image/jpeg", PHOTO_QUALITY));
    out.push({ blob, filename: file.name.replace(/\.[^.]*$/, "") + ".jpg", takenAt: now.toISOString() });
  }
  return out;
}
function thumbs(el, photos) { el.innerHTML = photos.map(() => "<img alt='照片'>").join(""); [...el.children].forEach((img, i) => { img.src = URL.createObjectURL(photos[i].blob); }); }

// -- drafts: kept before the camera opens (Android may kill the page meanwhile) ------------------------------
async function saveDraft(form, photos) {
  const values = {};
  for (const el of form.elements) if (el.name && el.type !== "file") values[el.name] = el.type === "checkbox" ? el.checked : el.value;
  await kvSet("draft:" + location.hash, { values, photos });
}
async function restoreDraft(form, photos, shown) {
  const d = await kvGet("draft:" + location.hash);
  if (!d) return;
  for (const [k, v] of Object.entries(d.values)) { const el = form.elements[k]; if (el) { if (el.type === "checkbox") el.checked = v; else el.value = v; } }
  for (const [k, list] of Object.entries(d.photos || {})) { photos[k] = list; if (shown[k]) thumbs(shown[k], list); }
  form.dispatchEvent(new Event("change"));
}
const dropDraft = () => kvSet("draft:" + location.hash, null);
function photoInput(form, name, photos, task) {
  const input = form.elements[name], shown = $(`[data-thumbs=${name}]`, form);
  input.addEventListener("click", () => saveDraft(form, photos));
  input.addEventListener("change", async () => {
    try { photos[name] = (photos[name] || []).concat(await takePhotos(input, task())); thumbs(shown, photos[name]); input.value = ""; await saveDraft(form, photos); }
    catch (e) { toast(e.message); input.value = ""; }
  });
  return shown;
}

// -- screens ----------------------------------------------------------------------------------------------
const view = (s) => (s === undefined || s === seq ? $("#view") : document.createElement("main"));
const $in = (s, sel) => (s === seq && $(sel)) || document.createElement("div"); // an element of screen `s`, if it is still on show
function toast(text) { const t = $("#toast"); t.textContent = text; t.style.display = "block"; clearTimeout(toast.t); toast.t = setTimeout(() => (t.style.display = "none"), 3500); }
function tabs() {
  const squad = ["squad_officer", "squad_leader", "admin"].includes(state.me.role);
  const list = squad ? [["#tasks", "我的任务"], ["#patrol", "巡查上报"], ["#merchants", "商户"], ["#checkin", "定岗签到"], ["#queue", "待上传"]]
    : [["#report", "上报"], ["#verify", "核实"], ["#check", "核查"], ["#queue", "待上传"]];
  $("#tabs").innerHTML = list.map(([href, words]) => `<a href="${href}">${words}</a>`).join("");
  return list[0][0];
}
let seq = 0; // the screen on show: a screen still loading when another was opened writes nowhere
async function route() {
  const s = ++seq;
  await kvSet("screen", location.hash);
  document.querySelectorAll("#tabs a").forEach((a) => a.classList.toggle("on", location.hash.startsWith(a.getAttribute("href"))));
  const [name, arg] = location.hash.slice(1).split("/");
  const screen = screens[name] || screens.tasks;
  try { await screen(arg, s); } catch (e) { view(s).innerHTML = `<p class="error">${h(e.message)}</p>`; }
}
const screens = {
  async tasks(_, s) {
    view(s).innerHTML = `<div class="fix"></div><div id="list"><p class="empty">加载中…</p></div>`;
    fixNow().then(drawTasks);
    await refreshTasks();
  },
  async task(id, s) {
    const a = state.tasks.find((t) => t.id === id) || (await api(`/v1/assignments/${id}`));
    fixNow();
    const leader = state.me.role === "squad_leader" || state.me.role === "admin";
    view(s).innerHTML = `<div class="card"><h3>${h(a.category_name || a.category)} · ${h(a.case_number)}</h3>
      <div class="meta">${h(a.address || "")} ${left(a)}</div><p>${h(a.description)}</p>
      <div id="photos" class="thumbs"></div><div id="merchants"></div><div class="fix"></div>
      ${a.status === "dispatched" ? `<button id="accept">签收</button>` : ""}
      <a class="btn secondary" href="${amap(a.location)}">导航 (高德)</a><a class="btn secondary" href="${baidu(a.location)}">百度</a>
      ${["dispatched", "accepted"].includes(a.status) ? `<a class="btn" href="#handle/${a.id}">处置</a>` : ""}
      ${a.status === "accepted" ? `<a class="btn secondary" href="#seize/${a.id}">暂扣</a>` : ""}
      ${a.status === "dispatched" ? `<a class="btn secondary" href="#giveback/${a.id}">退回</a>` : ""}
      <a class="btn secondary" href="#extend/${a.id}">申请延期</a>
      ${a.extension_request ? `<div class="meta">已申请延期 ${a.extension_request.hours} 小时, 等待指挥中心答复</div>` : ""}
      ${leader ? `<div><label for="officer">分派给队员</label><select id="officer"></select><button class="secondary" id="give">分派</button></div>` : ""}
      </div>`;
    if ($("#accept")) $("#accept").onclick = async () => { await enqueue({ kind: "json", label: `签收 ${a.case_number}`, url: `/v1/assignments/${a.id}/accept`, body: {} }); location.hash = "#tasks"; };
    if (leader) {
      cached("directory", "/v1/directory").then((d) => {
        const squad = d.squads.find((q) => q.id === a.squad_id), people = squad ? squad.people.filter((p) => p.position === "队员") : [];
        $in(s, "#officer").innerHTML = people.map((p) => `<option value="${h(p.id)}" ${p.id === a.officer_id ? "selected" : ""}>${h(p.name)}${p.on_duty ? "" : " (不在岗)"}</option>`).join("");
      }).catch(() => {});
      $("#give").onclick = () => enqueue({ kind: "json", label: `分派 ${a.case_number}`, url: `/v1/assignments/${a.id}/officer`, body: { officer_id: $("#officer").value } });
    }
    caseDetail(a, s).catch(() => {});
  },
  async handle(id, s) {
    const a = state.tasks.find((t) => t.id === id) || (await api(`/v1/assignments/${id}`));
    view(s).innerHTML = `<form class="card" id="f"><h3>处置 · ${h(a.case_number)}</h3><div class="fix"></div>
      ${camera("before", "处置前照片")}<div class="thumbs" data-thumbs="before"></div>
      ${camera("after", "处置后照片")}<div class="thumbs" data-thumbs="after"></div>
      <label for="outcome">处置结果</label><select id="outcome" name="outcome">${OUTCOMES.map(([v, t]) => `<option value="${v}">${t}</option>`).join("")}</select>
      <div id="party" hidden><label for="merchant_id">当事商户编号</label><input type="text" id="merchant_id" name="merchant_id">
      <label for="dog_licence_id">犬证编号</label><input type="text" id="dog_licence_id" name="dog_licence_id"></div>
      <label for="note">说明</label><textarea id="note" name="note"></textarea>
      <button type="submit">提交</button></form>`;
    fixNow();
    const form = $("#f"), photos = {}, shown = {};
    for (const n of ["before", "after"]) shown[n] = photoInput(form, n, photos, () => a.case_number);
    form.addEventListener("change", () => { $("#party").hidden = form.outcome.value !== "violation"; });
    await restoreDraft(form, photos, shown);
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      if (!(photos.before || []).length || !(photos.after || []).length) return toast("请拍摄处置前照片和处置后照片");
      await enqueue({
        kind: "form", label: `处置 ${a.case_number}`, url: `/v1/cases/${a.case_id}/handle`,
        fields: { outcome: form.outcome.value, note: form.note.value, merchant_id: form.outcome.value === "violation" ? form.merchant_id.value : "", dog_licence_id: form.outcome.value === "violation" ? form.dog_licence_id.value : "", ...where() },
        files: files(photos, ["before", "after"]),
      });
      await dropDraft();
      location.hash = "#tasks";
    };
  },
  async seize(id, s) {
    const a = state.tasks.find((t) => t.id === id) || (await api(`/v1/assignments/${id}`));
    view(s).innerHTML = `<form class="card" id="f"><h3>暂扣 · ${h(a.case_number)}</h3><div class="fix"></div>
      <label for="items">暂扣清单 (每行: 物品 数量)</label><textarea id="items" name="items" placeholder="三轮车 1&#10;遮阳伞 2"></textarea>
      <label for="place">存放地点</label><input type="text" id="place" name="place" value="中队暂扣物品库房">
      <label for="partner">同行执法人员 (持有效执法证, 不少于两人)</label><select id="partner" name="partner" required></select>
      ${camera("photos", "暂扣物品照片")}<div class="thumbs" data-thumbs="photos"></div>
      <button type="submit">提交</button></form>`;
    fixNow();
    const form = $("#f"), photos = {}, shown = { photos: photoInput(form, "photos", photos, () => a.case_number) };
    const today = new Date().toISOString().slice(0, 10);
    cached("directory", "/v1/directory").then((d) => {
      const squad = d.squads.find((q) => q.id === a.squad_id);
      const certified = (squad ? squad.people : []).filter((p) => p.id !== state.me.subject && p.certificate_number && p.certificate_valid_until >= today);
      form.partner.innerHTML = `<option value="">请选择</option>` + certified.map((p) => `<option value="${h(p.id)}">${h(p.name)} · 执法证 ${h(p.certificate_number)}</option>`).join("");
    }).catch(() => {});
    await restoreDraft(form, photos, shown);
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      const items = form.items.value.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
        const m = l.match(/^(.*?)\s+(\d+)$/);
        return m ? { item: m[1], quantity: Number(m[2]) } : { item: l, quantity: 1 };
      });
      if (!items.length) return toast("请填写暂扣清单");
      if (!form.partner.value) return toast("请选择同行的持证执法人员");
      const officers = [state.me.subject, form.partner.value];
      await enqueue({ kind: "form", label: `暂扣 ${a.case_number}`, url: `/v1/cases/${a.case_id}/seizures`,
        fields: { inventory: JSON.stringify({ items, place: form.place.value, officers }) }, files: files(photos, ["photos"]) });
      await dropDraft();
      location.hash = "#tasks";
    };
  },
  async extend(id, s) {
    const a = state.tasks.find((t) => t.id === id) || (await api(`/v1/assignments/${id}`));
    view(s).innerHTML = `<form class="card" id="f"><h3>申请延期 · ${h(a.case_number)}</h3><div class="meta">${left(a)}</div>
      <label for="hours">延期</label><select id="hours" name="hours">${[4, 8, 16, 24, 40].map((n) => `<option value="${n}" ${n === 8 ? "selected" : ""}>${n} 个工作小时</option>`).join("")}</select>
      <label for="why">申请理由</label><textarea id="why" name="why" required></textarea><button type="submit">提交</button></form>`;
    const form = $("#f");
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      if (!form.why.value.trim()) return toast("请写明申请延期的理由");
      await enqueue({ kind: "json", label: `申请延期 ${a.case_number}`, url: `/v1/assignments/${a.id}/extension-request`, body: { hours: Number(form.hours.value), reason: form.why.value.trim() } });
      location.hash = "#tasks";
    };
  },
  async giveback(id, s) {
    const a = state.tasks.find((t) => t.id === id) || (await api(`/v1/assignments/${id}`));
    const reasons = [["wrong_jurisdiction", "非本辖区"], ["not_ours", "非本部门职责"], ["wrong_category", "分类错误"], ["other", "其他"]];
    view(s).innerHTML = `<form class="card" id="f"><h3>退回 · ${h(a.case_number)}</h3>
      <label for="reason">退回理由</label><select id="reason" name="reason">${reasons.map(([v, t]) => `<option value="${v}">${t}</option>`).join("")}</select>
      <label for="note">说明</label><textarea id="note" name="note"></textarea><button type="submit">提交</button></form>`;
    const form = $("#f");
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      await enqueue({ kind: "json", label: `退回 ${a.case_number}`, url: `/v1/assignments/${a.id}/return`, body: { reason: form.reason.value, note: form.note.value || null } });
      location.hash = "#tasks";
    };
  },
  async patrol(_, s) { await reportForm(true, s); },
  async report(_, s) { await reportForm(false, s); },
  async checkin(_, s) {
    view(s).innerHTML = `<div class="fix"></div><div id="list"><p class="empty">加载中…</p></div>`;
    await fixNow();
    const shifts = await cached("shifts", `/v1/patrol-shifts?officer_id=${encodeURIComponent(state.me.subject)}`);
    $in(s, "#list").innerHTML = shifts.length ? shifts.map((s) => `<div class="card"><h3>岗点 ${h(s.post_id)}</h3>
      <div class="meta">${fmtTime(s.starts_at)} – ${fmtTime(s.ends_at)}</div>
      ${s.checked_in_at ? `<p>已签到 ${fmtTime(s.checked_in_at)} (${s.check_in_distance_m} 米)</p>` : `<button data-shift="${h(s.id)}">签到</button>`}</div>`).join("") : `<p class="empty">今天没有排班</p>`;
    document.querySelectorAll("[data-shift]").forEach((b) => { b.onclick = async () => {
      const f = await fixNow();
      if (!f) return toast("没有定位, 无法签到");
      await enqueue({ kind: "json", label: "定岗签到", url: `/v1/patrol-shifts/${b.dataset.shift}/check-in`, body: { location: { lon: f.lon, lat: f.lat }, accuracy_m: Math.round(f.acc) } });
      location.hash = "#queue";
    }; });
  },
  async merchants(_, s) {
    view(s).innerHTML = `<div class="fix"></div><div id="list"><p class="empty">加载中…</p></div>`;
    const f = await fixNow();
    if (!f) { $in(s, "#list").innerHTML = `<p class="empty">没有定位, 无法查找附近商户</p>`; return; }
    const near = await cached("merchants", `/v1/merchants?near=${f.lon.toFixed(6)},${f.lat.toFixed(6)}&radius_m=300&limit=30`);
    state.merchants = near;
    $in(s, "#list").innerHTML = near.length ? near.map((m) => `<div class="card item colour-${h(m.colour)}"><h3>${h(m.name)} · ${COLOURS[m.colour][0]}</h3>
      <div class="meta">${Math.round(m.distance_m || 0)} 米 · ${h(m.address)} · 应采取: ${COLOURS[m.colour][1]}${m.assisted ? " <span class='tag'>帮扶对象</span>" : ""}</div>
      <div class="meta">${Object.entries(m.violations || {}).map(([c, n]) => `${h(c)} ${n} 次`).join(" · ") || "无违规记录"}</div>
      <a class="btn secondary" href="#persuade/${h(m.id)}">劝导</a></div>`).join("") : `<p class="empty">300 米内没有登记的商户</p>`;
  },
  async persuade(id, s) {
    const m = (state.merchants || []).find((x) => x.id === id) || (await api(`/v1/merchants/${id}`));
    const cats = state.categories.length ? state.categories : (state.categories = await cached("categories", "/v1/categories"));
    view(s).innerHTML = `<form class="card" id="f"><h3>劝导 · ${h(m.name)}</h3><div class="fix"></div>
      <label for="category">劝导事项</label><select id="category" name="category">${cats.map((c) => `<option value="${h(c.code)}">${h(c.name)}</option>`).join("")}</select>
      ${camera("photos", "现场照片")}<div class="thumbs" data-thumbs="photos"></div>
      <label for="note">说明</label><textarea id="note" name="note"></textarea><button type="submit">提交</button></form>`;
    fixNow();
    const form = $("#f"), photos = {}, shown = { photos: photoInput(form, "photos", photos, () => "劝导") };
    await restoreDraft(form, photos, shown);
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      const f = state.fix;
      await enqueue({ kind: "form", label: `劝导 ${m.name}`, url: `/v1/merchants/${id}/persuasions`,
        fields: { category: form.category.value, note: form.note.value, lon: f ? f.lon : "", lat: f ? f.lat : "" }, files: files(photos, ["photos"]) });
      await dropDraft();
      location.hash = "#merchants";
    };
  },
  async verify(_, s) { await monitorList("reported", "核实", s); },
  async check(_, s) { await monitorList("handled", "核查", s); },
  async judge(id, s) {
    const c = state.cases.find((x) => x.id === id) || (await api(`/v1/cases/${id}`));
    const verifying = c.status === "reported";
    view(s).innerHTML = `<form class="card" id="f"><h3>${verifying ? "核实" : "核查"} · ${h(c.case_number)}</h3><div class="fix"></div>
      ${camera("photos", "现场照片")}<div class="thumbs" data-thumbs="photos"></div>
      <label for="reason">说明</label><textarea id="reason" name="reason"></textarea>
      ${verifying ? `<button type="submit" name="yes">属实</button><button type="submit" class="secondary" name="no">不属实</button>`
        : `<button type="submit" name="yes">核查通过</button><button type="submit" class="danger" name="no">核查不通过</button>`}</form>`;
    fixNow();
    const form = $("#f"), photos = {}, shown = { photos: photoInput(form, "photos", photos, () => c.case_number) };
    await restoreDraft(form, photos, shown);
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      const yes = ev.submitter && ev.submitter.name === "yes", why = form.reason.value;
      if (!verifying && !yes && !why) return toast("核查不通过请写明理由");
      const body = verifying ? { confirmed: yes, note: why || null } : { passed: yes, reason: why || null };
      const field = verifying ? "verify" : "check";
      await enqueue({ kind: "form", label: `${verifying ? "核实" : "核查"} ${c.case_number}`, url: `/v1/cases/${c.id}/${field}`,
        fields: { [field]: JSON.stringify(body) }, files: files(photos, ["photos"]) });
      await dropDraft();
      location.hash = verifying ? "#verify" : "#check";
    };
  },
  async queue() { renderQueue(await allItems()); },
};
function where() {
  // when and where the step was taken, as the photos' corner says it, sent as fields too
  const f = state.fix;
  return { taken_at: serverNow().toISOString(), ...(f ? { lon: f.lon, lat: f.lat, accuracy_m: Math.round(f.acc) } : {}) };
}
function camera(id, words) {
  // the phone's camera: a large button of our own words, the file input itself out of sight
  return `<label for="${id}">${words}</label><label class="btn secondary" for="${id}">拍照</label>` +
    `<input id="${id}" name="${id}" class="camera" type="file" accept="image/*" capture="environment" multiple>`;
}
function files(photos, names) { return names.flatMap((n) => (photos[n] || []).map((p) => ({ name: n, blob: p.blob, filename: p.filename }))); }
async function reportForm(patrol, s) {
  const cats = state.categories.length ? state.categories : (state.categories = await cached("categories", "/v1/categories"));
  view(s).innerHTML = `<form class="card" id="f"><h3>${patrol ? "巡查上报" : "监督员上报"}</h3><div class="fix"></div>
    <label for="category">问题类别</label><select id="category" name="category">${cats.map((c) => `<option value="${h(c.code)}">${h(c.name)}</option>`).join("")}</select>
    ${camera("photos", "现场照片")}<div class="thumbs" data-thumbs="photos"></div>
    <label for="description">说明</label><textarea id="description" name="description"></textarea>
    ${patrol ? `<label><input type="checkbox" name="onspot" id="onspot"> 当场处置 (即查即处)</label>
    <div id="spot" hidden>${camera("before", "处置前照片")}<div class="thumbs" data-thumbs="before"></div>
    ${camera("after", "处置后照片")}<div class="thumbs" data-thumbs="after"></div></div>` : ""}
    <button type="submit">上报</button></form>`;
  fixNow();
  const form = $("#f"), photos = {}, shown = { photos: photoInput(form, "photos", photos, () => "") };
  if (patrol) {
    for (const n of ["before", "after"]) shown[n] = photoInput(form, n, photos, () => "巡查");
    form.addEventListener("change", () => { $("#spot").hidden = !form.onspot.checked; });
  }
  await restoreDraft(form, photos, shown);
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    const f = state.fix;
    if (!f) return toast("还没有定位, 请稍候");
    const onspot = patrol && form.onspot.checked;
    if (onspot && (!(photos.before || []).length || !(photos.after || []).length)) return toast("当场处置需要处置前照片和处置后照片");
    const report = await enqueue({
      kind: "form", label: patrol ? "巡查上报" : "监督员上报", url: patrol ? "/v1/patrol-reports" : "/v1/field-reports",
      fields: { category: form.category.value, description: form.description.value, lon: f.lon, lat: f.lat, observed_at: serverNow().toISOString() },
      files: files(photos, ["photos"]),
    });
    if (onspot) await enqueue({ kind: "onspot", label: "当场处置", after: report.id, fields: { outcome: "resolved", note: "即查即处: 巡查发现, 当场处置", ...where() }, files: files(photos, ["before", "after"]) });
    await dropDraft();
    location.hash = "#queue";
  };
}
function useTasks(board, source) {
  // the tasks (the nearest deadline first) and the working periods the time left is counted on
  state.periods = board.periods.map(([b, e]) => [Date.parse(b), Date.parse(e)]);
  state.tasks = board.tasks.filter((a) => a.current && ["dispatched", "accepted"].includes(a.status));
  state.source = source;
}
async function refreshTasks() {
  if (!state.source) { const known = await kvGet("tasks"); if (known) { useTasks(known, "phone"); drawTasks(); } } // at once, from the phone
  try {
    // an officer's own and the squad's not yet given to anyone; a leader's whole squad
    const mine = state.me.role === "squad_officer" ? "&mine=true" : "";
    const [tasks, calendar] = await Promise.all([
      api(`/v1/assignments?open=true&order=deadline&limit=100${mine}`),
      state.periodsAt > Date.now() - 3600000 ? null : api("/v1/calendar/working-periods"),
    ]);
    const board = { tasks, periods: calendar ? calendar.periods : (await kvGet("tasks")).periods };
    if (calendar) state.periodsAt = Date.now();
    await kvSet("tasks", board);
    useTasks(board, "network");
  } catch (e) { if (e.status === 401) return needSignIn(); if (state.source) toast("离线: 显示手机上保存的任务"); else toast(e.message); }
  drawTasks();
}
function drawTasks() {
  const list = $("#list");
  if (!list || !location.hash.startsWith("#tasks") || !state.source) return;
  list.dataset.source = state.source; // where the list came from: the phone's copy, or the network
  const tasks = state.tasks.slice().sort((a, b) => new Date(a.deadline_at || 8e15) - new Date(b.deadline_at || 8e15));
  list.innerHTML = tasks.length ? tasks.map((a) => `<a class="card" style="display:block;color:inherit;text-decoration:none" href="#task/${a.id}">
    <h3>${h(a.category_name || a.category)} ${a.urgency === "urgent" ? "<span class='tag urgent'>紧急</span>" : ""}${a.officer_id ? "" : "<span class='tag'>待分派</span>"}${a.status === "accepted" ? "<span class='tag'>已签收</span>" : ""}</h3>
    <div class="meta">${h(a.case_number)} · ${left(a)}${state.fix ? ` · ${Math.round(distance(state.fix, a.location))} 米` : ""}</div>
    <div>${h(a.address || "")} ${h(a.description.slice(0, 60))}</div></a>`).join("") : `<p class="empty">没有待办任务</p>`;
  showFix();
}
async function caseDetail(a, s) {
  const c = await api(`/v1/cases/${a.case_id}`);
  const incident = await api(`/v1/incidents/${c.incident_id}`).catch(() => null);
  if (incident && incident.photos) $in(s, "#photos").innerHTML = incident.photos.map((p) => `<img alt="上报照片" src="${h(p.url)}">`).join("");
  const near = await api(`/v1/merchants?near=${a.location.lon},${a.location.lat}&radius_m=50&limit=3`).catch(() => []);
  $in(s, "#merchants").innerHTML = near.map((m) => `<div class="item colour-${h(m.colour)}">${h(m.name)} · ${COLOURS[m.colour][0]}: ${COLOURS[m.colour][1]}${m.assisted ? " <span class='tag'>帮扶对象</span>" : ""} <span class="meta">${Math.round(m.distance_m || 0)} 米 · ${h(m.id)}</span></div>`).join("");
}
async function monitorList(status, words, s) {
  view(s).innerHTML = `<div class="fix"></div><div id="list"><p class="empty">加载中…</p></div>`;
  await fixNow();
  const f = state.fix, near = f ? `&near=${f.lon.toFixed(6)},${f.lat.toFixed(6)}&radius_m=3000` : "";
  const cases = await cached("cases-" + status, `/v1/cases?status=${status}&limit=100${near}`); // near me, nearest first
  state.cases = cases.filter((c) => c.handled_by !== state.me.subject); // 监管分离: never one's own
  $in(s, "#list").innerHTML = state.cases.length ? state.cases.map((c) => `<a class="card" style="display:block;color:inherit;text-decoration:none" href="#judge/${c.id}">
    <h3>${words} · ${h(c.category)}</h3><div class="meta">${h(c.case_number)}${state.fix ? ` · ${Math.round(distance(state.fix, c.location))} 米` : ""}
    ${c.monitor_due_at ? ` · ${words}时限 ${left({ deadline_at: c.monitor_due_at, urgency: "urgent" })}` : ""}</div></a>`).join("") : `<p class="empty">没有待${words}案件</p>`;
}
function renderQueue(items) {
  if (location.hash !== "#queue") return;
  const names = { queued: "待发送", sending: "发送中", sent: "已送达", failed: "被拒绝" };
  const sorted = items.slice().sort((a, b) => b.seq - a.seq);
  view().innerHTML = sorted.length ? sorted.map((i) => `<div class="card item ${i.state}"><h3>${h(i.label)} · ${names[i.state]}</h3>
    <div class="meta">${fmtTime(i.takenAt)}${i.files && i.files.length ? ` · ${i.files.length} 张照片` : ""}</div>
    ${i.error ? `<div class="error">${h(i.error)}</div>` : ""}
    ${i.state === "failed" ? `<button data-retry="${i.seq}">重试</button><button class="secondary" data-drop="${i.seq}">删除</button>` : ""}</div>`).join("") : `<p class="empty">没有待上传的内容</p>`;
  document.querySelectorAll("[data-retry]").forEach((b) => { b.onclick = async () => { const i = items.find((x) => x.seq === +b.dataset.retry); i.state = "queued"; i.nextAt = 0; await putItem(i); send(true); }; });
  document.querySelectorAll("[data-drop]").forEach((b) => { b.onclick = async () => { if (confirm("删除后无法恢复, 确定删除?")) { await deleteItem(+b.dataset.drop); showQueue(); } }; });
}
// WGS-84 (stored) to GCJ-02 (高德) and BD-09 (百度)
function gcj(p) {
  const a = 6378245.0, ee = 0.00669342162296594323, x = p.lon - 105, y = p.lat - 35;
  let dLat = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  dLat += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3 + ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3 + ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
  let dLon = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  dLon += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3 + ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3 + ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  const rad = (p.lat / 180) * Math.PI, m = 1 - ee * Math.sin(rad) ** 2, s = Math.sqrt(m);
  return { lat: p.lat + (dLat * 180) / (((a * (1 - ee)) / (m * s)) * Math.PI), lon: p.lon + (dLon * 180) / ((a / s) * Math.cos(rad) * Math.PI) };
}
function bd(p) {
  const g = gcj(p), k = (Math.PI * 3000) / 180, z = Math.sqrt(g.lon ** 2 + g.lat ** 2) + 0.00002 * Math.sin(g.lat * k), t = Math.atan2(g.lat, g.lon) + 0.000003 * Math.cos(g.lon * k);
  return { lon: z * Math.cos(t) + 0.0065, lat: z * Math.sin(t) + 0.006 };
}
const amap = (p) => { const g = gcj(p); return `https://uri.amap.com/marker?position=${g.lon.toFixed(6)},${g.lat.toFixed(6)}&coordinate=gaode&callnative=1`; };
const baidu = (p) => { const b = bd(p); return `https://api.map.baidu.com/marker?location=${b.lat.toFixed(6)},${b.lon.toFixed(6)}&coord_type=bd09ll&output=html&src=cgzf.field`; };

// -- live: the same stream the console follows -----------------------------------------------------------------
let stream = null;
async function live() {
  if (stream) stream.close();
  try { stream = new EventSource(`/v1/assignments/stream?access_token=${encodeURIComponent(await token())}`); } catch (e) { return; }
  stream.addEventListener("assignment", (ev) => {
    const a = JSON.parse(ev.data), known = state.tasks.some((t) => t.id === a.id);
    const mine = a.current && a.status === "dispatched" && (!a.officer_id || a.officer_id === state.me.subject || state.me.role !== "squad_officer");
    if (!known && mine) { if (navigator.vibrate) navigator.vibrate([200, 100, 200]); beep(); toast(`新任务: ${a.category_name || a.category} ${a.case_number}`); }
    refreshTasks();
  });
  stream.addEventListener("reload", refreshTasks);
  stream.addEventListener("hello", refreshTasks); // (re)connected: what came while it was away
  stream.onerror = () => { stream.close(); setTimeout(live, 5000); }; // a new token each time it comes back
}
function beep() { try { const c = new AudioContext(), o = c.createOscillator(); o.connect(c.destination); o.frequency.value = 880; o.start(); o.stop(c.currentTime + 0.25); } catch (e) { /* no sound */ } }
document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") { refreshTasks(); send(true); } });

function needSignIn() {
  view().innerHTML = `<div class="card"><p>登录已过期。待上传的内容保存在手机上, 登录后继续发送。</p><a class="btn" href="/field/auth/login?next=/field">登录</a></div>`;
}
async function boot() {
  netState();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/field/sw.js", { scope: "/field" }).catch(() => {});
  const known = await kvGet("session"), asking = (state.asking = session());
  const s = known || (await asking); // the phone's copy first: the list opens without waiting for the network
  if (!s) return needSignIn();
  useSession(s);
  asking.then(async (fresh) => {
    if (fresh === null) return needSignIn();
    if (fresh && known && fresh.subject !== known.subject) { await kvSet("tasks", null); location.reload(); return; } // someone else on this phone
    if (fresh) useSession(fresh);
  });
  const first = tabs();
  const last = await kvGet("screen");
  if (!location.hash) location.hash = last || first; // back to the same step (the camera may have closed the page)
  window.addEventListener("hashchange", route);
  $("#sendnow").onclick = () => send(true);
  await route();
  showQueue();
  if (navigator.onLine && ["squad_officer", "squad_leader", "admin"].includes(s.role)) live();
  send();
}
function useSession(s) { state.me = s; state.csrf = s.csrf; $("#who").textContent = s.name || s.subject; }
boot();
