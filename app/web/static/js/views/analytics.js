// A link's analytics over a chosen range (totals, the chart, breakdowns) and a live feed of
// its scans from the scanRecorded subscription, with the counters moving as they arrive.
import { gql, subscribe } from "/static/js/api.js";
import {
  html, useEffect, useRef, useState, ErrorText, CopyButton, Status, formatDate, local, Link,
} from "/static/js/ui.js";

const RANGES = {
  "24h": { label: "Last 24 hours", hours: 24, interval: "HOUR" },
  "7d": { label: "Last 7 days", hours: 24 * 7, interval: "DAY" },
  "30d": { label: "Last 30 days", hours: 24 * 30, interval: "DAY" },
  "90d": { label: "Last 90 days", hours: 24 * 90, interval: "WEEK" },
  "365d": { label: "Last 12 months", hours: 24 * 365, interval: "MONTH" },
};
const BREAKDOWNS = [
  ["byCountry", "Countries"], ["byDevice", "Devices"], ["byOs", "Operating systems"],
  ["byBrowser", "Browsers"], ["byReferrer", "Referrers"],
];
const SCAN_FIELDS = "id occurredAt source country deviceType os browser referrer isBot";

const LINK = `query LinkAnalytics($id: ID!, $from: DateTime, $to: DateTime, $interval: Interval!) {
  link(id: $id) {
    id slug shortUrl destination title status scanCount uniqueScanCount
    analytics(from: $from, to: $to, interval: $interval) {
      total unique ${BREAKDOWNS.map(([k]) => `${k} { key count }`).join(" ")}
    }
    chart: analyticsChartUrl(from: $from, to: $to, interval: $interval, format: SVG)
    chartPng: analyticsChartUrl(from: $from, to: $to, interval: $interval, format: PNG)
    scans(first: 20) { edges { node { ${SCAN_FIELDS} } } }
  }
}`;

function rangeOf(choice, custom) {
  if (choice === "custom") {
    return {
      from: custom.from ? new Date(`${custom.from}T00:00:00Z`).toISOString() : null,
      to: custom.to ? new Date(`${custom.to}T23:59:59Z`).toISOString() : null,
      interval: custom.interval,
    };
  }
  const r = RANGES[choice];
  // Rounded to the minute, so the chart URL (and the browser's cache of it) holds a while.
  const to = new Date(Math.ceil(Date.now() / 60000) * 60000);
  return { from: new Date(to - r.hours * 3600 * 1000).toISOString(), to: to.toISOString(),
    interval: r.interval };
}

function Breakdown({ title, rows }) {
  return html`<div class="breakdown"><h3>${title}</h3>
    ${rows.length ? html`<table>${rows.map((r) => html`<tr><td>${r.key}</td>
      <td class="num">${r.count}</td></tr>`)}</table>` : html`<p class="empty">No scans.</p>`}
  </div>`;
}

function ScanLine({ scan, fresh }) {
  const parts = [scan.source === "QR" ? "QR scan" : "Link click", scan.deviceType, scan.os,
    scan.browser, scan.country, scan.referrer && `from ${scan.referrer}`].filter(Boolean);
  return html`<li class=${fresh ? "fresh" : ""}>
    <time>${formatDate(scan.occurredAt)}</time> · ${parts.join(" · ")}${scan.isBot ? " · bot" : ""}
  </li>`;
}

export function LinkView({ id }) {
  const [choice, setChoice] = useState("7d");
  const [custom, setCustom] = useState({ from: "", to: "", interval: "DAY" });
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [feed, setFeed] = useState([]);
  const [live, setLive] = useState({ state: "connecting", error: null });
  const [counts, setCounts] = useState(null);
  const [tick, setTick] = useState(0);
  const refresh = useRef(null);

  useEffect(() => {
    let current = true;
    gql(LINK, { id, ...rangeOf(choice, custom) }).then(
      (d) => {
        if (!current) return;
        if (!d.link) {
          setError("No such link in this workspace.");
          return;
        }
        setData({ ...d.link, loadedAt: new Date().toISOString() });
        setCounts({ scanCount: d.link.scanCount, uniqueScanCount: d.link.uniqueScanCount,
          total: d.link.analytics.total });
        setError(null);
      },
      (e) => current && setError(e),
    );
    return () => {
      current = false;
    };
  }, [id, choice, custom.from, custom.to, custom.interval, tick]);

  useEffect(() => {
    const stop = subscribe(
      `subscription Live($linkId: ID) { scanRecorded(linkId: $linkId) { ${SCAN_FIELDS} } }`,
      { linkId: id },
      {
        onOpen: () => setLive({ state: "live", error: null }),
        onData: (d) => {
          const scan = d.scanRecorded;
          setFeed((f) => [scan, ...f].slice(0, 100));
          if (!scan.isBot) {
            // Moves at once; the refetch below brings the server's own figures.
            setCounts((c) => c && { ...c, scanCount: c.scanCount + 1, total: c.total + 1 });
          }
          clearTimeout(refresh.current);
          refresh.current = setTimeout(() => setTick((t) => t + 1), 1500);
        },
        onError: (e) => setLive({ state: "off", error: e }),
      },
    );
    return () => {
      clearTimeout(refresh.current);
      stop();
    };
  }, [id]);

  if (error && !data) return html`<section><${ErrorText} error=${error} /></section>`;
  if (!data) return html`<section><p class="loading">Loading…</p></section>`;
  const a = data.analytics;
  const earlier = data.scans.edges.map((e) => e.node).filter((s) => !feed.some((f) => f.id === s.id));
  return html`<div>
    <section>
      <h1>${data.title || data.slug} <${Status} status=${data.status} />
        <${Link} href=${`/app/links/${encodeURIComponent(id)}/edit`} class="button" id="edit-link">Edit<//></h1>
      <p><code data-copy=${data.shortUrl}>${data.shortUrl}</code> <${CopyButton} text=${data.shortUrl} />
        ${" "}→ <span class="destination" title=${data.destination}>${data.destination}</span></p>
      <div class="cards">
        <div class="card"><div class="value" id="scan-count">${counts.scanCount}</div>
          <div class="label">scans, all time</div></div>
        <div class="card"><div class="value" id="unique-count">${counts.uniqueScanCount}</div>
          <div class="label">unique, all time</div></div>
        <div class="card"><div class="value" id="range-total">${counts.total}</div>
          <div class="label">scans in the range</div></div>
        <div class="card"><div class="value">${a.unique}</div>
          <div class="label">unique in the range</div></div>
        <div class="card"><div class="value" id="loaded" data-at=${data.loadedAt}>${formatDate(data.loadedAt).slice(11)}</div>
          <div class="label">figures as of</div></div>
      </div>
      <div class="filters">
        <select name="range" value=${choice} onChange=${(e) => setChoice(e.target.value)}>
          ${Object.entries(RANGES).map(([k, r]) => html`<option value=${k}>${r.label}</option>`)}
          <option value="custom">Custom range</option>
        </select>
        ${choice === "custom" && html`
          <input type="date" name="from" value=${custom.from} onInput=${(e) => setCustom({ ...custom, from: e.target.value })} />
          <input type="date" name="to" value=${custom.to} onInput=${(e) => setCustom({ ...custom, to: e.target.value })} />
          <select name="interval" value=${custom.interval} onChange=${(e) => setCustom({ ...custom, interval: e.target.value })}>
            ${["HOUR", "DAY", "WEEK", "MONTH"].map((i) => html`<option>${i}</option>`)}</select>`}
      </div>
      <${ErrorText} error=${error} />
      <img class="chart" id="chart" src=${local(data.chart)} alt="Scans over the range" />
      <p class="hint">The chart as an image for e-mails and reports (valid 30 days, no key needed):${" "}
        <a href=${data.chartPng} target="_blank" rel="noopener">PNG</a> <${CopyButton} text=${data.chartPng} /></p>
      <div class="breakdowns">
        ${BREAKDOWNS.map(([k, title]) => html`<${Breakdown} title=${title} rows=${a[k]} />`)}
      </div>
    </section>
    <section>
      <h2>Scans as they arrive ${live.state === "live" && html`<span class="live">live</span>`}</h2>
      <${ErrorText} error=${live.error} />
      <ul class="feed" id="feed">
        ${feed.map((s) => html`<${ScanLine} key=${s.id} scan=${s} fresh />`)}
        ${earlier.map((s) => html`<${ScanLine} key=${s.id} scan=${s} />`)}
      </ul>
      ${!feed.length && !earlier.length && html`<p class="empty">No scans yet. Scan the code or open the short URL.</p>`}
    </section>
  </div>`;
}
