// Live previews: one small canvas player per line, JSMpeg over /preview/<stream>/<line>.
import JSMpeg from './jsmpeg-player.esm.js';

/** `stream/line` → its open player box. */
const open = new Map();

/** Opens the line's player (once); the token, when the hub has tokens, goes in `?token=` (a browser WebSocket cannot send headers). */
export function openPreview(container, stream, line, token) {
  const key = `${stream}/${line}`;
  if (open.has(key)) return;
  const q = token ? `?token=${encodeURIComponent(token)}` : '';
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/preview/${encodeURIComponent(stream)}/${encodeURIComponent(line)}${q}`;
  const canvas = document.createElement('canvas');
  canvas.dataset.testid = `preview-canvas-${stream}-${line}`;
  canvas.dataset.frames = '0';
  const close = document.createElement('button');
  close.textContent = 'close';
  close.dataset.testid = `preview-close-${stream}-${line}`;
  const title = document.createElement('div');
  title.textContent = `${key} `;
  title.append(close);
  const box = document.createElement('div');
  box.className = 'preview';
  box.append(title, canvas);
  container.append(box);
  // Canvas 2D (not WebGL): cheap at 640 px, and its pixels stay readable; no audio in a preview.
  const player = new JSMpeg.Player(url, { canvas, audio: false, disableGl: true, onVideoDecode: () => (canvas.dataset.frames = String(Number(canvas.dataset.frames) + 1)) });
  close.addEventListener('click', () => {
    player.destroy(); // closes the WebSocket: the hub stops the ffmpeg when nobody else watches
    box.remove();
    open.delete(key);
  });
  open.set(key, box);
}
