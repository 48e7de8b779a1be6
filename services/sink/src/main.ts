import { runService } from '@telltale/runtime';
import { sinkService } from './sink.service';

runService(sinkService);
