/** "Copy link": the link that reproduces the run up to this moment, to the clipboard (and on screen). */
import type { Actions } from '../store/actions';

export async function copyShareLink(a: Actions): Promise<void> {
  const link = a.shareLink(window.location.origin, window.location.pathname);
  try {
    await navigator.clipboard.writeText(link);
    a.notify(`Link copied: it replays this run up to this moment. ${link}`);
  } catch {
    a.notify(`Copy this link: it replays this run up to this moment. ${link}`);
  }
}
