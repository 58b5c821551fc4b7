/** Node log lines in one terminal: each prefixed with the node's name in its own colour. */
const colours = ['\x1b[36m', '\x1b[35m', '\x1b[33m', '\x1b[32m', '\x1b[34m', '\x1b[31m'];
const reset = '\x1b[0m';

export function nodePrefix(id: string): string {
  const n = Number(/\d+$/.exec(id)?.[0] ?? 0);
  const colour = colours[(n + colours.length - 1) % colours.length]!;
  return process.stdout.isTTY ? `${colour}[${id}]${reset} ` : `[${id}] `;
}

export const bold = (text: string): string => (process.stdout.isTTY ? `\x1b[1m${text}${reset}` : text);
