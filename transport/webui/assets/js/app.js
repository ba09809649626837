// The router and the frame around the pages: the read token prompt, the
// consistency choice, errors. Routes live in the URL fragment:
// #/fleet, #/resource/ID, #/wal?kind=…&resource=…&since=…&until=…&follow=1.

import { replace, h } from './dom.js';
import { ApiError, get, token, setToken, consistency, setConsistency } from './api.js';
import { fleetPage } from './fleet.js';
import { resourcePage } from './resource.js';
import { walPage } from './wal.js';

let current = null; // the AbortController of the page on screen

function $(id) { return document.getElementById(id); }

function showError(e) {
  if (e && e.name === 'AbortError') return;
  if (e instanceof ApiError && e.status === 401) {
    askToken(token() ? 'That token was refused.' : '');
    return;
  }
  const box = $('error');
  replace(box, h('strong', null, 'Error: '), e instanceof ApiError ? `${e.code}: ${e.message}` : String(e && e.message ? e.message : e));
  box.hidden = false;
}

function askToken(message) {
  $('token-message').textContent = message;
  $('token-prompt').hidden = false;
  $('token-input').focus();
}

async function route() {
  if (current) current.abort();
  current = new AbortController();
  const { signal } = current;
  $('error').hidden = true;
  const [path, query] = (window.location.hash.slice(1) || '/fleet').split('?');
  const root = $('app');
  document.querySelectorAll('[data-nav]').forEach((a) => a.classList.toggle('active', path.startsWith(`/${a.dataset.nav}`)));
  try {
    await status(signal);
    if (path.startsWith('/resource/')) await resourcePage(root, signal, decodeURIComponent(path.slice('/resource/'.length)));
    else if (path === '/wal') await walPage(root, signal, new URLSearchParams(query || ''), showError);
    else await fleetPage(root, signal, showError);
  } catch (e) {
    showError(e);
  }
}

async function status(signal) {
  const s = await get('/v1/status', null, signal);
  $('node-status').textContent = `node ${s.node.name} · ${s.state} · revision ${s.applied_index}` + (s.leader ? ` · leader ${s.leader.name}` : ' · no leader');
  $('forget-token').hidden = !token();
}

function start() {
  $('consistency').value = consistency();
  $('consistency').addEventListener('change', (ev) => { setConsistency(ev.target.value); route(); });
  $('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    setToken($('token-input').value.trim());
    $('token-input').value = '';
    $('token-prompt').hidden = true;
    route();
  });
  $('forget-token').addEventListener('click', () => { setToken(''); route(); });
  window.addEventListener('hashchange', route);
  // A click on the page already shown reloads it (the fleet now, the WAL).
  document.querySelectorAll('[data-nav]').forEach((a) => a.addEventListener('click', () => {
    if (a.getAttribute('href') === window.location.hash) route();
  }));
  route();
}

start();
