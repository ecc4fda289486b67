import { spawn } from 'node:child_process';

/** Most bytes of each output stream kept per process; the rest is dropped and said so. */
const MAX_OUTPUT = 1024 * 1024;

/** How a process run for one tenant ended, with its output. */
export interface TenantProcessOutcome {
  /** Exit code; null when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended it, if any. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A process run for a tenant ended with a non-zero code, a signal, or did not start. */
export class TenantProcessError extends Error {
  override name = 'TenantProcessError';

  constructor(
    message: string,
    readonly outcome: TenantProcessOutcome,
  ) {
    super(message);
  }
}

/**
 * Runs `command` with `env` and collects its output: one argument is a shell command line (run by
 * the system shell), several are a program and its arguments (run without a shell). Resolves with
 * the outcome when it exits 0; rejects with a {@link TenantProcessError} otherwise.
 */
export function runTenantProcess(command: string[], env: NodeJS.ProcessEnv): Promise<TenantProcessOutcome> {
  return new Promise((resolve, reject) => {
    const child =
      command.length === 1
        ? spawn(command[0], { env, shell: true, stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn(command[0], command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout = collector();
    const stderr = collector();
    child.stdout.on('data', stdout.add);
    child.stderr.on('data', stderr.add);
    let failedToStart: Error | undefined;
    child.once('error', (error) => (failedToStart = error));
    child.once('close', (exitCode, signal) => {
      const outcome: TenantProcessOutcome = { exitCode, signal, stdout: stdout.text(), stderr: stderr.text() };
      if (failedToStart) {
        reject(new TenantProcessError(`the command could not start: ${failedToStart.message}`, outcome));
      } else if (signal) {
        reject(new TenantProcessError(`the command was ended by ${signal}`, outcome));
      } else if (exitCode !== 0) {
        reject(new TenantProcessError(`the command exited with code ${exitCode}`, outcome));
      } else {
        resolve(outcome);
      }
    });
  });
}

function collector(): { add: (chunk: Buffer) => void; text: () => string } {
  const chunks: Buffer[] = [];
  let size = 0;
  let dropped = 0;
  return {
    add: (chunk) => {
      const room = MAX_OUTPUT - size;
      if (room <= 0) {
        dropped += chunk.length;
        return;
      }
      chunks.push(chunk.subarray(0, room));
      size += Math.min(room, chunk.length);
      dropped += Math.max(0, chunk.length - room);
    },
    text: () => Buffer.concat(chunks).toString() + (dropped > 0 ? `\n[${dropped} more bytes not kept]\n` : ''),
  };
}
