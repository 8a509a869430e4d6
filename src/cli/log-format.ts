import { isLogFormat, LOG_FORMAT_ENV, LOG_FORMATS, setLogFormat } from '../common/log.ts';
import { UsageError } from './args.ts';

/**
 * Applies `--log-format`, else $STREAMGUARD_LOG_FORMAT, else auto (human lines on a terminal,
 * JSON otherwise). A value that is not a format is a usage error naming where it came from.
 */
export function applyLogFormat(command: string, option: string | undefined): void {
  const [where, value] = option !== undefined ? ['--log-format', option] : [LOG_FORMAT_ENV, process.env[LOG_FORMAT_ENV]];
  if (value === undefined) return setLogFormat('auto');
  if (!isLogFormat(value)) throw new UsageError(`streamguard ${command}: ${where} must be one of ${LOG_FORMATS.join(', ')}, got "${value}"`);
  setLogFormat(value);
}
