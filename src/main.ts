// Entry point: parse argv, load the config, run the gateway until SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { loadConfig, ConfigError } from './config/index.ts';
import { buildApp } from './app.ts';
import { createLogger } from './log.ts';

const USAGE = `usage: npm start [-- --config FILE]

Runs the gateway: the embedded MQTT broker, serial receivers, rules, texts and the HTTP API.

  -c, --config FILE   the YAML config (default: config/default.yaml)
  -h, --help          this text

A config error stops the start with exit code 2, naming the key.`;

function args(): { config: string } {
  try {
    const { values } = parseArgs({
      options: { config: { type: 'string', short: 'c', default: 'config/default.yaml' }, help: { type: 'boolean', short: 'h' } },
      strict: true, allowPositionals: false,
    });
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    }
    return { config: values.config! };
  } catch (err) {
    // an unknown option or a missing value: say which, and how to call it
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
}

const configFile = args().config;
let config;
try {
  config = loadConfig(configFile);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`config error in ${configFile}:\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`);
    process.exit(2);
  }
  throw err;
}

const log = createLogger();
const app = buildApp(config, { log });
let stopping = false;

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping: closing intake, finishing writes');
  await app.stop();
  log.info('stopped');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));

try {
  await app.start();
} catch (err) {
  // what only the store can see (a key a device kept from the API holds) is a config error too
  if (err instanceof ConfigError) {
    process.stderr.write(`config error in ${configFile}:\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`);
    process.exit(2);
  }
  log.fatal({ err }, 'gateway failed to start');
  process.exit(1);
}
