// The dashboard's only way to the server: the public GraphQL API, over HTTP and
// graphql-transport-ws, with the key the person pasted (kept in sessionStorage only).

const KEY = "qrforge.key";

export function getKey() {
  return sessionStorage.getItem(KEY);
}

export function setKey(key) {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
}

// An error the API answered, in words a person can act on.
export class ApiError extends Error {
  constructor(message, code, path) {
    super(message);
    this.code = code;
    this.path = path;
  }
}

const CODE_WORDS = {
  UNAUTHENTICATED: "The API key was not accepted (unknown or revoked). Paste a valid key.",
  RATE_LIMITED: "Too many requests for this key right now; wait a minute and try again.",
  QUOTA_EXCEEDED: "The workspace's daily quota is used up.",
  INTERNAL: "Something went wrong on the server.",
};

// "This API key lacks the 'codes:write' scope." -> a sentence saying what cannot be done.
export function inWords(error) {
  const code = error.extensions && error.extensions.code;
  if (code === "FORBIDDEN") {
    const scope = /'([^']+)'/.exec(error.message || "");
    return scope
      ? `Not allowed: this API key lacks the ${scope[1]} scope, so the server refused. ` +
          `Ask for a key with ${scope[1]}.`
      : `Not allowed with this API key: ${error.message}`;
  }
  if (code === "INTERNAL") return CODE_WORDS.INTERNAL + (error.message ? "" : "");
  return error.message || CODE_WORDS[code] || "The request failed.";
}

export async function gql(query, variables = {}) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        Authorization: `Bearer ${getKey() || ""}`,
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch (e) {
    throw new ApiError("The server cannot be reached.", "NETWORK");
  }
  let body;
  try {
    body = await response.json();
  } catch (e) {
    throw new ApiError(`The server answered ${response.status} without a GraphQL body.`, "HTTP");
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    const code = (first.extensions && first.extensions.code) || "ERROR";
    throw new ApiError(inWords(first) || CODE_WORDS[code], code, first.path);
  }
  return body.data;
}

const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

// Mutations answer userErrors { field message code }: keyed by the field's path
// ("style.foreground", "data.url"), so a form can show each next to its field. Errors
// without a field go under "".
export function byField(userErrors) {
  const out = {};
  for (const e of userErrors || []) {
    const name = (e.field || []).map(camel).join(".");
    (out[name] = out[name] || []).push(e.message);
  }
  return out;
}

// One graphql-transport-ws socket per subscription; `onData(payload.data)` for each
// result, `onError(ApiError)` once if the server refuses. Returns a function that stops it.
export function subscribe(query, variables, { onData, onError, onOpen, authorization }) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}/graphql`, "graphql-transport-ws");
  let stopped = false;
  socket.onopen = () => {
    socket.send(
      JSON.stringify({
        type: "connection_init",
        payload: { Authorization: authorization || `Bearer ${getKey() || ""}` },
      }),
    );
  };
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "connection_ack") {
      socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query, variables } }));
      if (onOpen) onOpen();
    } else if (message.type === "ping") {
      socket.send(JSON.stringify({ type: "pong" }));
    } else if (message.type === "next") {
      if (message.payload.errors && message.payload.errors.length) {
        const first = message.payload.errors[0];
        onError(new ApiError(inWords(first), first.extensions && first.extensions.code));
      } else {
        onData(message.payload.data);
      }
    } else if (message.type === "error") {
      const first = message.payload[0] || {};
      onError(new ApiError(inWords(first), first.extensions && first.extensions.code));
    }
  };
  socket.onclose = (event) => {
    if (stopped) return;
    if (event.code === 4403 || event.code === 4401) {
      onError(new ApiError(CODE_WORDS.UNAUTHENTICATED, "UNAUTHENTICATED"));
    } else if (onError && event.code !== 1000) {
      onError(new ApiError("The live connection closed; reload to reconnect.", "NETWORK"));
    }
  };
  return () => {
    stopped = true;
    if (socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ id: "1", type: "complete" }));
      socket.close(1000);
    } else {
      socket.close();
    }
  };
}

// Which optional parts of the schema this server has (fields other releases add), by
// introspection once per page load; with introspection off, none of them.
let features = null;
export async function schemaFeatures() {
  if (!features) {
    features = gql(`{
      rendered: __type(name: "RenderedQr") { fields { name } }
      style: __type(name: "QrStyleInput") { inputFields { name } }
      workspace: __type(name: "Workspace") { fields { name } }
      query: __type(name: "Query") { fields { name } }
      link: __type(name: "Link") { fields { name } }
      dataTypes: __type(name: "QrDataType") { enumValues { name } }
    }`)
      .then((data) => {
        const names = (t, key = "fields") => new Set(((t && t[key]) || []).map((f) => f.name));
        return {
          rendered: names(data.rendered),
          style: names(data.style, "inputFields"),
          workspace: names(data.workspace),
          query: names(data.query),
          link: names(data.link),
          dataTypes: ((data.dataTypes && data.dataTypes.enumValues) || []).map((v) => v.name),
        };
      })
      .catch(() => ({
        rendered: new Set(), style: new Set(), workspace: new Set(), query: new Set(),
        link: new Set(), dataTypes: [],
      }));
  }
  return features;
}
