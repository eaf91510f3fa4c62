/**
 * The status page: one HTML document with its style and script inline (no
 * build step, no CDN, nothing fetched but `status.json`). The first snapshot
 * is embedded, so the page shows the state at once (and a headless browser's
 * `--dump-dom` sees it); then the script polls `status.json` every second.
 *
 * @module
 */
import type { StatusSnapshot } from "./state.ts";

/**
 * The status page with `snap` embedded.
 * @param base the admin endpoint's prefix: `` on its own port, `/_holdfast` under `--admin-path`
 */
export function statusPage(snap: StatusSnapshot, base: string): string {
  // JSON inside <script> must not close it: "<" is escaped.
  const json = JSON.stringify(snap).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>holdfast status</title>
<style>${STYLE}</style>
</head>
<body data-base="${escapeHtml(base)}">
<header><h1>holdfast</h1><span id="about"></span><span id="age"></span></header>
<section><h2>In flight <small id="inflight-count"></small></h2><table id="inflight"></table></section>
<section><h2>Peers</h2><div id="groups"></div></section>
<div class="two">
<section><h2>Spool</h2><table id="spool"></table></section>
<section><h2>Since start</h2><table id="counters"></table></section>
</div>
<section><h2>Access log <small>(last lines)</small></h2><pre id="log"></pre></section>
<script id="initial" type="application/json">${json}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;padding:0 1.5em 2em;color:#1d2733;background:#f6f7f9}
header{display:flex;gap:1.5em;align-items:baseline;border-bottom:1px solid #d5dbe3;margin-bottom:.5em}
h1{font-size:1.4em;margin:.6em 0}h2{font-size:1.05em;margin:1.2em 0 .4em}small{color:#6a7685;font-weight:normal}
table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px #0001}
th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #eef1f4;white-space:nowrap}
th{font-weight:600;color:#4b5866;background:#fafbfc}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.target{max-width:28em;overflow:hidden;text-overflow:ellipsis}
.badge{display:inline-block;padding:0 .5em;border-radius:.7em;font-size:.9em;color:#fff}
.up{background:#2e8540}.backup{background:#5b7083}.passive-down,.held{background:#c0392b}.active-down{background:#8e2a1f}
.down{background:#333}.receiving{background:#2471a3}.upstream{background:#b7950b}.responding{background:#2e8540}
.bar{position:relative;height:.55em;background:#e5e9ee;border-radius:.3em;min-width:8em;margin-top:.15em}
.bar i{position:absolute;left:0;top:0;bottom:0;background:#2471a3;border-radius:.3em}
.two{display:grid;grid-template-columns:1fr 1fr;gap:1.5em}
pre{background:#1d2733;color:#dfe6ee;padding:.8em;overflow-x:auto;font-size:12px;margin:0;min-height:3em}
.empty{color:#6a7685;padding:.6em}
`;

// Runs in the browser: plain ES2017, no imports.
const SCRIPT = `
"use strict";
const base = document.body.dataset.base;
const prev = new Map();
function esc(s){return String(s).replace(/[&<>"']/g,c=>"&#"+c.charCodeAt(0)+";");}
function bytes(n){if(n==null||n<0)return "-";const u=["B","KiB","MiB","GiB","TiB"];let i=0;while(n>=1024&&i<u.length-1){n/=1024;i++;}return (i?n.toFixed(1):n)+" "+u[i];}
function ms(n){if(n==null)return "-";if(n<1000)return n+" ms";const s=n/1000;if(s<120)return s.toFixed(1)+" s";const m=s/60;return m<120?m.toFixed(1)+" min":(m/60).toFixed(1)+" h";}
function badge(s){return '<span class="badge '+esc(s)+'">'+esc(s)+"</span>";}
function table(el,head,rows,empty){el.innerHTML=rows.length?"<tr>"+head.map(h=>h.endsWith("#")?'<th class="num">'+esc(h.slice(0,-1))+"</th>":"<th>"+esc(h)+"</th>").join("")+"</tr>"+rows.join(""):'<tr><td class="empty">'+esc(empty)+"</td></tr>";}
function render(s){
  const now=Date.parse(s.now);
  document.getElementById("about").textContent="v"+s.version+" on "+s.runtime+", "+s.platform+", pid "+s.pid;
  document.getElementById("age").textContent="up "+ms(s.uptimeMs)+" · updated "+new Date(now).toLocaleTimeString();
  document.getElementById("inflight-count").textContent=s.inflight.length+" requests, "+s.held+" held";
  const seen=new Set();
  table(document.getElementById("inflight"),["id","request","client","phase","body#","rate#","held#","attempts#","peer"],s.inflight.map(r=>{
    seen.add(r.id);
    const p=prev.get(r.id);let rate=r.bodyRate;
    if(p&&now>p.t&&r.phase==="receiving")rate=(r.bodyBytes-p.b)*1000/(now-p.t);
    prev.set(r.id,{b:r.bodyBytes,t:now});
    const pct=r.declaredBytes?Math.min(100,100*r.bodyBytes/r.declaredBytes):null;
    return '<tr data-id="'+esc(r.id)+'" data-bytes="'+r.bodyBytes+'" data-phase="'+esc(r.phase)+'">'+
      "<td>"+esc(r.id)+'</td><td class="target">'+esc(r.method+" "+r.target)+"</td><td>"+esc(r.client)+"</td><td>"+badge(r.phase)+"</td>"+
      '<td class="num"><span class="bytes">'+r.bodyBytes+"</span> B ("+bytes(r.bodyBytes)+(r.declaredBytes!=null?" of "+bytes(r.declaredBytes):"")+")"+
      (pct!=null?'<div class="bar"><i style="width:'+pct.toFixed(1)+'%"></i></div>':"")+"</td>"+
      '<td class="num">'+(rate!=null?bytes(Math.round(rate))+"/s":"-")+'</td><td class="num">'+(r.heldMs?ms(r.heldMs):"-")+
      '</td><td class="num">'+r.attempts+"</td><td>"+(r.peer?esc(r.peer)+" ("+esc(r.lastOutcome)+")":r.group?"group "+esc(r.group):"-")+"</td></tr>";
  }),"No request in progress.");
  for(const id of prev.keys())if(!seen.has(id))prev.delete(id);
  document.getElementById("groups").innerHTML=s.groups.map(g=>{
    const el=document.createElement("table");
    table(el,["peer","state","until","weight#","in flight#","attempts (finished requests)"],g.peers.map(p=>
      '<tr data-peer="'+esc(p.peer)+'" data-state="'+esc(p.state)+'"><td>'+esc(p.peer)+"</td><td>"+badge(p.state)+"</td><td>"+
      (p.downUntil?new Date(p.downUntil).toLocaleTimeString():"")+'</td><td class="num">'+p.weight+'</td><td class="num">'+p.inflight+"</td><td>"+
      esc(Object.entries(p.attempts).map(([k,v])=>k+"×"+v).join(", ")||"-")+"</td></tr>"),"No peer.");
    return "<h3>group "+esc(g.name)+"</h3>"+el.outerHTML;
  }).join("");
  table(document.getElementById("spool"),["directory","files#","in use#","free#","reserve#"],s.spool.map(d=>
    "<tr><td>"+esc(d.dir)+'</td><td class="num">'+d.files+'</td><td class="num">'+bytes(d.bytes)+'</td><td class="num">'+bytes(d.freeBytes)+
    '</td><td class="num">'+bytes(d.reserveBytes)+"</td></tr>"),"No spool directory.");
  const c=s.counters;
  const classes=Object.entries(c.byStatus).filter(([,v])=>v>0).map(([k,v])=>k+" "+v).join(", ");
  const rows=[["requests",c.requests+(classes?" ("+classes+")":"")],["held or retried",c.heldRequests],
    ["attempts",c.attempts+(c.failedAttempts?" ("+c.failedAttempts+" failed)":"")],["parse errors",c.parseErrors],
    ["connections",c.connectionsAccepted+" accepted, "+s.connections.active+" open"],
    ["body bytes",bytes(c.bodyBytes)+" in, "+bytes(c.sentBytes)+" out"],["spooled",bytes(c.spooledBytes)]];
  table(document.getElementById("counters"),["counter","value#"],rows.map(([k,v])=>"<tr><td>"+esc(k)+'</td><td class="num">'+esc(v)+"</td></tr>"),"");
  document.getElementById("log").textContent=s.accessLog.join("\\n")||"(nothing yet)";
}
render(JSON.parse(document.getElementById("initial").textContent));
let busy=false;
setInterval(async()=>{
  if(busy)return;busy=true;
  try{const r=await fetch(base+"/status.json",{cache:"no-store"});if(r.ok)render(await r.json());}catch(e){}finally{busy=false;}
},1000);
`;
