/**
 * In live mode the guided scenarios' place holds the A-H checklist as things to do by hand with
 * the controls above: the same checks e2e/live runs on real processes. (Guided runs need the
 * simulator's clock and its fresh clusters.)
 */
const steps: [string, string][] = [
  ['A1–A2', 'Watch: one leader, the others follow it in the same term, and no elections while all is well.'],
  ['B1', 'PUT to a follower: 409 not_leader, with the leader’s URL as the hint.'],
  ['B2–C2', 'PUT a few keys to the leader: 200 each; commit and applied move on every node; GET them on each node.'],
  ['D1', 'Kill a follower, write three keys, restart it: it catches up and serves them.'],
  ['E1', 'Kill a follower, write; kill the other, write again (no majority: 504, not 200); kill the leader; restart the two followers, write to their new leader; restart the old leader: the write that never committed is gone everywhere.'],
  ['F1–F2', 'Kill one follower: writes still commit. Kill the other: a write times out and the leader’s commit index stays.'],
  ['G1', 'Kill the leader: the other two elect a new one within seconds; restart the old one: it follows the new leader.'],
  ['H1', 'Click a node: its stdout’s [apply] lines name each index once, in increasing order.'],
];

export function LiveChecklist() {
  return (
    <div className="scenario-panel live-checklist">
      <h2>Try it on real processes</h2>
      <p className="quiet">Guided runs need the simulator’s clock. Here, do the A–H checklist by hand (the live Playwright specs do exactly this):</p>
      <ul className="scenario-list">
        {steps.map(([id, text]) => <li key={id} className="scenario"><strong>{id}</strong><span className="scenario-title">{text}</span></li>)}
      </ul>
    </div>
  );
}
