import { SESSION_FEATURE_NAMES } from '@telltale/contracts';
// What the bench compares the project's learner with: the old trainer's learner and inputs.

/** The raw session features the old trainer fitted on (the time features included, as it did). */
export const RAW_FEATURES: string[] = [...SESSION_FEATURE_NAMES];

/** The old trainer's settings (TRAINER_STEPS, TRAINER_LEARNING_RATE before Newton's method). */
export const REFERENCE_SETTINGS = { steps: 200, learningRate: 0.5 };
