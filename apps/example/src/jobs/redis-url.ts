import { connect } from 'node:net';

/**
 * The Redis for the queued jobs: REDIS_URL, else one answering on 127.0.0.1:6379, else none
 * (`REDIS_URL=off` turns the jobs off).
 */
export async function resolveRedisUrl(): Promise<string | undefined> {
  const url = process.env.REDIS_URL;
  if (url) {
    return url === 'off' ? undefined : url;
  }
  const answers = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: 6379 });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
  return answers ? 'redis://127.0.0.1:6379' : undefined;
}
