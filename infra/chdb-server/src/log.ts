/** One JSON object per line on stdout: `{"time":…,"level":…,"event":…,…}`. */
export interface LogEvent {
  level: 'debug' | 'info' | 'warn' | 'error';
  event: string;
  [field: string]: unknown;
}

export type Logger = (event: LogEvent) => void;

export function jsonLogger(write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  return (event) => {
    const { level, event: name, ...fields } = event;
    write(`${JSON.stringify({ time: new Date().toISOString(), level, service: 'chdb-server', event: name, ...fields })}\n`);
  };
}
