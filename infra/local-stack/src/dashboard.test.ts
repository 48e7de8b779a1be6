import { renderDashboard, statusLine, type DashboardSnapshot } from './dashboard';

const empty: DashboardSnapshot = {
  elapsedS: 65,
  services: [
    { name: 'collector', healthy: true },
    { name: 'trainer', healthy: undefined },
  ],
  dlq: {},
  logDir: '/repo/.local/logs',
};

describe('dashboard rendering', () => {
  it('shows a dash for every metric that does not exist yet', () => {
    const text = renderDashboard(empty);
    expect(text).toContain('up 00:01:05');
    expect(text).toContain('– events/s accepted');
    expect(text).toContain('version – · AUC –');
    expect(text).toContain('collector ok · trainer DOWN');
    expect(text).toContain('/repo/.local/logs/<service>.log');
    expect(statusLine(empty)).toBe(
      't=65s events/s=– accepted=– ch_events=– ch_predictions=– model=– auc=– predictions/s=– dlq=– health=not ok: trainer',
    );
  });

  it('shows every supervised process with its status and restarts', () => {
    const snapshot: DashboardSnapshot = {
      ...empty,
      services: [{ name: 'collector', healthy: true }],
      processes: [
        { name: 'kafka', status: 'healthy', restarts: 2 },
        { name: 'clickhouse', status: 'healthy', restarts: 0 },
        { name: 'enricher', status: 'restarting', restarts: 1 },
      ],
      events: ['12:00:01 enricher (pid 7) exited (signal SIGKILL); restarting in 0.5 s'],
    };
    const text = renderDashboard(snapshot);
    expect(text).toContain('processes    kafka ok ↻2 · clickhouse ok · enricher RESTARTING ↻1');
    expect(text).toContain('  12:00:01 enricher (pid 7) exited (signal SIGKILL); restarting in 0.5 s');
    expect(statusLine(snapshot)).toMatch(/ health=not ok: enricher restarts=kafka:2,enricher:1$/);
    expect(statusLine({ ...snapshot, processes: [{ name: 'kafka', status: 'healthy', restarts: 0 }] })).toMatch(/ health=all ok restarts=0$/);
  });

  it('formats the numbers it has', () => {
    const line = statusLine({
      ...empty,
      services: [{ name: 'collector', healthy: true }],
      collectorEventsPerS: 98.24,
      collectorAccepted: 12_345,
      eventRows: 12_000,
      predictionRows: 0,
      modelVersion: 3,
      auc: 0.81234,
      predictionsPerS: 0,
      dlq: { collector: 1, sink: 2 },
    });
    expect(line).toBe(
      't=65s events/s=98.2 accepted=12,345 ch_events=12,000 ch_predictions=0 model=3 auc=0.812 predictions/s=0.0 dlq=3 health=all ok',
    );
  });
});

describe('dashboard header', () => {
  it('shows the live view address when the console runs', () => {
    expect(renderDashboard({ ...empty, liveViewUrl: 'http://127.0.0.1:8090/' }).split('\n')[1]).toBe('  live view: http://127.0.0.1:8090/');
    expect(renderDashboard(empty)).not.toContain('live view');
  });
});
