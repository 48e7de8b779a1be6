// A service with no Kafka or ClickHouse, run as a real process by service-host.test.ts. DEMO_BEHAVIOUR picks how it
// ends; it prints "started", "closing" and "closed" lines so the test can check that the ordered stop ran.
import { z } from 'zod';
import { commonEnv, env, loadConfig, runService } from '../index';

const demoEnv = {
  ...commonEnv,
  ADMIN_PORT: env.port(0),
  DEMO_BEHAVIOUR: z.enum(['idle', 'fail', 'throw', 'reject', 'close-fails']).default('idle'),
};

const say = (line: string) => process.stdout.write(`${line}\n`);

runService({
  name: 'demo',
  loadConfig: (vars) => loadConfig(demoEnv, vars),
  adminPort: (config) => config.ADMIN_PORT,
  async start(config, { fail }) {
    // After start() returned, so the failure reaches a started service.
    setTimeout(() => {
      if (config.DEMO_BEHAVIOUR === 'fail') fail('demo component gave up', new Error('boom'));
      if (config.DEMO_BEHAVIOUR === 'throw') throw new Error('uncaught boom');
      if (config.DEMO_BEHAVIOUR === 'reject') void Promise.reject(new Error('unhandled boom'));
    }, 50);
    return {
      checks: { demo: () => ({ ok: true }) },
      close: async () => {
        say('closing');
        await new Promise((r) => setTimeout(r, 20));
        if (config.DEMO_BEHAVIOUR === 'close-fails') throw new Error('could not flush');
        say('closed');
      },
    };
  },
});
