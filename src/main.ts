// Entry point: parse argv, load the config, run the gateway until SIGINT/SIGTERM.
import { loadConfig, ConfigError } from './config/index.ts';
import { buildApp } from './app.ts';
import { createLogger } from './log.ts';

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const configFile = argValue('--config') ?? 'config/default.yaml';
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
  log.fatal({ err }, 'gateway failed to start');
  process.exit(1);
}
