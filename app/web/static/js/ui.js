// Preact + htm (vendored, no build step) and the small pieces every view shares.
import { h, render } from "/static/vendor/preact.module.js";
import { useEffect, useRef, useState, useCallback } from "/static/vendor/hooks.module.js";
import htm from "/static/vendor/htm.module.js";

export const html = htm.bind(h);
export { render, useEffect, useRef, useState, useCallback };

export function navigate(path) {
  history.pushState(null, "", path);
  dispatchEvent(new PopStateEvent("popstate"));
}

// An <a> that changes the view without reloading the page.
export function Link({ href, children, ...rest }) {
  const click = (event) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(href);
  };
  return html`<a href=${href} onClick=${click} ...${rest}>${children}</a>`;
}

// An API error where it belongs: role=alert so it is read out, and testable.
export function ErrorText({ error }) {
  if (!error) return null;
  const message = typeof error === "string" ? error : error.message;
  return html`<p class="error" role="alert">${message}</p>`;
}

export function FieldErrors({ errors }) {
  if (!errors || !errors.length) return null;
  return html`<span class="field-error" role="alert">${errors.join(" ")}</span>`;
}

export function CopyButton({ text }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      // Clipboard access needs a secure context; select the text for a manual copy instead.
      const range = document.createRange();
      const node = document.querySelector(`[data-copy="${CSS.escape(text)}"]`);
      if (node) {
        range.selectNodeContents(node);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
      }
    }
    setDone(true);
    setTimeout(() => setDone(false), 1500);
  };
  return html`<button type="button" class="small" onClick=${copy}
    title="Copy ${text}">${done ? "Copied" : "Copy"}</button>`;
}

// Runs `load` when `deps` change; gives [data, error, loading, reload].
export function useQuery(load, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState({ data: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return [state.data, state.error, state.loading, () => setTick((t) => t + 1)];
}

export function formatDate(value) {
  if (!value) return "";
  const d = new Date(value);
  return d.toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

export function Status({ status }) {
  return html`<span class="status status-${(status || "").toLowerCase()}">${status}</span>`;
}

// Signed URLs carry the configured public URL; the page may be open under another name
// for this server (127.0.0.1, a tunnel), and CSP allows images from this origin only.
export function local(url) {
  if (!url) return url;
  const parsed = new URL(url, location.href);
  return parsed.pathname + parsed.search;
}

// The value once it has stopped changing for `ms`: a search box queries when typing pauses.
export function useDebounced(value, ms = 250) {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}
