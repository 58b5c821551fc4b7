/** The ring's fixed drawing sizes (SVG user units). */
import type { Point } from '../../store/selectors';

export const ringSize = 540;
export const ringCenter: Point = { x: ringSize / 2, y: ringSize / 2 - 6 };
export const ringRadius = 195;
export const nodeRadius = 36;
/** The election timer arc sits just outside the node. */
export const timerRadius = nodeRadius + 6;
/** Sideways offset of a message from the link line (requests and replies use opposite lanes). */
export const messageLane = 6;
