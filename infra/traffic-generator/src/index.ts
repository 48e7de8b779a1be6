export { startTraffic, type TrafficOptions, type TrafficRun, type TrafficStats } from './traffic-run';
export { TrafficSimulator, type SimulatorOptions, type SimulatorStats } from './traffic-simulator';
export { planSession, HIDDEN_MODEL, type SegmentEvent, type SessionPlan, type Visitor } from './shopper-model';
export { BatchSender, type TrafficLogger } from './batch-sender';
export { Random, seedFrom } from './random';
export { trafficEnv, loadTrafficConfig, trafficOptions, type TrafficConfig } from './traffic.config';
