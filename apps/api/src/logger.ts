import { pino } from 'pino';
import { config } from './config.ts';

// Secrets and personal data that must never reach the logs, wherever they appear.
const redact = [
  'password',
  '*.password',
  'token',
  '*.token',
  'refreshToken',
  '*.refreshToken',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'variables.password',
  'variables.input.password',
];

export const logger = pino({
  level: config().LOG_LEVEL,
  base: { service: 'affiliate-api' },
  redact: { paths: redact, censor: '[redacted]' },
});
