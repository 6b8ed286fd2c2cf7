import { useEffect, useRef, useState } from "preact/hooks";
import type { Endpoints } from "../config/Endpoints.ts";
import { snippetsFor, type EndpointInfo, type ParameterInfo, type Snippets } from "./snippets.ts";

type Language = keyof Snippets;
const LANGUAGES: readonly [Language, string][] = [
  ["js", "JavaScript"],
  ["python", "Python"],
  ["curl", "curl"],
];
const INSTALL: Readonly<Record<Language, string>> = {
  js: "npm install @gradio/client",
  python: "pip install gradio_client",
  curl: "curl is all you need.",
};

/**
 * "Use via API": every public endpoint of `/gradio_api/info` with its parameters and returns,
 * and snippets to call it from JavaScript, Python or curl, each with a copy button.
 */
export function ApiView({ endpoints, onBack }: { endpoints: Endpoints; onBack: (e: Event) => void }) {
  const [info, setInfo] = useState<Record<string, EndpointInfo> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [language, setLanguage] = useState<Language>("js");
  useEffect(() => {
    fetch(endpoints.api("info"))
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`GET /info answered ${r.status}`))))
      .then((j: { named_endpoints?: Record<string, EndpointInfo> }) => setInfo(j.named_endpoints ?? {}))
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [endpoints]);
  const names = Object.keys(info ?? {});
  return (
    <section class="api-view" aria-labelledby="api-title">
      <div class="api-header">
        <h1 id="api-title">Use via API</h1>
        <a href="./" onClick={onBack}>
          Back to the app
        </a>
      </div>
      {error !== null && <p role="alert">{error}</p>}
      {info === null && error === null && <p>Loading…</p>}
      {info !== null && (
        <>
          <p>
            This app has {names.length} API endpoint{names.length === 1 ? "" : "s"}. Choose a language:
          </p>
          <div class="tablist" role="tablist" aria-label="Language">
            {LANGUAGES.map(([key, label]) => (
              <button
                key={key}
                type="button"
                role="tab"
                aria-selected={language === key}
                data-testid={`language-${key}`}
                onClick={() => setLanguage(key)}
              >
                {label}
              </button>
            ))}
          </div>
          <p class="muted">
            <code>{INSTALL[language]}</code>
          </p>
          {names.map((name) => (
            <EndpointDoc
              key={name}
              name={name}
              endpoint={info[name] as EndpointInfo}
              snippets={snippetsFor(endpoints.root, name, info[name] as EndpointInfo)}
              language={language}
            />
          ))}
        </>
      )}
    </section>
  );
}

function EndpointDoc({
  name,
  endpoint,
  snippets,
  language,
}: {
  name: string;
  endpoint: EndpointInfo;
  snippets: Snippets;
  language: Language;
}) {
  const slug = name.replace(/[^A-Za-z0-9_-]/g, "");
  return (
    <article class="endpoint" data-testid="endpoint" data-endpoint={name} aria-labelledby={`endpoint-${slug}`}>
      <h2 id={`endpoint-${slug}`}>
        <code>{name}</code>
      </h2>
      {endpoint.description !== undefined && endpoint.description !== "" && <p>{endpoint.description}</p>}
      <CodeBlock code={snippets[language]} testId={`snippet-${language}`} label={`${name} in ${language}`} />
      <h3>Parameters</h3>
      {endpoint.parameters.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <table class="api-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Default</th>
              <th scope="col">Component</th>
            </tr>
          </thead>
          <tbody>
            {endpoint.parameters.map((p, i) => (
              <tr key={i}>
                <td>
                  <code>{p.parameter_name ?? `[${i}]`}</code>
                  {p.label ? <span class="muted"> ({p.label})</span> : null}
                </td>
                <td>
                  <code>{p.python_type?.type ?? ""}</code>
                </td>
                <td>{defaultText(p)}</td>
                <td>{p.component ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Returns</h3>
      <ul>
        {endpoint.returns.map((r, i) => (
          <li key={i}>
            [{i}] <code>{r.python_type?.type ?? ""}</code> {r.label ? `: ${r.label}` : ""}
            {r.component ? <span class="muted"> ({r.component})</span> : null}
          </li>
        ))}
      </ul>
    </article>
  );
}

function defaultText(p: ParameterInfo): string {
  return p.parameter_has_default === true ? JSON.stringify(p.parameter_default ?? null) : "Required";
}

/** A code block with a copy button (clipboard API, else a selection and execCommand). */
function CodeBlock({ code, testId, label }: { code: string; testId: string; label: string }) {
  const [copied, setCopied] = useState(false);
  const pre = useRef<HTMLPreElement>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(code);
    } catch {
      const range = document.createRange();
      if (pre.current === null) return;
      range.selectNodeContents(pre.current);
      const sel = getSelection();
      sel?.removeAllRanges();
      sel?.addRange(range);
      document.execCommand("copy");
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <div class="code-block">
      <pre ref={pre} class="code" data-testid={testId} aria-label={label} tabIndex={0}>
        {code}
      </pre>
      <button type="button" class="icon-button copy" onClick={() => void copy()}>
        {copied ? "Copied" : "Copy"}
      </button>
    </div>
  );
}
