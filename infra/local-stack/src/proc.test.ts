import { spawn, type ChildProcess } from 'node:child_process';
import { parseProcStat, procStat, sameProcess, signalGroup, signalProcess, startTimeOf } from './proc';

describe('process identity', () => {
  it('reads state, group and start time even when the command name holds spaces and parentheses', () => {
    const line = '4242 (node (worker) 1) S 1 4240 4240 0 -1 4194560 1 0 0 0 3 1 0 0 20 0 11 0 987654 1000 50 18446744073709551615';
    expect(parseProcStat(line)).toEqual({ state: 'S', pgrp: 4240, startTime: 987654 });
  });

  it('knows this process and its start time', () => {
    const startTime = startTimeOf(process.pid)!;
    expect(procStat(process.pid)).toMatchObject({ startTime });
    expect(sameProcess(process.pid, startTime)).toBe(true);
    expect(sameProcess(process.pid, startTime + 1)).toBe(false);
  });

  describe('signals', () => {
    let child: ChildProcess;
    let exited: Promise<NodeJS.Signals | null>;
    beforeEach(() => {
      // A group of its own, like every child the launcher starts.
      child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
      exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    });
    afterEach(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });

    it('are not sent when the recorded start time is not the running process', async () => {
      const pid = child.pid!;
      const wrong = startTimeOf(pid)! - 1; // the process we "recorded" was an earlier one with this pid
      expect(signalProcess(pid, wrong, 'SIGTERM')).toBe(false);
      expect(signalGroup(pid, wrong, 'SIGKILL')).toBe(false);
      expect(sameProcess(pid, startTimeOf(pid)!)).toBe(true);
      expect(signalGroup(pid, startTimeOf(pid)!, 'SIGKILL')).toBe(true);
      expect(await exited).toBe('SIGKILL');
    });

    it('never reach pid 1 or our own group through a pid we failed to get', () => {
      expect(signalGroup(-1, 0, 'SIGTERM')).toBe(false);
      expect(signalGroup(0, 0, 'SIGTERM')).toBe(false);
      expect(signalProcess(1, startTimeOf(1) ?? 0, 'SIGTERM')).toBe(false);
    });
  });
});
