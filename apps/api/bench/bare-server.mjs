// The baseline: a bare node:http server that answers every request with the same kind of 302
// the redirect sends. Prints its port on stdout.
import { createServer } from 'node:http';

const location = `https://tiered.example/?ref_id=${'0'.repeat(36)}`;
const server = createServer((_req, res) => {
  res.writeHead(302, { location, 'cache-control': 'no-store', 'content-length': '0' });
  res.end();
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
