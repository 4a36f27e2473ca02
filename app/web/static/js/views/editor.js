// Create or edit a code: every data type and style option, a live preview from renderQr,
// the API's refusals next to the field they concern, downloads of a saved code.
import { gql, byField, schemaFeatures } from "/static/js/api.js";
import {
  html, useEffect, useRef, useState, ErrorText, FieldErrors, Link, navigate, local, CopyButton,
} from "/static/js/ui.js";

// The `data` of each type (API.md), as [key, label, kind]; kind: text|area|number|bool|choice.
const DATA_FIELDS = {
  URL: [["url", "URL", "text"]],
  TEXT: [["text", "Text", "area"]],
  EMAIL: [["address", "Address", "text"], ["subject", "Subject", "text"], ["body", "Body", "area"]],
  PHONE: [["phone", "Phone number", "text"]],
  SMS: [["phone", "Phone number", "text"], ["message", "Message", "area"]],
  WIFI: [["ssid", "Network name (SSID)", "text"], ["password", "Password", "text"],
    ["encryption", "Encryption", ["WPA", "WEP", "nopass"]], ["hidden", "Hidden network", "bool"]],
  VCARD: [["first_name", "First name", "text"], ["last_name", "Last name", "text"],
    ["phone", "Phone", "text"], ["email", "E-mail", "text"], ["org", "Organisation", "text"],
    ["title", "Title", "text"], ["url", "Web site", "text"], ["note", "Note", "area"]],
  GEO: [["latitude", "Latitude", "number"], ["longitude", "Longitude", "number"]],
  EVENT: [["title", "Title", "text"], ["date_start", "Starts (2026-12-24T18:00:00)", "text"],
    ["date_end", "Ends", "text"], ["location", "Location", "text"],
    ["description", "Description", "area"], ["timezone", "Time zone (Europe/Paris)", "text"]],
  CRYPTO: [["currency", "Currency", ["bitcoin", "ethereum"]], ["address", "Address", "text"],
    ["amount", "Amount", "number"], ["label", "Label", "text"], ["message", "Message", "text"]],
  EPC: [["name", "Beneficiary", "text"], ["iban", "IBAN", "text"], ["bic", "BIC", "text"],
    ["amount", "Amount (EUR)", "number"], ["reference", "Reference", "text"],
    ["text", "Remittance text", "text"]],
};
DATA_FIELDS.MECARD = DATA_FIELDS.VCARD;
const TYPES = ["URL", "TEXT", "EMAIL", "PHONE", "SMS", "WIFI", "VCARD", "MECARD", "GEO", "EVENT",
  "CRYPTO"];
const MODULES = ["SQUARE", "ROUNDED", "DOTS", "CLASSY"];
const FINDERS = ["SQUARE", "ROUNDED", "DOT"];
const FORMATS = ["PNG", "SVG", "JPEG", "PDF"];

const DEFAULT_STYLE = {
  size: 512, margin: 4, errorCorrection: "M", foreground: "#000000", background: "#ffffff",
  moduleShape: "SQUARE", finderShape: "SQUARE", finderColor: "",
  gradientOn: false, gradientType: "LINEAR", rotation: 45, stop1: "#1d3fbf", stop2: "#b3186b",
  logo: null, logoSize: 0.2, hideBackgroundModules: true,
  frameStyle: "", frameText: "", frameColor: "", frameTextColor: "", shape: "",
  innerFinderShape: "", innerFinderColor: "",
};

function dataOf(type, values) {
  const out = {};
  for (const [key, , kind] of DATA_FIELDS[type] || []) {
    const v = values[key];
    if (kind === "bool") {
      if (v) out[key] = true;
    } else if (v !== undefined && v !== "") {
      out[key] = kind === "number" && !isNaN(Number(v)) ? Number(v) : v;
    }
  }
  return out;
}

// The QrStyleInput of the form: only what differs from the server's defaults is sent.
function styleOf(s, features) {
  const style = {
    size: Number(s.size) || null, margin: s.margin === "" ? null : Number(s.margin),
    errorCorrection: s.errorCorrection, foreground: s.foreground, background: s.background,
    moduleShape: s.moduleShape, finderShape: s.finderShape,
  };
  if (s.finderColor) style.finderColor = s.finderColor;
  if (s.gradientOn) {
    style.gradient = { type: s.gradientType, rotation: Number(s.rotation) || 0,
      stops: [{ offset: 0, color: s.stop1 }, { offset: 1, color: s.stop2 }] };
  }
  if (s.logo) {
    style.logo = { data: s.logo, size: Number(s.logoSize),
      hideBackgroundModules: Boolean(s.hideBackgroundModules) };
  }
  if (features.style.has("frame") && s.frameStyle) {
    style.frame = { style: s.frameStyle, ...(s.frameText ? { text: s.frameText } : {}),
      ...(s.frameColor ? { color: s.frameColor } : {}),
      ...(s.frameTextColor ? { textColor: s.frameTextColor } : {}) };
  }
  if (features.style.has("shape") && s.shape) style.shape = s.shape;
  if (features.style.has("innerFinderShape")) {
    if (s.innerFinderShape) style.innerFinderShape = s.innerFinderShape;
    if (s.innerFinderColor) style.innerFinderColor = s.innerFinderColor;
  }
  return style;
}

function styleFromApi(style) {
  if (!style) return { ...DEFAULT_STYLE };
  const g = style.gradient;
  return {
    ...DEFAULT_STYLE,
    size: style.size, margin: style.margin, errorCorrection: style.errorCorrection,
    foreground: style.foreground.slice(0, 7), background: style.background.slice(0, 7),
    moduleShape: style.moduleShape, finderShape: style.finderShape,
    finderColor: style.finderColor || "",
    gradientOn: Boolean(g), gradientType: g ? g.type : "LINEAR", rotation: g ? g.rotation : 45,
    stop1: g ? g.stops[0].color.slice(0, 7) : DEFAULT_STYLE.stop1,
    stop2: g ? g.stops[g.stops.length - 1].color.slice(0, 7) : DEFAULT_STYLE.stop2,
    logo: style.logo && style.logo.data ? style.logo.data : null,
    logoSize: style.logo ? style.logo.size : DEFAULT_STYLE.logoSize,
    hideBackgroundModules: style.logo ? style.logo.hideBackgroundModules : true,
    shape: style.shape === "CIRCLE" ? "CIRCLE" : "",
    innerFinderShape: style.innerFinderShape || "",
    innerFinderColor: (style.innerFinderColor || "").slice(0, 7),
    frameStyle: style.frame ? style.frame.style : "",
    frameText: style.frame ? style.frame.text : "",
    frameColor: style.frame ? style.frame.color.slice(0, 7) : "",
    frameTextColor: style.frame ? style.frame.textColor.slice(0, 7) : "",
  };
}

// The style fields this server has: an edit must send back what it read, or it would drop
// (say) a frame that the form did not know to load.
const codeQuery = (features) => `query Code($id: ID!) { qrCode(id: $id) {
  id name kind dataType data encodedText
  style { size margin errorCorrection foreground background moduleShape finderShape finderColor
    gradient { type rotation stops { offset color } } logo { data size hideBackgroundModules }
    ${features.style.has("shape") ? "shape" : ""}
    ${features.style.has("innerFinderShape") ? "innerFinderShape innerFinderColor" : ""}
    ${features.style.has("frame") ? "frame { style text textColor color }" : ""} }
  link { id shortUrl status scanCount uniqueScanCount }
} }`;

// One preview at a time: a newer change supersedes a request still on its way.
function usePreview(input, features) {
  const [state, setState] = useState({ errors: {}, image: null, failure: null, busy: false });
  const seq = useRef(0);
  const key = JSON.stringify(input);
  useEffect(() => {
    if (!input || !features) return;
    const mine = ++seq.current;
    setState((s) => ({ ...s, busy: true }));
    const timer = setTimeout(async () => {
      const result = { errors: {}, image: null, failure: null, busy: false };
      try {
        let payload;
        try {
          const check = await gql(
            `mutation Check($input: CreateQrCodeInput!) { createQrCode(input: $input, dryRun: true) {
              qrCode { encodedText } userErrors { field message code } } }`,
            { input: input.create },
          );
          payload = check.createQrCode;
        } catch (e) {
          // Without codes:write there is no dry run; say so, and preview the static picture
          // (renderQr needs no scope) without the field-by-field check.
          if (e.code !== "FORBIDDEN" || input.create.kind === "DYNAMIC") throw e;
          result.failure = e;
          payload = { userErrors: [], qrCode: { encodedText: null } };
        }
        if (payload.userErrors.length) {
          result.errors = byField(payload.userErrors);
        } else {
          // A dynamic code encodes its short link, so the preview renders that text.
          // A saved one keeps its link; a new one's dry run made up a slug unless given.
          const text = input.encodedText || payload.qrCode.encodedText;
          const render = input.create.kind === "DYNAMIC"
            ? { dataType: "TEXT", data: { text } }
            : { dataType: input.create.dataType, data: input.create.data };
          const extra = features.rendered.has("scannability")
            ? "scannability { conditions minModulePx minPrintSizeMm warnings }" : "";
          const data = await gql(
            `query Preview($input: RenderQrInput!) { renderQr(input: $input) {
              dataUri width version errorCorrection ${extra} } }`,
            { input: { ...render, format: "PNG", style: input.create.style } },
          );
          result.image = data.renderQr;
        }
      } catch (e) {
        result.failure = e;
      }
      if (mine === seq.current) setState(result);
    }, 300);
    return () => clearTimeout(timer);
  }, [key, features]);
  return state;
}

function Field({ label, name, errors, children, hint }) {
  return html`<div class="field">
    <label for=${name}>${label}</label>${children}
    ${hint && html`<p class="hint">${hint}</p>`}
    <${FieldErrors} errors=${errors[name]} />
  </div>`;
}

function Colour({ name, value, onChange, errors, label }) {
  return html`<${Field} label=${label} name=${name} errors=${errors}>
    <span class="colour">
      <input type="color" value=${/^#[0-9a-f]{6}$/i.test(value) ? value : "#000000"}
        aria-label="${label} picker" onInput=${(e) => onChange(e.target.value)} />
      <input id=${name} name=${name} size="9" value=${value}
        onInput=${(e) => onChange(e.target.value)} />
    </span>
  <//>`;
}

function Downloads({ id }) {
  const [format, setFormat] = useState("PNG");
  const [size, setSize] = useState(1024);
  const [url, setUrl] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    setUrl(null);
    const timer = setTimeout(() => {
      gql(`query($id: ID!, $f: ImageFormat!, $s: Int!) { qrCode(id: $id) { imageUrl(format: $f, size: $s) } }`,
        { id, f: format, s: Number(size) || 512 }).then(
        (d) => { setUrl(d.qrCode.imageUrl); setError(null); },
        (e) => setError(e),
      );
    }, 200);
    return () => clearTimeout(timer);
  }, [id, format, size]);
  return html`<div class="downloads">
    <h2>Download</h2>
    <div class="row">
      <div><label for="dl-format">Format</label>
        <select id="dl-format" value=${format} onChange=${(e) => setFormat(e.target.value)}>
          ${FORMATS.map((f) => html`<option>${f}</option>`)}</select></div>
      <div><label for="dl-size">Size (px)</label>
        <input id="dl-size" type="number" min="64" max="4096" step="64" value=${size}
          onInput=${(e) => setSize(e.target.value)} /></div>
      <div>${url
        ? html`<a id="download" class="button" href=${local(url)}
            download=${`qrcode-${size}.${format.toLowerCase()}`}>Download ${format}</a>`
        : html`<button disabled>Download</button>`}</div>
    </div>
    <${ErrorText} error=${error} />
  </div>`;
}

export function CodeEditor({ id }) {
  const [features, setFeatures] = useState(null);
  const [frameStyles, setFrameStyles] = useState([]);
  const [name, setName] = useState("");
  const [dataType, setDataType] = useState("URL");
  const [kind, setKind] = useState("STATIC");
  const [values, setValues] = useState({ url: "https://example.com/" });
  const [linkOptions, setLinkOptions] = useState({ slug: "", tags: "" });
  const [style, setStyle] = useState({ ...DEFAULT_STYLE });
  const [loaded, setLoaded] = useState(!id);
  const [saved, setSaved] = useState(null);
  const [saveErrors, setSaveErrors] = useState({});
  const [saveFailure, setSaveFailure] = useState(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    schemaFeatures().then(async (f) => {
      if (f.style.has("frame")) {
        const d = await gql(`{ __type(name: "QrFrameInput") { inputFields { name type {
          name kind ofType { name } } } } }`).catch(() => null);
        const field = d && d.__type && d.__type.inputFields.find((x) => x.name === "style");
        const enumName = field && (field.type.name || (field.type.ofType || {}).name);
        if (enumName) {
          const e = await gql(`query($n: String!) { __type(name: $n) { enumValues { name } } }`,
            { n: enumName }).catch(() => null);
          if (e && e.__type && e.__type.enumValues) setFrameStyles(e.__type.enumValues.map((v) => v.name));
        }
      }
      setFeatures(f);
    });
  }, []);

  useEffect(() => {
    if (!id || !features) return;
    gql(codeQuery(features), { id }).then((d) => {
      const code = d.qrCode;
      if (!code) {
        setSaveFailure("No such code in this workspace.");
        return;
      }
      setName(code.name);
      setDataType(code.dataType);
      setKind(code.kind);
      setValues(code.data || {});
      setStyle(styleFromApi(code.style));
      setSaved(code);
      setLoaded(true);
    }, setSaveFailure);
  }, [id, features]);

  const set = (key) => (value) => setStyle((s) => ({ ...s, [key]: value }));
  const setValue = (key) => (value) => setValues((v) => ({ ...v, [key]: value }));
  const create = features && loaded ? {
    name: name || "Untitled", dataType, kind,
    data: dataOf(dataType, values), style: styleOf(style, features),
  } : null;
  if (create && kind === "DYNAMIC" && !saved) {
    const tags = linkOptions.tags.split(",").map((t) => t.trim()).filter(Boolean);
    create.link = { destination: create.data.url || "", ...(linkOptions.slug ? { slug: linkOptions.slug } : {}),
      ...(tags.length ? { tags } : {}) };
  }
  const preview = usePreview(
    create && { create, encodedText: saved && saved.kind === "DYNAMIC" ? saved.encodedText : null },
    features,
  );
  const errors = { ...preview.errors, ...saveErrors };
  // The server's own list when it says (EPC is newer), limited to types this form knows.
  const types = features && features.dataTypes.length
    ? features.dataTypes.filter((t) => DATA_FIELDS[t]) : TYPES;

  const logoFile = (event) => {
    const file = event.target.files[0];
    if (!file) return set("logo")(null);
    const reader = new FileReader();
    reader.onload = () => set("logo")(reader.result);
    reader.readAsDataURL(file);
  };

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setSaveErrors({});
    setSaveFailure(null);
    try {
      if (saved) {
        const { kind: _k, ...update } = create;
        const d = await gql(`mutation($id: ID!, $input: UpdateQrCodeInput!) {
          updateQrCode(id: $id, input: $input) { qrCode { id } userErrors { field message code } } }`,
          { id: saved.id, input: update });
        if (d.updateQrCode.userErrors.length) setSaveErrors(byField(d.updateQrCode.userErrors));
        else setSaved({ ...saved });
      } else {
        const d = await gql(`mutation($input: CreateQrCodeInput!) {
          createQrCode(input: $input) { qrCode { id } userErrors { field message code } } }`,
          { input: create });
        if (d.createQrCode.userErrors.length) setSaveErrors(byField(d.createQrCode.userErrors));
        else navigate(`/app/codes/${encodeURIComponent(d.createQrCode.qrCode.id)}`);
      }
    } catch (e) {
      setSaveFailure(e);
    } finally {
      setBusy(false);
    }
  };

  if (!loaded) return html`<section><${ErrorText} error=${saveFailure} /><p class="loading">Loading…</p></section>`;
  const image = preview.image;
  const s = style;
  return html`<section>
    <h1>${saved ? `Edit ${saved.name}` : "New code"}</h1>
    <form class="editor" onSubmit=${submit} id="code-form">
      <div>
        <fieldset><legend>What it encodes</legend>
          <div class="row">
            <${Field} label="Name" name="name" errors=${errors}>
              <input id="name" name="name" value=${name} required onInput=${(e) => setName(e.target.value)} />
            <//>
            <${Field} label="Type" name="dataType" errors=${errors}>
              <select id="dataType" name="dataType" value=${dataType} disabled=${Boolean(saved && saved.kind === "DYNAMIC")}
                onChange=${(e) => { setDataType(e.target.value); if (e.target.value !== "URL") setKind("STATIC"); }}>
                ${types.map((t) => html`<option>${t}</option>`)}
              </select>
            <//>
            ${dataType === "URL" && html`<${Field} label="Kind" name="kind" errors=${errors}>
              <select id="kind" name="kind" value=${kind} disabled=${Boolean(saved)}
                onChange=${(e) => setKind(e.target.value)}>
                <option value="STATIC">Static (the URL itself)</option>
                <option value="DYNAMIC">Dynamic (a short link, tracked, editable later)</option>
              </select>
            <//>`}
          </div>
          ${kind === "DYNAMIC" && !saved && html`<div class="row">
            <${Field} label="Slug (optional)" name="link.slug" errors=${errors}
              hint="The short URL's last part; left empty, one is made up.">
              <input id="link.slug" name="link.slug" value=${linkOptions.slug}
                onInput=${(e) => setLinkOptions({ ...linkOptions, slug: e.target.value })} />
            <//>
            <${Field} label="Tags (comma separated)" name="link.tags" errors=${errors}>
              <input id="link.tags" name="link.tags" value=${linkOptions.tags}
                onInput=${(e) => setLinkOptions({ ...linkOptions, tags: e.target.value })} />
            <//>
          </div>`}
          ${(DATA_FIELDS[dataType] || []).map(([key, label, type]) => {
            const fieldName = `data.${key.replace(/_([a-z])/g, (_, c) => c.toUpperCase())}`;
            const value = values[key] === undefined ? "" : values[key];
            const input = Array.isArray(type)
              ? html`<select id=${fieldName} name=${fieldName} value=${value || type[0]}
                  onChange=${(e) => setValue(key)(e.target.value)}>${type.map((o) => html`<option>${o}</option>`)}</select>`
              : type === "bool"
              ? html`<input id=${fieldName} name=${fieldName} type="checkbox" checked=${Boolean(value)}
                  onChange=${(e) => setValue(key)(e.target.checked)} />`
              : type === "area"
              ? html`<textarea id=${fieldName} name=${fieldName} rows="3"
                  onInput=${(e) => setValue(key)(e.target.value)}>${value}</textarea>`
              : html`<input id=${fieldName} name=${fieldName} value=${value} class="wide"
                  type=${type === "number" ? "number" : "text"} step="any"
                  onInput=${(e) => setValue(key)(e.target.value)} />`;
            return html`<${Field} label=${label} name=${fieldName} errors=${errors}>${input}<//>`;
          })}
          <${FieldErrors} errors=${errors.data} />
        </fieldset>

        <fieldset><legend>Colours and shapes</legend>
          <div class="row">
            <${Colour} label="Foreground" name="style.foreground" value=${s.foreground} onChange=${set("foreground")} errors=${errors} />
            <${Colour} label="Background" name="style.background" value=${s.background} onChange=${set("background")} errors=${errors} />
            <${Colour} label="Finder colour (optional)" name="style.finderColor" value=${s.finderColor} onChange=${set("finderColor")} errors=${errors} />
          </div>
          <div class="row">
            <${Field} label="Modules" name="style.moduleShape" errors=${errors}>
              <select id="style.moduleShape" name="style.moduleShape" value=${s.moduleShape} onChange=${(e) => set("moduleShape")(e.target.value)}>
                ${MODULES.map((m) => html`<option>${m}</option>`)}</select>
            <//>
            <${Field} label="Finder patterns" name="style.finderShape" errors=${errors}>
              <select id="style.finderShape" name="style.finderShape" value=${s.finderShape} onChange=${(e) => set("finderShape")(e.target.value)}>
                ${FINDERS.map((m) => html`<option>${m}</option>`)}</select>
            <//>
            <${Field} label="Error correction" name="style.errorCorrection" errors=${errors}>
              <select id="style.errorCorrection" name="style.errorCorrection" value=${s.errorCorrection} onChange=${(e) => set("errorCorrection")(e.target.value)}>
                ${["L", "M", "Q", "H"].map((m) => html`<option>${m}</option>`)}</select>
            <//>
            ${features && features.style.has("innerFinderShape") && html`<${Field} label="Finder centres" name="style.innerFinderShape" errors=${errors}>
              <select id="style.innerFinderShape" name="style.innerFinderShape" value=${s.innerFinderShape} onChange=${(e) => set("innerFinderShape")(e.target.value)}>
                <option value="">As the finders</option>${FINDERS.map((m) => html`<option>${m}</option>`)}</select>
            <//>`}
            ${features && features.style.has("shape") && html`<${Field} label="Outline" name="style.shape" errors=${errors}>
              <select id="style.shape" name="style.shape" value=${s.shape} onChange=${(e) => set("shape")(e.target.value)}>
                <option value="">Square</option><option value="CIRCLE">Circle</option></select>
            <//>`}
          </div>
          <div class="row">
            <${Field} label="Size (px)" name="style.size" errors=${errors}>
              <input id="style.size" name="style.size" type="number" min="64" max="4096" step="32" value=${s.size} onInput=${(e) => set("size")(e.target.value)} />
            <//>
            <${Field} label="Quiet zone (modules)" name="style.margin" errors=${errors}>
              <input id="style.margin" name="style.margin" type="number" min="0" max="16" value=${s.margin} onInput=${(e) => set("margin")(e.target.value)} />
            <//>
          </div>
          <label class="inline gradient-toggle"><input type="checkbox" name="gradient" checked=${s.gradientOn} onChange=${(e) => set("gradientOn")(e.target.checked)} /> Gradient</label>
          ${s.gradientOn && html`<div class="row">
            <${Field} label="Gradient" name="style.gradient.type" errors=${errors}>
              <select id="style.gradient.type" value=${s.gradientType} onChange=${(e) => set("gradientType")(e.target.value)}>
                <option>LINEAR</option><option>RADIAL</option></select>
            <//>
            <${Field} label="Rotation (°)" name="style.gradient.rotation" errors=${errors}>
              <input id="style.gradient.rotation" type="number" min="0" max="360" value=${s.rotation} onInput=${(e) => set("rotation")(e.target.value)} />
            <//>
            <${Colour} label="From" name="style.gradient.stops.0" value=${s.stop1} onChange=${set("stop1")} errors=${errors} />
            <${Colour} label="To" name="style.gradient.stops.1" value=${s.stop2} onChange=${set("stop2")} errors=${errors} />
          </div>
          <${FieldErrors} errors=${errors["style.gradient"]} />`}
        </fieldset>

        <fieldset><legend>Logo${features && features.style.has("frame") ? " and frame" : ""}</legend>
          <${Field} label="Logo image (PNG, JPEG, WebP or SVG)" name="style.logo.data" errors=${errors}>
            <input id="style.logo.data" name="logo" type="file" accept="image/png,image/jpeg,image/webp,image/svg+xml" onChange=${logoFile} />
          <//>
          ${s.logo && html`<div class="row">
            <${Field} label="Logo size (share of the width)" name="style.logo.size" errors=${errors}>
              <input id="style.logo.size" type="range" min="0.05" max="0.3" step="0.01" value=${s.logoSize} onInput=${(e) => set("logoSize")(e.target.value)} />
              <span> ${Math.round(s.logoSize * 100)}%</span>
            <//>
            <label class="inline"><input type="checkbox" checked=${s.hideBackgroundModules} onChange=${(e) => set("hideBackgroundModules")(e.target.checked)} /> Clear the modules behind it</label>
            <button type="button" class="secondary small" onClick=${() => set("logo")(null)}>Remove logo</button>
          </div>`}
          <${FieldErrors} errors=${errors["style.logo"]} />
          ${features && features.style.has("frame") && html`<div class="row">
            <${Field} label="Frame" name="style.frame.style" errors=${errors}>
              <select id="style.frame.style" name="style.frame.style" value=${s.frameStyle} onChange=${(e) => set("frameStyle")(e.target.value)}>
                <option value="">None</option>${frameStyles.map((f) => html`<option>${f}</option>`)}</select>
            <//>
            <${Field} label="Frame text" name="style.frame.text" errors=${errors}>
              <input id="style.frame.text" name="style.frame.text" value=${s.frameText} placeholder="SCAN ME" onInput=${(e) => set("frameText")(e.target.value)} />
            <//>
            <${Colour} label="Frame colour" name="style.frame.color" value=${s.frameColor} onChange=${set("frameColor")} errors=${errors} />
            <${Colour} label="Text colour" name="style.frame.textColor" value=${s.frameTextColor} onChange=${set("frameTextColor")} errors=${errors} />
          </div>
          <${FieldErrors} errors=${errors["style.frame"]} />`}
        </fieldset>
        <${FieldErrors} errors=${errors.style} />
        <${FieldErrors} errors=${errors[""]} />
        <${ErrorText} error=${saveFailure} />
        <button type="submit" disabled=${busy}>${saved ? "Save changes" : "Create code"}</button>
        ${saved && html` <${Link} href="/app/codes" class="small">Back to codes<//>`}
      </div>

      <aside class="preview" aria-live="polite">
        ${image
          ? html`<img id="preview" src=${image.dataUri} alt="Preview of the code" />`
          : html`<div class="no-preview">${preview.busy ? "Rendering…" : "No preview"}</div>`}
        <div class="verdict" id="verdict">
          ${preview.failure && html`<${ErrorText} error=${preview.failure} />`}
          ${Object.keys(preview.errors).length > 0 && html`<p class="error" role="alert">
            Not scannable or not valid as it stands: see the fields marked in red.</p>`}
          ${image && html`<p class="ok">Scannable: version ${image.version}, error correction ${image.errorCorrection}, ${image.width} px.</p>`}
          ${image && image.errorCorrection !== s.errorCorrection && html`<p class="hint">${`Rendered at ${image.errorCorrection}, not ${s.errorCorrection}: the
            server raises the level where the style needs it (a logo covers modules) or where it
            costs no size.`}</p>`}
          ${image && image.scannability && html`<ul>
            ${image.scannability.minPrintSizeMm && html`<li>Print at least ${image.scannability.minPrintSizeMm} mm wide.</li>`}
            ${image.scannability.warnings.map((w) => html`<li class="warning">${w}</li>`)}
          </ul>`}
        </div>
        ${saved && saved.link && html`<div class="saved-link">
          <p>Short URL: <code data-copy=${saved.link.shortUrl}>${saved.link.shortUrl}</code> <${CopyButton} text=${saved.link.shortUrl} /></p>
          <${Link} href=${`/app/links/${encodeURIComponent(saved.link.id)}`} id="analytics-link">Analytics and live scans<//>
        </div>`}
        ${saved && html`<${Downloads} id=${saved.id} />`}
      </aside>
    </form>
  </section>`;
}
