/**
 * The layout of a namespaced cluster, as plain data (no side effects): one network namespace per
 * node with its own address, one for a client (tests, curl), and one holding the bridge that joins
 * them, so the machine's own network namespace is never touched. Every name starts with the run's
 * prefix (`rkv` plus up to 8 letters or digits), so leftovers of any run are recognisable.
 *
 * Addresses come from 198.18.0.0/15, which RFC 2544 sets aside for network benchmark tests: it is
 * unlikely to be routed anywhere real. Since every cluster lives in namespaces of its own, two
 * clusters on one machine may use the same addresses without meeting.
 */
import type { NodeId } from '@raft-kv/core';

export const defaultPrefix = 'rkv';
export const prefixPattern = /^rkv[a-z0-9]{0,8}$/;
/** Any namespace one of our runs may have made. */
export const namespacePattern = /^rkv[a-z0-9]{0,8}-[A-Za-z0-9._-]+$/;
export const defaultSubnet = '198.18.0';
export const subnetPrefixLength = 24;
/** Inside each node's and the client's namespace, the one interface towards the bridge. */
export const podInterface = 'rkv0';
export const bridgeInterface = 'rkv-br';
/** Interface names are at most 15 bytes; the bridge's port for a node is `rkv-<id>`. */
const nodeIdLengthMax = 11;
/** Node n (1-based) is at <subnet>.<nodeHostBase + n>; .2 is the client. */
const nodeHostBase = 10;
const clientHost = 2;
export const nodesMax = 9;

export interface NetnsNode {
  id: NodeId;
  namespace: string;
  address: string;
  /** This node's port on the bridge (in the bridge's namespace). */
  bridgePort: string;
}

export interface NetnsPlan {
  prefix: string;
  bridgeNamespace: string;
  clientNamespace: string;
  clientAddress: string;
  clientBridgePort: string;
  nodes: NetnsNode[];
}

export function planNetns(prefix: string, nodeIds: readonly NodeId[], subnet = defaultSubnet): NetnsPlan {
  if (!prefixPattern.test(prefix)) throw new RangeError(`prefix ${JSON.stringify(prefix)} must be rkv followed by at most 8 lowercase letters or digits`);
  if (!/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(subnet) || subnet.split('.').some((o) => Number(o) > 255)) throw new RangeError(`subnet ${JSON.stringify(subnet)} must be the first three octets of an IPv4 /24`);
  if (nodeIds.length < 1 || nodeIds.length > nodesMax) throw new RangeError(`a namespaced cluster has 1 to ${nodesMax} nodes, not ${nodeIds.length}`);
  for (const id of nodeIds) {
    if (!/^[A-Za-z0-9._-]+$/.test(id) || id.length > nodeIdLengthMax || id === 'br' || id === 'client') {
      throw new RangeError(`node id ${JSON.stringify(id)} cannot name a namespace (1-${nodeIdLengthMax} letters, digits, dots, dashes; not br or client)`);
    }
  }
  if (new Set(nodeIds).size !== nodeIds.length) throw new RangeError('node ids must be distinct');
  return {
    prefix,
    bridgeNamespace: `${prefix}-br`,
    clientNamespace: `${prefix}-client`,
    clientAddress: `${subnet}.${clientHost}`,
    clientBridgePort: 'rkv-client',
    nodes: nodeIds.map((id, i) => ({ id, namespace: `${prefix}-${id}`, address: `${subnet}.${nodeHostBase + i + 1}`, bridgePort: `rkv-${id}` })),
  };
}

/** Every namespace of the plan, the bridge's first. */
export function namespacesOf(plan: NetnsPlan): string[] {
  return [plan.bridgeNamespace, plan.clientNamespace, ...plan.nodes.map((n) => n.namespace)];
}

export function nodeOf(plan: NetnsPlan, id: NodeId): NetnsNode {
  const node = plan.nodes.find((n) => n.id === id);
  if (!node) throw new RangeError(`no node ${id} in ${plan.prefix}`);
  return node;
}
