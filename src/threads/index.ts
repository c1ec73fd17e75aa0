/**
 * @module Starting a worker thread on a module beside the caller: `./name.js` when running the
 * compiled package, `./name.ts` from source (under tsx or vitest), where the thread first registers
 * the TypeScript loader (a dev dependency) and then imports the entry. The store thread and both
 * render-thread pools start their workers here.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker on the module `name` next to `callerUrl` (pass `import.meta.url`).
 * @param options Worker options (`workerData`, `resourceLimits`, …); `eval` is set here when needed.
 */
export function startSiblingWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  const source = callerUrl.endsWith('.ts');
  const entry = new URL(`./${name}.${source ? 'ts' : 'js'}`, callerUrl);
  if (!source) return new Worker(entry, options);
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
