import { createRequire } from 'node:module';

// Both binaries come from npm packages so `npm install` is the only setup step.
const require = createRequire(import.meta.url);

export const ffmpegPath: string = process.env.STREAMGUARD_FFMPEG ?? (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
export const ffprobePath: string = process.env.STREAMGUARD_FFPROBE ?? (require('ffprobe-static') as { path: string }).path;
