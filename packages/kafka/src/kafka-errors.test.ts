import { isMessageTooLarge, isRetriableKafkaError, KafkaProduceError, rootCause } from './kafka-errors';

/** The shape kafkajs gives a broker's MESSAGE_TOO_LARGE after its retrier: NonRetriable wrapping a ProtocolError. */
function kafkajsChain(code: number, retriable: boolean): Error {
  const protocol = Object.assign(new Error('broker said no'), { name: 'KafkaJSProtocolError', code, type: 'X', retriable });
  return Object.assign(new Error('broker said no'), { name: 'KafkaJSNonRetriableError', retriable: false, cause: protocol });
}

describe('Kafka error mapping', () => {
  it('finds MESSAGE_TOO_LARGE (code 10) in a wrapped chain and calls it not retriable', () => {
    const err = kafkajsChain(10, false);
    expect(isMessageTooLarge(err)).toBe(true);
    expect(isRetriableKafkaError(err)).toBe(false);
    const produceError = new KafkaProduceError(['events.clean'], err);
    expect(produceError).toMatchObject({ retriable: false, code: 10 });
    expect(produceError.message).toBe('produce to events.clean failed: broker said no');
  });

  it('takes the innermost cause for other errors: a lost leader is worth retrying even after kafkajs gave up', () => {
    const leaderLost = Object.assign(new Error('not leader'), { name: 'KafkaJSProtocolError', code: 6, retriable: true });
    const exhausted = Object.assign(new Error('retries exceeded'), { name: 'KafkaJSNumberOfRetriesExceeded', retriable: false, cause: leaderLost });
    expect(rootCause(exhausted)).toBe(leaderLost);
    expect(isRetriableKafkaError(exhausted)).toBe(true);
    expect(isMessageTooLarge(exhausted)).toBe(false);
  });

  it('calls errors without a retriable flag not retriable (a bug does not get better by repeating it)', () => {
    expect(isRetriableKafkaError(new TypeError('x is undefined'))).toBe(false);
    expect(isRetriableKafkaError('a string')).toBe(false);
  });
});
