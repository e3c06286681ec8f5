import { RequestAbort } from '../../src/http/timeout.js';

/** A request's abort (src/http/timeout.ts): its signal is made only when asked for, and says the same either way. */
describe('the request abort', () => {
  test('a signal asked for before the abort is aborted by it, once', () => {
    const abort = new RequestAbort();
    const signal = abort.signal;
    let events = 0;
    signal.addEventListener('abort', () => events++);
    expect(signal.aborted).toBe(false);
    abort.abort();
    abort.abort();
    expect(abort.aborted).toBe(true);
    expect(signal.aborted).toBe(true);
    expect(events).toBe(1);
    expect(abort.signal).toBe(signal);
  });

  test('a signal asked for only after the abort is already aborted', () => {
    const abort = new RequestAbort();
    abort.abort();
    expect(abort.signal.aborted).toBe(true);
  });

  test('a request never aborted reads as not aborted, and so does its signal', () => {
    const abort = new RequestAbort();
    expect(abort.aborted).toBe(false);
    expect(abort.signal.aborted).toBe(false);
  });
});
