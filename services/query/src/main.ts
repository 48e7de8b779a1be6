import { runService } from '@telltale/runtime';
import { queryService } from './query.service';

runService(queryService);
