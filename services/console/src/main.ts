import { runService } from '@telltale/runtime';
import { consoleService } from './console.app';

runService(consoleService);
