import { runFuzz } from './src/sim/fuzz';
const r = runFuzz({ seed: Number(process.argv[2]), nodes: Number(process.argv[3]) });
console.log(r.ok, r.sessions, r.failures.join('\n'));
import { Simulation } from './src/sim/simulation';
const orig = Simulation.prototype.submit;
const seen: unknown[] = [];
Simulation.prototype.submit = function (input) {
  const id = orig.call(this, input);
  if (input.value === 'c4-111') { const sim = this; seen.push(() => sim.request(id)); }
  return id;
};
runFuzz({ seed: 12, nodes: 7 });
for (const f of seen) { const r = (f as () => any)(); console.log(r?.id, r?.node, r?.op, r?.sentAt, r?.repliedAt, JSON.stringify(r?.response)); }
