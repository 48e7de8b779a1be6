import { runService } from '@telltale/runtime';
import { enricherService } from './enricher.service';

runService(enricherService);
