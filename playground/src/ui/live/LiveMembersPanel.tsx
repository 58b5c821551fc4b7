/**
 * Live mode's members panel: the real cluster's membership as its leader lists it (voters,
 * learners, the leader marked, how far each has caught up), and the operator's requests: add a
 * server (a new node process that joins as a learner), promote a learner, remove any member (the
 * leader too), hand leadership to a voter. Each goes through the supervisor, which holds the
 * cluster token, to the leader; the panel shows the leader's answer in words.
 *
 * The membership is the supervisor's to answer and only this panel reads it, so the panel asks the
 * supervisor itself (src/live/members.ts, loaded with live mode's code), on the page's origin as
 * the live session does; the session meanwhile follows the supervisor's node list, so a server
 * added here appears in the ring, the nodes table and the logs like the first three.
 */
import { useEffect, useState, useSyncExternalStore } from 'react';
import { realScheduler } from '../../engine/scheduler';
import type { LiveMembers, MemberRow, MembersState } from '../../live/members';
import { usePlayground } from '../context';
import './live-members.css';

const noState: MembersState = { list: null, listError: null, pending: null, answer: null };
const noSubscribe = () => () => {};

/** The panel's controller, created when live mode shows the panel and stopped when it goes. */
function useLiveMembers(origin: string | null): { members: LiveMembers | null; state: MembersState } {
  const [members, setMembers] = useState<LiveMembers | null>(null);
  useEffect(() => {
    if (origin === null) return;
    let created: LiveMembers | null = null;
    let gone = false;
    void import('../../live/members').then(({ LiveMembers: Members }) => {
      if (gone) return;
      created = new Members({ origin, fetch: (input, init) => fetch(input, init), scheduler: realScheduler });
      created.start();
      setMembers(created);
    });
    return () => {
      gone = true;
      created?.stop();
      setMembers(null);
    };
  }, [origin]);
  const state = useSyncExternalStore(members?.subscribe ?? noSubscribe, members?.snapshot ?? (() => noState));
  return { members, state };
}

export function LiveMembersPanel() {
  const origin = usePlayground((s) => s.sim?.live?.origin ?? null);
  const { members, state } = useLiveMembers(origin);
  const busy = members === null || state.pending !== null;
  const { list, answer } = state;
  return (
    <section className="panel live-members" aria-label="Members" data-testid="live-members">
      <h2>
        Members
        <button type="button" className="heading-action" data-testid="live-add-server" disabled={busy} onClick={() => void members?.addServer()}
          title="Start a new node process with an empty data directory; the leader adds it as a learner">+ Add a server</button>
      </h2>
      {list === null && !state.listError && <p className="quiet">Asking the leader for the members…</p>}
      {state.listError && <p className="bad-note">{state.listError}{list ? ' (showing the last list)' : ''}</p>}
      {list && (
        <table>
          <thead>
            <tr><th scope="col">member</th><th scope="col">role</th><th scope="col" title="The leader's view: the highest index it knows the member holds">match</th><th scope="col">actions</th></tr>
          </thead>
          <tbody>
            {list.members.map((m) => <MemberLine key={m.id} m={m} busy={busy} members={members} />)}
          </tbody>
        </table>
      )}
      <p className={`members-answer${answer && !state.pending ? (answer.ok ? ' good' : ' bad') : ''}`} data-testid="live-members-answer" aria-live="polite"
        data-state={state.pending ? 'pending' : answer ? 'done' : 'none'} data-status={answer?.status ?? ''} data-ok={answer ? String(answer.ok) : ''}
        data-action={answer?.action ?? ''} data-node={answer?.node ?? ''} data-seq={answer?.seq ?? 0}>
        {state.pending ?? (answer ? `${answer.status === 0 ? 'no answer' : answer.status}: ${answer.text}` : 'No request yet.')}
      </p>
      <p className="quiet">
        A new server joins as a learner: it gets the log but counts in no majority. The leader promotes it only once it has
        caught up. A removed server&apos;s process runs on, outside the cluster, until killed.
      </p>
    </section>
  );
}

function MemberLine({ m, busy, members }: { m: MemberRow; busy: boolean; members: LiveMembers | null }) {
  const progress = m.caughtUp === false ? 'catching up' : m.reachable === false ? 'not answering' : '';
  return (
    <tr data-testid={`live-member-${m.id}`} data-role={m.role} data-leader={String(m.leader)} data-caught-up={m.caughtUp === null ? '' : String(m.caughtUp)}>
      <th scope="row">{m.id}</th>
      <td>
        <span className={`role-chip ${m.leader ? 'role-leader' : m.role === 'learner' ? 'member-learner' : 'role-follower'}`}>{m.leader ? 'leader' : m.role}</span>
        {m.leader && <span className="quiet"> voter</span>}
      </td>
      <td>{m.matchIndex ?? '–'}{progress && <span className="quiet"> {progress}</span>}</td>
      <td className="node-actions">
        {m.role === 'learner' && (
          <button type="button" data-testid={`live-promote-${m.id}`} disabled={busy} onClick={() => void members?.request({ type: 'promote', node: m.id })}
            aria-label={`Promote ${m.id}`} title="Make it a voter (the leader refuses while it lags)">Promote</button>
        )}
        <button type="button" data-testid={`live-remove-${m.id}`} disabled={busy} onClick={() => void members?.request({ type: 'remove', node: m.id })}
          aria-label={`Remove ${m.id}`} title="Remove it from the cluster (the leader too: it steps down once the removal commits)">Remove</button>
        {m.role === 'voter' && !m.leader && (
          <button type="button" data-testid={`live-transfer-${m.id}`} disabled={busy} onClick={() => void members?.request({ type: 'transfer', node: m.id })}
            aria-label={`Transfer leadership to ${m.id}`} title="The leader catches it up and tells it to campaign now (TimeoutNow)">Lead</button>
        )}
      </td>
    </tr>
  );
}
