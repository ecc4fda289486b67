import { performance } from 'node:perf_hooks';
import { ConsoleLogger } from '@nestjs/common';
import { TenantConsoleLogger } from 'nestjs-tenancy';

/**
 * The cost of a log line written through `TenantConsoleLogger` against Nest's `ConsoleLogger`, with a
 * tenant bound (inside `run()`) and with none, text and JSON; the loggers take turns round by round
 * and write to a stream that drops the bytes, so the figure is the formatting itself. A request
 * that writes no line pays nothing.
 */
export async function measureLogLines({ tenancy, schema, lines, rounds, log }) {
  const write = process.stdout.write;
  const sink = () => true;
  const time = (logger) => {
    process.stdout.write = sink;
    try {
      const started = performance.now();
      for (let i = 0; i < lines; i++) {
        logger.log(`line ${i}`, 'Bench');
      }
      return ((performance.now() - started) * 1000) / lines;
    } finally {
      process.stdout.write = write;
    }
  };
  const result = {};
  for (const json of [false, true]) {
    const options = { json, colors: false };
    const plain = new ConsoleLogger(options);
    const tenant = new TenantConsoleLogger(options);
    const samples = { nest: [], unbound: [], bound: [] };
    for (let round = 0; round < rounds; round++) {
      samples.nest.push(time(plain));
      samples.unbound.push(time(tenant));
      samples.bound.push(await tenancy.run(schema, () => time(tenant)));
    }
    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const nest = median(samples.nest);
    const entry = {
      nestUsPerLine: Number(nest.toFixed(2)),
      unboundUsPerLine: Number(median(samples.unbound).toFixed(2)),
      boundUsPerLine: Number(median(samples.bound).toFixed(2)),
      boundRatio: Number((median(samples.bound) / nest).toFixed(3)),
    };
    result[json ? 'json' : 'text'] = entry;
    log(
      `log lines (${json ? 'json' : 'text'}): Nest ${entry.nestUsPerLine} µs, tenant logger unbound ${entry.unboundUsPerLine} µs, ` +
        `bound ${entry.boundUsPerLine} µs (${entry.boundRatio}× Nest)`,
    );
  }
  return result;
}
