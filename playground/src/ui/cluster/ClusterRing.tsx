/**
 * The cluster as a ring: links (click one to cut or heal it), messages in flight along them, and
 * the nodes. Layers are separate components so each re-renders only for its own data.
 */
import { useMemo } from 'react';
import { useShallow } from 'zustand/shallow';
import { minorityNodes, ringLayout, selectNodeIds } from '../../store/selectors';
import { usePlayground } from '../context';
import { ringCenter, ringRadius, ringSize } from './geometry';
import { LinkMenu } from './LinkMenu';
import { Links } from './Links';
import { Legend } from './Legend';
import { MemberBar } from './MemberBar';
import { MessageLayer } from './MessageLayer';
import { RingNode } from './RingNode';

/**
 * `messages`: draw messages in flight (live mode has none to draw: real RPCs are not observed one
 * by one). `membership`: the membership actions under the ring (the simulator's).
 */
export function ClusterRing({ messages = true, membership = false }: { messages?: boolean; membership?: boolean }) {
  const idList = usePlayground(selectNodeIds);
  const ids = useMemo(() => idList.split(','), [idList]);
  const layout = useMemo(() => ringLayout(ids, ringCenter, ringRadius), [ids]);
  const minority = usePlayground(useShallow((s) => [...minorityNodes(ids, s.sim?.cutLinks ?? [])]));
  return (
    <div className="ring-area">
      <div className="ring-wrap">
      <svg className="ring" viewBox={`0 0 ${ringSize} ${ringSize}`} role="img" aria-label={`A cluster of ${ids.length} Raft nodes`}>
        <defs>
          <marker id="cut-arrow" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" fill="var(--bad)" />
          </marker>
        </defs>
        <Links ids={ids} layout={layout} />
        {ids.map((id) => <RingNode key={id} id={id} ids={ids} layout={layout} minority={minority.includes(id)} />)}
      </svg>
      {messages && <MessageLayer layout={layout} />}
      <LinkMenu layout={layout} />
      </div>
      {membership && <MemberBar />}
      <Legend />
    </div>
  );
}
