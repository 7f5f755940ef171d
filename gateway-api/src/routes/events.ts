import { Router } from 'express';
import type { Config } from '../config';
import type { EventFeed } from '../fabric/events';
import type { CachedHeight } from '../fabric/height';
import { callerOf } from '../http/context';
import { SseWriter, StreamSlots } from '../http/sse';
import type { Metrics } from '../metrics';
import { EventService } from '../services/events';

/**
 * GET /v1/events: Server-Sent Events. Each event carries `id`, `event` (the
 * chaincode event name) and `data` (JSON); a comment line every heartbeat
 * interval keeps proxies from closing an idle stream. Streams are capped per
 * API key and per instance (429 TOO_MANY_STREAMS), a resume is bounded (409
 * REPLAY_TOO_FAR), and a client that stops reading is dropped.
 */
export function eventRoutes(feed: EventFeed, config: Config, height: CachedHeight, metrics: Metrics): Router {
  const { maxStreamsPerKey, maxStreams, retryHintMs, heartbeatMs, maxBufferedBytes, slowClientMs, maxReplayBlocks } = config.events;
  const slots = new StreamSlots({
    perKey: maxStreamsPerKey,
    perInstance: maxStreams,
    // Slots free up as other streams close, which no clock predicts: the stream's own reconnect hint is as good a wait as any.
    retryAfterSeconds: Math.max(1, Math.ceil(retryHintMs / 1000)),
  });
  const router = Router();
  router.get('/events', async (req, res) => {
    const caller = callerOf(res);
    // Taken first, so a caller over its cap costs no ledger query; 'close' releases it however the request ends.
    const slot = slots.acquire(caller.keyId);
    metrics.eventStreams.inc();
    let gone = false;
    res.once('close', () => {
      gone = true;
      slot.release();
      metrics.eventStreams.dec();
    });
    const events = new EventService(feed, caller.user, { height: () => height.get(), maxBlocks: maxReplayBlocks });
    // Read before any byte is sent, so a bad or too old Last-Event-ID still gets the error body.
    const after = await events.resumeAfter(req.get('last-event-id'));
    if (gone) {
      return; // The client left while the height was read.
    }
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    const out = new SseWriter(res, { maxBufferedBytes, slowClientMs }, (bufferedBytes) => {
      metrics.eventStreamsDropped.inc();
      req.log.warn({ keyId: caller.keyId, bufferedBytes, maxBufferedBytes }, 'dropping an event stream whose client does not keep up');
    });
    out.write(`retry: ${retryHintMs}\n\n`);
    const heartbeat = setInterval(() => out.comment('heartbeat'), heartbeatMs);
    req.socket.setTimeout(0);
    const finish = (): void => {
      clearInterval(heartbeat);
      if (!res.writableEnded) {
        res.end();
      }
    };
    const subscription = events.stream(after, {
      send: (message) => out.event(message.id, message.name, message.data),
      end: finish,
      ready: () => out.ready(),
    });
    res.on('close', () => {
      subscription.cancel();
      clearInterval(heartbeat);
    });
  });
  return router;
}
