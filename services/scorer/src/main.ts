import { runService } from '@telltale/runtime';
import { scorerService } from './scorer.app';

runService(scorerService);
