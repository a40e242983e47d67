// A webhook receiver: checks each delivery's signature on the raw body before trusting it, and
// answers 2xx quickly (anything else is retried). Deliveries carry the same `webhook-id` on every
// retry, so a receiver that may see one twice keys its work on it.
//   WEBHOOK_SECRET=whsec_… PORT=3001 pnpm --filter @affiliate/sdk example examples/webhook-receiver.ts
import { createServer } from 'node:http';
import { readWebhook, WebhookSignatureError } from '@affiliate/sdk';

const secret = process.env.WEBHOOK_SECRET;
if (!secret) throw new Error('WEBHOOK_SECRET is required');
const seen = new Set<string>();

const server = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    const event = await readWebhook(
      secret,
      req.headers['webhook-signature'] as string,
      Buffer.concat(chunks).toString(),
    );
    if (!seen.has(event.id)) {
      seen.add(event.id);
      console.log(`${event.type} ${event.id} ${JSON.stringify(event.data)}`);
    }
    res.writeHead(204).end();
  } catch (error) {
    if (!(error instanceof WebhookSignatureError || error instanceof SyntaxError)) throw error;
    res.writeHead(400).end('bad signature');
  }
});
server.listen(Number(process.env.PORT ?? 3001), () => {
  const address = server.address();
  console.log(`listening on ${typeof address === 'object' && address ? address.port : address}`);
});
