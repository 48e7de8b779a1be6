import type { EventKind, VisitorState } from '@telltale/contracts';
import { observeEvent, RECENT_EVENTS_CAP } from './session-tracker';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const OPTS = { timeoutMs: 30 * 60_000, latenessMs: 5 * 60_000 };

const event = (eventTime: number, kind: EventKind = 'click', price: number | null = null) => ({ kind, eventTime, price, quantity: null, referrerClass: null });

/** Feeds `events` in the order given; returns the visitor and each event's result. */
function run(events: Array<ReturnType<typeof event>>) {
  let visitor: VisitorState | undefined;
  const results = events.map((e) => {
    const result = observeEvent(visitor && { ...visitor }, 'visitor-1', e, OPTS);
    visitor = result.visitor;
    return result;
  });
  return { visitor: visitor!, results };
}

describe('observeEvent: the events kept for late ones', () => {
  it('keeps the events within the lateness bound, so a late event whose previous event was dropped still gets its exact gap', () => {
    const { visitor } = run([event(T0, 'page_view'), event(T0 + 200_000), event(T0 + 400_000, 'search')]);
    // T0 is more than 5 min before the latest event: no late event can come before it any more.
    expect(visitor.recentEvents?.map((e) => e.eventTime)).toEqual([T0 + 200_000, T0 + 400_000]);
    expect(visitor.droppedUpTo).toBe(T0);

    const late = observeEvent({ ...visitor }, 'visitor-1', event(T0 + 150_000, 'add_to_cart', 12.5), OPTS);
    const inOrder = run([event(T0, 'page_view'), event(T0 + 150_000, 'add_to_cart', 12.5)]).results[1]!;
    expect(late.asOf).toBe('exact');
    expect(late.snapshot.features).toEqual(inOrder.snapshot.features);
    expect(late.snapshot.features).toMatchObject({ session_events: 2, session_page_views: 1, session_add_to_carts: 1, session_cart_value: 12.5, seconds_since_prev_event: 150 });
    // The session's totals count it; the kept events stay in event-time order.
    expect(late.visitor).toMatchObject({ events: 4, addToCarts: 1, cartValue: 12.5, lastEventTime: T0 + 400_000 });
    expect(late.visitor.recentEvents?.map((e) => e.eventTime)).toEqual([T0 + 150_000, T0 + 200_000, T0 + 400_000]);
  });

  it('gives a late event before the session start a vector of its own, as the first event of the session', () => {
    const { visitor } = run([event(T0 + 60_000, 'page_view'), event(T0 + 90_000)]);
    const late = observeEvent({ ...visitor }, 'visitor-1', event(T0, 'search'), OPTS);
    expect(late.asOf).toBe('exact');
    expect(late.snapshot.sessionId).toBe(visitor.sessionId);
    expect(late.snapshot.features).toMatchObject({ session_events: 1, session_searches: 1, session_page_views: 0, session_duration_s: 0, seconds_since_prev_event: 0 });
    expect(late.visitor.startedAt).toBe(T0);
  });

  it(`keeps at most ${RECENT_EVENTS_CAP} events: a late event after the dropped ones is exact, one before them counts only itself`, () => {
    const visit = Array.from({ length: RECENT_EVENTS_CAP + 6 }, (_, i) => event(T0 + i * 1000, i % 2 === 0 ? 'click' : 'search'));
    const { visitor } = run(visit);
    expect(visitor.recentEvents).toHaveLength(RECENT_EVENTS_CAP);
    expect(visitor.droppedUpTo).toBe(T0 + 5000);

    const exact = observeEvent({ ...visitor }, 'visitor-1', event(T0 + 10_500, 'page_view'), OPTS);
    const inOrder = run([...visit.slice(0, 11), event(T0 + 10_500, 'page_view')]).results[11]!;
    expect(exact.asOf).toBe('exact');
    expect(exact.snapshot.features).toEqual(inOrder.snapshot.features);

    // Events between it and T0 + 5 s were dropped: how many came after it is unknown, so none of them is counted.
    const capped = observeEvent({ ...visitor }, 'visitor-1', event(T0 + 2500, 'page_view'), OPTS);
    expect(capped.asOf).toBe('lower_bound');
    expect(capped.snapshot.features).toMatchObject({ session_events: 1, session_page_views: 1, session_clicks: 0, session_searches: 0, session_duration_s: 2.5, seconds_since_prev_event: 0 });
    // Still counted in the session, and itself dropped at once (older than every kept event).
    expect(capped.visitor).toMatchObject({ events: RECENT_EVENTS_CAP + 7, pageViews: 1 });
    expect(capped.visitor.recentEvents).toEqual(visitor.recentEvents);
  });

  it('starts a new session with no kept events from the previous one', () => {
    const { visitor } = run([event(T0), event(T0 + 1000), event(T0 + 60 * 60_000, 'search')]);
    expect(visitor).toMatchObject({ events: 1, priorSessions: 1, droppedUpTo: null });
    expect(visitor.recentEvents).toEqual([{ eventTime: T0 + 60 * 60_000, kind: 'search', cartAmount: null }]);
  });
});
