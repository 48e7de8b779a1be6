import { PREDICTION_EXPLANATION_HEADER, encodeExplanationHeader, type Prediction } from '@telltale/contracts';
import { predictionRow } from './table-rows';

const prediction: Prediction = {
  userKey: 'u1',
  sessionId: 's1',
  messageId: 'm1',
  modelName: 'purchase_propensity',
  modelVersion: 3,
  probability: 0.25,
  eventTime: Date.UTC(2026, 11, 1),
  predictedAt: Date.UTC(2026, 11, 1, 0, 0, 1),
  receivedAt: Date.UTC(2026, 11, 1),
};

describe('predictionRow', () => {
  it('stores the explanation the scorer put in the record header', () => {
    const explanation = { intercept: -2, logit: -1.1, top: [{ input: 'has_cart', value: 1, contribution: 0.9 }] };
    const row = predictionRow(prediction, { headers: { [PREDICTION_EXPLANATION_HEADER]: Buffer.from(encodeExplanationHeader(explanation)) } });
    expect(JSON.parse(row.explanation)).toEqual(explanation);
    expect(row).toMatchObject({ user_key: 'u1', model_version: 3, probability: 0.25 });
  });

  it('stores an empty explanation for a record without one, or with a header that is not one', () => {
    expect(predictionRow(prediction, { headers: {} }).explanation).toBe('');
    expect(predictionRow(prediction).explanation).toBe('');
    expect(predictionRow(prediction, { headers: { [PREDICTION_EXPLANATION_HEADER]: Buffer.from('{"top":1}') } }).explanation).toBe('');
  });
});
