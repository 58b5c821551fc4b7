/**
 * "Start here": the first election, narrated, at a pace a newcomer can follow. The wait for the
 * first timeout passes quickly (1x); when a node's timer runs out the run slows to 0.01x, so the
 * pre-vote, the vote and the leader's first entry each take seconds on screen.
 */
import type { NodeId } from '@raft-kv/core';
import type { GuidedScenario } from './scenarios';
import { pacedContext } from './paced-driver';
import { playgroundSimConfig, withRulesOff } from './sim-config';

/** Fast enough that the wait for the first timeout is short. */
const waitingSpeed = 1;
/** Slow enough that one message crossing a link (5-15 ms) takes half a second to a second and a half. */
const electionSpeed = 0.01;

export const startHere: GuidedScenario = {
  info: {
    id: 'start-here',
    title: 'Start here: the first election, slowly',
    summary: 'A fresh cluster elects its first leader, one message at a time, with every step explained.',
    group: 'start',
  },
  simConfig: (setup) => withRulesOff(playgroundSimConfig({ ...setup, loadOpsPerSec: 0, lossRate: 0 }), setup.protocol),
  async run(world, narrate) {
    const ctx = pacedContext(world, narrate);
    const sim = () => world.sim;
    const campaigning = () => sim().nodeIds.find((id) => ['preCandidate', 'candidate'].includes(sim().view(id).role));
    world.setSpeed?.(waitingSpeed);
    narrate('Every node starts as a follower in term 0, waiting to hear from a leader. The thin arc around each node is its election timer: each picked a random timeout between 600 and 1200 ms.');
    await ctx.runUntil(() => campaigning() !== undefined, 3_000);
    const first = campaigning();
    if (!first) throw new Error('no node timed out within 3 s');
    world.setSpeed?.(electionSpeed);
    narrate(sim().view(first).role === 'preCandidate'
      ? `${first}'s timer ran out first. Before it raises its term, it asks the others: would you vote for me in term ${sim().view(first).term + 1}? (a pre-vote; the hollow amber dots)`
      : `${first}'s timer ran out first: it becomes candidate in term ${sim().view(first).term}, votes for itself and asks the others for their votes.`);
    await ctx.runUntil(() => sim().view(first).role === 'candidate' || sim().leader() !== null, 3_000);
    if (sim().leader() === null) {
      narrate(`A majority would vote for ${first}. Now it really runs: term ${sim().view(first).term}, a vote for itself, and RequestVote (the amber dots) to everyone. The dots above it fill as answers arrive.`);
    }
    await ctx.runUntil(() => sim().leader() !== null, 3_000);
    const leader: NodeId | null = sim().leader();
    if (!leader) throw new Error('no leader within 3 s');
    narrate(`${leader} has a majority of the votes: it is the leader of term ${sim().view(leader).term} (thick outline). It appends a no-op entry of its term and sends it to everyone (the blue boxes).`);
    const index = sim().view(leader).lastIndex;
    await ctx.runUntil(() => sim().view(leader).commitIndex >= index, 3_000);
    narrate(`A majority stores the no-op: it is committed (solid in the logs below). From now on ${leader} sends heartbeats (small blue dots) every 100 ms, and the followers' timers start over each time.`);
    await ctx.runUntil(() => sim().nodeIds.every((id) => !sim().node(id).up || sim().view(id).commitIndex >= index), 1_000);
    narrate('Your turn: kill the leader (Kill, or select it and press K) and watch the others elect a new one; press ← and → to step through what happened; ? lists every key.');
  },
};
