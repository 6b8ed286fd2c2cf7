import { escapeHtml } from "../escapeHtml.ts";

/**
 * The server-rendered login form shown at `/` to a visitor who is not logged in. It needs no
 * script: the form posts to `/login`, which answers a browser's form post with a redirect back to
 * the page (or this form again with an error).
 */
export function loginPage(options: {
  title: string;
  rootPath: string;
  message: string | null;
  error: string | null;
}): string {
  const title = escapeHtml(options.title);
  const message = options.message === null ? "" : `<p class="message">${escapeHtml(options.message)}</p>`;
  const error = options.error === null ? "" : `<p class="error" role="alert">${escapeHtml(options.error)}</p>`;
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>Login · ${title}</title>` +
    `<style>body{font-family:system-ui,sans-serif;display:flex;justify-content:center;margin-top:10vh}` +
    `form{display:flex;flex-direction:column;gap:.6rem;min-width:18rem}` +
    `input,button{font:inherit;padding:.5rem}.error{color:#b00020}</style></head>` +
    `<body><main><h1>${title}</h1>${message}${error}` +
    `<form id="login" method="post" action="${escapeHtml(options.rootPath)}/login">` +
    `<label>Username <input name="username" autocomplete="username" required autofocus></label>` +
    `<label>Password <input name="password" type="password" autocomplete="current-password"></label>` +
    `<button type="submit">Login</button></form></main></body></html>`
  );
}
