/** Anomaly injection into traces (seed 004 section VI): DDoS, SYN flood, worm scan, large-packet bursts, or a real attack capture. */
export { injectAnomaly, DDOS_ON_OFF_NS, BIG_BURST_LENGTH, BIG_BURST_GAP_NS, type InjectOptions, type InjectReport } from './inject.ts';
export { ANOMALY_KINDS, DEFAULT_TARGET, parseIPv4, formatIPv4, type AnomalyKind } from './kinds.ts';
export { ArrivalProcess, type ArrivalModel, type ArrivalOptions } from './arrivals.ts';
export { internetChecksum, ipv4L4Checksum } from './checksum.ts';
export { encodeFrame, maxFrameLength, PacketFields, PayloadPool, IPPROTO_TCP, IPPROTO_UDP, TcpFlag } from './frame.ts';
