import { Router } from 'express';
import type { Config } from '../config';
import type { EventFeed } from '../fabric/events';
import { callerOf } from '../http/context';
import { EventService } from '../services/events';

/**
 * GET /v1/events: Server-Sent Events. Each event carries `id`, `event` (the
 * chaincode event name) and `data` (JSON); a comment line every heartbeat
 * interval keeps proxies from closing an idle stream.
 */
export function eventRoutes(feed: EventFeed, config: Config): Router {
  const router = Router();
  router.get('/events', (req, res) => {
    const events = new EventService(feed, callerOf(res).user);
    // Read before any byte is sent, so a bad Last-Event-ID still gets the error body.
    const after = events.resumeAfter(req.get('last-event-id'));
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    res.write(`retry: ${config.events.retryHintMs}\n\n`);
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), config.events.heartbeatMs);
    req.socket.setTimeout(0);
    const finish = (): void => {
      clearInterval(heartbeat);
      if (!res.writableEnded) {
        res.end();
      }
    };
    const subscription = events.stream(
      after,
      (message) => {
        res.write(`id: ${message.id}\nevent: ${message.name}\ndata: ${JSON.stringify(message.data)}\n\n`);
      },
      finish,
    );
    res.on('close', () => {
      subscription.cancel();
      clearInterval(heartbeat);
    });
  });
  return router;
}
