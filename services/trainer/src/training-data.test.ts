import { loadTrainerConfig } from './trainer.config';
import { TRAINING_ROWS_SQL, trainingRowsParams, trainingWindow } from './training-data';

describe('training window', () => {
  it('reads snapshots from the window before the cutoff, and bots and purchases from the slack before that', () => {
    const cutoffMs = Date.UTC(2026, 11, 8, 12, 0, 0, 0) + 0.7;
    const params = trainingRowsParams({ cutoffMs, windowMs: 24 * 3600_000, sessionSlackMs: 1800_000, maxRows: 500 });
    expect(params).toEqual({
      cutoffMs: Date.UTC(2026, 11, 8, 12),
      fromMs: Date.UTC(2026, 11, 7, 12),
      sessionsFromMs: Date.UTC(2026, 11, 7, 11, 30),
      maxRows: 500,
    });
  });

  it('takes the window, the slack and the row limit from the config (defaults: a day, a session timeout)', () => {
    const config = loadTrainerConfig({});
    expect(config.TRAINER_WINDOW_H).toBe(24);
    expect(config.TRAINER_SESSION_SLACK_S).toBe(1800);
    expect(trainingWindow(config, 1_000)).toEqual({ cutoffMs: 1_000, windowMs: 86_400_000, sessionSlackMs: 1_800_000, maxRows: 200_000 });
    expect(trainingWindow(loadTrainerConfig({ TRAINER_WINDOW_H: '168', TRAINER_SESSION_SLACK_S: '0' }), 0).windowMs).toBe(7 * 86_400_000);
  });

  it('refuses a window under an hour, naming the variable', () => {
    expect(() => loadTrainerConfig({ TRAINER_WINDOW_H: '0' })).toThrow(/TRAINER_WINDOW_H/);
    expect(() => loadTrainerConfig({ TRAINER_WINDOW_H: 'a day' })).toThrow(/TRAINER_WINDOW_H/);
  });

  it('bounds every table the query reads by time, and passes every value as a parameter', () => {
    // session_features by the window, the bot and purchase lookups on events by the window plus the slack.
    expect(TRAINING_ROWS_SQL.match(/event_time >= fromUnixTimestamp64Milli\(\{(\w+):Int64\}, 'UTC'\)/g)).toHaveLength(3);
    expect(TRAINING_ROWS_SQL).toContain('{fromMs:Int64}');
    expect(TRAINING_ROWS_SQL.match(/\{sessionsFromMs:Int64\}/g)).toHaveLength(2);
    expect(TRAINING_ROWS_SQL).not.toMatch(/FROM events FINAL/);
    expect(TRAINING_ROWS_SQL).not.toMatch(/\d{4}-\d{2}-\d{2}/);
  });
});
