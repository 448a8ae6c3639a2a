import { injectAnomaly } from './src/anomaly/index.ts';
for (const rate of [2000, 20000, 200000]) {
const r = await injectAnomaly('../shared/data/pcap/ndpi__netflix.pcap', '/tmp/dbg.pcap', { kind: 'synflood', atNs: 10e9, forNs: 10e9, rate });
console.log(rate, r.injectedPackets, r.firstInjectedS, r.lastInjectedS);
}
