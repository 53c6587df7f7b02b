import { Coordinator } from '@baton/server';
const c = new Coordinator();
let handlers; let sent = 0;
const conn = { id: 'x', remoteAddress: 'x', send(t) { sent++; }, close() {}, setHandlers(h) { handlers = h; } };
c.accept(conn);
handlers.onMessage(JSON.stringify({ op: 'hello', id: 0, v: 1 }));
await new Promise(r => setTimeout(r, 10));
const N = 500000;
for (let round = 0; round < 3; round++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    handlers.onMessage(`{"op":"acquire","id":${2*i+1},"resource":"r","mode":"exclusive"}`);
    handlers.onMessage(`{"op":"release","id":${2*i+2},"resource":"r","token":"${round*N+i+1}"}`);
  }
  const t1 = process.hrtime.bigint();
  console.log('us per pair', Number(t1 - t0) / 1000 / N, 'sent', sent);
}
process.exit(0);
