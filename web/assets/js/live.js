// The live event stream (WebSocket /api/v1/events, docs/api.md). Reconnects with back-off
// (1 s doubling to 30 s); after any reconnect listeners get {type: 'resync'} so views reload
// what they show, since events may have been missed while disconnected.

import { session } from './api.js';

const listeners = new Set();
const statusListeners = new Set();
let socket = null;
let backoff = 1000;
let timer = null;
let wanted = false;
let status = 'off'; // off | connecting | live | retrying | unavailable
let everConnected = false;

function setStatus(s) {
  status = s;
  for (const fn of statusListeners) fn(s);
}

export function liveStatus() {
  return status;
}

export function onLiveStatus(fn) {
  statusListeners.add(fn);
  fn(status);
  return () => statusListeners.delete(fn);
}

/** Subscribes to events; returns the unsubscribe function. Starts the connection if needed. */
export function subscribe(fn) {
  listeners.add(fn);
  start();
  return () => {
    listeners.delete(fn);
  };
}

function emit(evt) {
  for (const fn of listeners) {
    try { fn(evt); } catch (e) { console.warn('live listener failed', e); }
  }
}

export function start() {
  wanted = true;
  if (socket || timer) return;
  connect();
}

export function stop() {
  wanted = false;
  if (timer) { clearTimeout(timer); timer = null; }
  if (socket) { socket.onclose = null; socket.close(1000, 'bye'); socket = null; }
  setStatus('off');
}

function connect() {
  timer = null;
  const s = session();
  if (!s || !wanted) { setStatus('off'); return; }
  setStatus(everConnected ? 'retrying' : 'connecting');
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = `${proto}//${location.host}/api/v1/events?csrf=${encodeURIComponent(s.csrf)}`;
  let opened = false;
  try {
    socket = new WebSocket(url);
  } catch {
    schedule();
    return;
  }
  socket.onopen = () => {
    opened = true;
    backoff = 1000;
    const reconnect = everConnected;
    everConnected = true;
    setStatus('live');
    if (reconnect) emit({ type: 'resync' });
  };
  socket.onmessage = (m) => {
    let evt;
    try { evt = JSON.parse(m.data); } catch { return; }
    emit(evt);
  };
  socket.onclose = (e) => {
    socket = null;
    if (!wanted) return;
    if (e.code === 4001) { setStatus('off'); return; } // session ended: the API layer signs out
    if (!opened && backoff >= 30000) setStatus('unavailable');
    schedule();
  };
  socket.onerror = () => { /* onclose follows */ };
}

function schedule() {
  if (!wanted) return;
  if (status !== 'unavailable') setStatus('retrying');
  timer = setTimeout(connect, backoff);
  backoff = Math.min(backoff * 2, 30000);
}
