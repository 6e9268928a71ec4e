// Loaded with `node --import` into a gateway that a benchmark starts as production does
// (`node bin/latchkey.js serve`), so the benchmark can read the process's own figures over the IPC
// channel without the gateway's code knowing: CPU time, memory (V8's heap spaces, external and
// array buffers), a full GC on request (to tell live data from heap not yet given back), and a heap
// snapshot. Only a benchmark loads it; nothing in src/ or bin/ refers to it.
import { setFlagsFromString, getHeapSpaceStatistics, getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PerformanceObserver, constants } from 'node:perf_hooks';

// Time spent in GC pauses on the main thread, by kind, since the probe loaded.
const gcMs = { minor: 0, major: 0, incremental: 0, weak: 0, count: 0 };
const kinds = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak',
};
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = kinds[entry.detail?.kind];
    if (kind) gcMs[kind] += entry.duration;
    gcMs.count += 1;
  }
}).observe({ entryTypes: ['gc'] });

function memory() {
  const usage = process.memoryUsage();
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, { size: space.space_size, used: space.space_used_size }]));
  const { total_heap_size: totalHeap, used_heap_size: usedHeap, heap_size_limit: heapLimit, malloced_memory: malloced, external_memory: external } = getHeapStatistics();
  return { ...usage, spaces, totalHeap, usedHeap, heapLimit, malloced, externalMemory: external };
}

function fullGc() {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  gc();
}

if (process.send) {
  process.on('message', (message) => {
    if (!message || typeof message !== 'object' || !String(message.type).startsWith('probe:')) return;
    const reply = (body) => process.send({ type: message.type, ...body });
    switch (message.type) {
      case 'probe:cpu': {
        const { user, system } = process.cpuUsage();
        return reply({ micros: user + system, gcMs: { ...gcMs } });
      }
      case 'probe:memory':
        if (message.gc) fullGc();
        return reply({ memory: memory() });
      case 'probe:snapshot':
        return reply({ path: writeHeapSnapshot(message.path) });
      case 'probe:stop':
        // The serve command's own shutdown (it closes the server and exits), so --cpu-prof writes.
        process.kill(process.pid, 'SIGTERM');
        return undefined;
    }
  });
  // The channel must not keep a gateway alive that would otherwise exit.
  process.channel?.unref();
}
