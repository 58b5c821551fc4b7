/** Script entries in words (for the scrubber's marks) and as text for links (base64url JSON). */
import type { LearnerAction } from './protocol';

/** One action, briefly: "kill n2", "cut n1→n3", "PUT x=1 (c1 → leader)". */
export function describeAction(action: LearnerAction): string {
  if (action.type === 'setLoad') return action.opsPerSec > 0 ? `load ${action.opsPerSec} ops/s` : 'load off';
  if (action.type === 'request') {
    const what = action.op === 'put' ? `PUT ${action.key}=${action.value}` : action.op === 'get' ? `GET ${action.key}` : `DELETE ${action.key}`;
    return `${what} (${action.client} → ${action.target === 'leader' ? 'leader' : action.target})`;
  }
  const a = action.action;
  switch (a.type) {
    case 'crash': return `kill ${a.node}`;
    case 'restart': return `restart ${a.node}`;
    case 'isolate': return `isolate ${a.node}`;
    case 'cut': return `cut ${a.from}${a.bothWays ? '–' : '→'}${a.to}`;
    case 'heal': return `heal ${a.from}${a.bothWays ? '–' : '→'}${a.to}`;
    case 'partition': return `partition ${a.groups.map((g) => g.join(',')).join(' | ')}`;
    case 'healAll': return 'heal all';
    case 'setNetwork': return `network ${Object.entries(a.network).map(([k, v]) => `${k}=${String(v)}`).join(' ')}`;
    case 'dropMessage': return `drop message ${a.id}`;
    case 'delayMessage': return `delay message ${a.id} by ${a.ms} ms`;
    case 'duplicateMessage': return `duplicate message ${a.id}`;
    case 'electionTimers': return `${a.mode} timers`;
    case 'slowLink': return a.ms > 0 ? `slow ${a.from}→${a.to} by ${a.ms} ms` : `${a.from}→${a.to} at normal speed`;
    case 'pause': return `pause ${a.node} for ${a.ms} ms`;
    case 'holdMessage': return `hold message ${a.id} until ${a.ms} ms from now`;
    case 'campaign': return `time out ${a.node}`;
    case 'addNode': return 'add a server';
    case 'client': {
      const r = a.request;
      if (r.op === 'config' && r.change) return `${r.change.type === 'addLearner' ? 'add learner' : r.change.type} ${r.change.node} (→ ${r.node})`;
      if (r.op === 'transfer') return `transfer leadership to ${r.target ?? '?'} (→ ${r.node})`;
      return `${r.op.toUpperCase()} ${r.key} → ${r.node}`;
    }
  }
}

/** URL-safe base64 of UTF-8 text (links carry scripts and scenario files this way). */
export function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(encoded: string): string {
  const b64 = encoded.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}
