/** The words a newcomer meets on the page, each in a sentence (shown on hover, on focus, and in the glossary). */
export const glossary = {
  term: 'A numbered period of time with at most one leader. Every message carries its sender\'s term; a node that sees a higher term adopts it and steps down.',
  leader: 'The one node that accepts client writes in a term. It appends them to its log and replicates them to the others.',
  follower: 'A node that answers the leader and candidates, and waits. If it hears nothing for an election timeout, it starts an election.',
  candidate: 'A node running for leader: it moved to a new term, voted for itself, and asks the others for their votes.',
  'pre-vote': 'A trial election (PreVote): before raising its term, a node asks whether the others would vote for it. A node that cannot win never disturbs the cluster.',
  'election timeout': 'How long a follower waits without hearing a leader before it runs for leader: random, 600-1200 ms here, so nodes rarely time out together.',
  heartbeat: 'An AppendEntries without entries, sent by the leader every 100 ms to say it is alive (and to pass on the commit index).',
  log: 'The list of commands a node holds, numbered by index. Each entry also records the term of the leader that created it.',
  commit: 'An entry is committed once the leader knows a majority stores it (and it is from the leader\'s term). A committed entry is never lost.',
  applied: 'Executed on the node\'s key-value state machine, in index order, after it is committed.',
  majority: 'More than half of the nodes (3 of 5, 2 of 3). Every election and every commit needs one, so two majorities always share a node.',
  snapshot: 'The state machine\'s state up to an index, saved so the log before it can be thrown away. A follower that fell too far behind is sent one.',
  'CheckQuorum': 'A leader that has not heard from a majority for an election timeout steps down; followers that hear a live leader refuse to vote for others.',
  'no-op': 'The empty entry a new leader appends at once: committing it commits every older entry and lets the leader serve reads.',
  ReadIndex: 'A linearizable read without writing to the log: the leader confirms it still leads (a heartbeat round) before anyone answers.',
  nextIndex: 'The leader\'s guess of the next entry to send a follower (n in the logs). matchIndex (m) is what the follower is known to hold.',
} as const;

export type GlossaryWord = keyof typeof glossary;
