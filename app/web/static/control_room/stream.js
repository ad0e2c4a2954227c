// The live stream (`/api/v1/stream`, server-sent events) and the per-frame batching of what it says:
// state changes and vehicle positions are coalesced per asset and applied once per animation frame,
// so a burst of thousands of changes a second costs one redraw of the touched features per frame.
import { config } from './i18n.js';

export class FrameBatch {
  /** `apply(states, positions)` is called at most once per animation frame with what came since. */
  constructor(apply) {
    this.apply = apply;
    this.states = new Map();
    this.positions = new Map();
    this.scheduled = false;
    this.received = 0;
    this.frames = 0;
    this.applied = 0;
  }

  state(event) {
    this.states.set(event.asset_id, event);
    this.received += 1;
    this.schedule();
  }

  position(event) {
    this.positions.set(event.asset_id, event);
    this.received += 1;
    this.schedule();
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.scheduled = false;
    const { states, positions } = this;
    if (!states.size && !positions.size) return;
    this.states = new Map();
    this.positions = new Map();
    this.frames += 1;
    this.applied += states.size + positions.size;
    this.apply(states, positions);
  }
}

export class LiveStream {
  /** `handlers`: {state, position, alarm, command, order, escalation, resync, status} functions, each optional. */
  constructor(handlers) {
    this.handlers = handlers;
    this.source = null;
    this.failed = false;
  }

  open() {
    const source = new EventSource(config.urls.stream, { withCredentials: true });
    this.source = source;
    for (const name of ['state', 'position', 'alarm', 'command', 'order', 'escalation', 'resync']) {
      source.addEventListener(name, (message) => {
        let data = {};
        try { data = JSON.parse(message.data); } catch { return; }
        this.handlers[name]?.(data);
      });
    }
    source.addEventListener('open', () => {
      this.handlers.status?.('live');
      if (this.failed) { this.failed = false; this.handlers.resync?.({}); } // events were missed meanwhile
    });
    source.addEventListener('error', () => {
      this.failed = true;
      this.handlers.status?.(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
      if (source.readyState === EventSource.CLOSED) setTimeout(() => this.open(), 5000);
    });
  }

  close() {
    this.source?.close();
  }
}
