import { Injectable } from '@nestjs/common';
import { SingleBar } from 'cli-progress';
import Table from 'cli-table3';

/** A progress bar over a known number of steps; does nothing when the output is not a terminal. */
export interface CliProgress {
  /** One step done; `label` is shown next to the bar (the schema just finished). */
  tick(label: string): void;
  /** Removes the bar. */
  stop(): void;
}

/** A cell of a {@link CliOutput.table}. */
export type CliCell = string | number | boolean | null | undefined;

const NO_PROGRESS: CliProgress = { tick: () => undefined, stop: () => undefined };

/**
 * Where the CLI writes: results to stdout, reasons for failure to stderr (one line each). On a
 * terminal, multi-tenant runs get a progress bar (cli-progress) and summaries a table
 * (cli-table3); piped, every result is a plain line; `--json` output is one JSON document.
 */
@Injectable()
export class CliOutput {
  /** True when stdout is a terminal (progress bars and tables); false when piped. */
  get interactive(): boolean {
    return process.stdout.isTTY === true;
  }

  /** Writes one line to stdout. */
  line(text = ''): void {
    process.stdout.write(`${text}\n`);
  }

  /** Writes one JSON document to stdout. */
  json(document: unknown): void {
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  }

  /** Writes a one-line reason to stderr (`error: …`). */
  error(message: string): void {
    process.stderr.write(`error: ${message.replace(/\s+/g, ' ').trim()}\n`);
  }

  /** Writes a table to stdout. */
  table(head: string[], rows: CliCell[][]): void {
    const table = new Table({ head, style: { head: [], border: [], compact: true }, wordWrap: true });
    table.push(...rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '' : String(cell)))));
    process.stdout.write(`${table.toString()}\n`);
  }

  /** A progress bar for `total` steps, on a terminal only. */
  progress(total: number, title: string): CliProgress {
    if (!this.interactive || total < 2) {
      return NO_PROGRESS;
    }
    const bar = new SingleBar({
      format: `${title} [{bar}] {value}/{total} {schema}`,
      stream: process.stdout,
      hideCursor: true,
      clearOnComplete: true,
    });
    bar.start(total, 0, { schema: '' });
    return {
      tick: (label) => bar.increment(1, { schema: label }),
      stop: () => bar.stop(),
    };
  }
}
