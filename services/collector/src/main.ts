import { runService } from '@telltale/runtime';
import { collectorService } from './collector.service';

runService(collectorService);
